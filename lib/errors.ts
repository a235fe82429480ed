/**
 * Coded domain errors shared by every `lib/` module.
 *
 * Malformed input is reported with the built-in `TypeError`, `RangeError` or `SyntaxError`;
 * everything that is a *domain* failure (a key that does not decrypt, a signature that does not
 * verify, a registry that refuses us) is a {@link SigstoreError} subclass carrying a stable `code`.
 * The CLI maps codes to cosign's exit codes in one table (`cli/exit_codes.ts`).
 *
 * Messages follow one rule: sentence case, no trailing period, the failing step first
 * ("Cannot verify signature: invalid signature when validating ASN.1 encoded signature").
 * Secrets (passwords, tokens, key material) never appear in a message.
 *
 * @module
 */

/** Every code a {@link SigstoreError} may carry. */
export type ErrorCode =
  // keys
  | "KEY_NOT_FOUND"
  | "KEY_INVALID"
  | "KEY_UNSUPPORTED"
  | "KEY_DECRYPT_FAILED"
  | "KEY_PASSWORDS_DIFFER"
  // verification (cosign exit codes 10-13 map from the first four)
  | "NO_SIGNATURES"
  // an image has nothing attached where reading (not verifying) expects it (download): exit 1
  | "NOT_SIGNED"
  | "TAG_NOT_FOUND"
  | "NO_MATCHING_SIGNATURE"
  | "NO_CERTIFICATE"
  | "SIGNATURE_INVALID"
  // no attestation of an image verified (cosign's ErrNoMatchingAttestations: exit 1, not 12)
  | "NO_MATCHING_ATTESTATIONS"
  // the signature verified, but what it says does not match (attestation subject, predicate type)
  | "CLAIMS_MISMATCH"
  | "TLOG_UNAVAILABLE"
  // transparency log (Rekor): one code per failed check
  | "TLOG_ENTRY_INVALID"
  | "TLOG_ENTRY_NOT_FOUND"
  | "TLOG_ENTRY_MISMATCH"
  | "TLOG_SET_INVALID"
  | "TLOG_INCLUSION_INVALID"
  | "TLOG_CHECKPOINT_INVALID"
  | "TLOG_LOG_KEY_UNKNOWN"
  | "TLOG_TIME_INVALID"
  | "TLOG_REQUEST_FAILED"
  // input/output
  | "INPUT_NOT_FOUND"
  | "INPUT_UNREADABLE"
  | "OUTPUT_EXISTS"
  | "OUTPUT_FAILED"
  | "PROMPT_DECLINED"
  | "NETWORK"
  // registries (OCI distribution error codes where the registry gave one)
  | "MANIFEST_UNKNOWN"
  | "NAME_UNKNOWN"
  | "BLOB_UNKNOWN"
  | "UNAUTHORIZED"
  | "DENIED"
  | "TOO_LARGE"
  | "TOO_MANY"
  | "DIGEST_MISMATCH"
  | "UNSUPPORTED"
  | "REGISTRY"
  // TUF (lib/tuf): one code per failed check of the TUF 1.0 client workflow
  | "TUF_METADATA_INVALID"
  | "TUF_UNSIGNED"
  | "TUF_EXPIRED"
  | "TUF_VERSION_INVALID"
  | "TUF_LENGTH_OR_HASH_MISMATCH"
  | "TUF_TARGET_NOT_FOUND"
  | "TUF_TARGET_PATH_INVALID"
  | "TUF_CACHE_MISSING"
  // RFC 3161 timestamps (lib/timestamp): one code per failed check
  | "TIMESTAMP_INVALID"
  | "TIMESTAMP_NOT_GRANTED"
  | "TIMESTAMP_HASH_UNSUPPORTED"
  | "TIMESTAMP_CONTENT_DIGEST_MISMATCH"
  | "TIMESTAMP_SIGNER_NOT_FOUND"
  | "TIMESTAMP_SIGNATURE_INVALID"
  | "TIMESTAMP_SIGNING_CERT_MISMATCH"
  | "TIMESTAMP_TSA_CERT_INVALID"
  | "TIMESTAMP_UNTRUSTED"
  | "TIMESTAMP_OUTSIDE_VALIDITY"
  | "TIMESTAMP_NONCE_MISMATCH"
  | "TIMESTAMP_POLICY_MISMATCH"
  | "TIMESTAMP_IMPRINT_MISMATCH"
  | "TIMESTAMP_REQUEST_FAILED"
  // x509: keyless certificates (path validation, identity policy, SCTs)
  | "CERT_CHAIN_INVALID"
  | "CERT_SIGNATURE_INVALID"
  | "CERT_EXPIRED"
  | "CERT_NOT_YET_VALID"
  | "CERT_AUTHORITY_NOT_VALID"
  | "CERT_NOT_AUTHORIZED_TO_SIGN"
  | "CERT_PATH_LENGTH_EXCEEDED"
  | "CERT_UNHANDLED_CRITICAL_EXTENSION"
  | "CERT_EXT_KEY_USAGE_MISMATCH"
  | "CERT_LEAF_IS_CA"
  | "CERT_IDENTITY_MISMATCH"
  | "CERT_EXTENSION_MISMATCH"
  | "SCT_MISSING"
  | "SCT_INVALID"
  | "SCT_LOG_KEY_UNKNOWN"
  | "SCT_TIME_INVALID"
  // keyless signing (lib/oidc, lib/fulcio, lib/sign/keyless_signer.ts)
  | "OIDC_TOKEN_INVALID"
  | "OIDC_TOKEN_EXPIRED"
  | "OIDC_AUDIENCE_MISMATCH"
  | "OIDC_PROVIDER_FAILED"
  | "OIDC_FLOW_FAILED"
  | "FULCIO_REQUEST_FAILED"
  | "FULCIO_RESPONSE_INVALID"
  | "FULCIO_KEY_MISMATCH"
  | "FULCIO_SCT_INVALID"
  // hardware tokens and key services (lib/pkcs11, lib/kms): the module cannot be loaded, no token
  // matches, login refused (wrong or locked PIN), any other PKCS#11 failure; a KMS refused or
  // failed a request, or no credentials were found for it
  | "TOKEN_MODULE_UNAVAILABLE"
  | "TOKEN_NOT_PRESENT"
  | "TOKEN_LOGIN_FAILED"
  | "TOKEN_FAILED"
  | "KMS_REQUEST_FAILED"
  | "KMS_CREDENTIALS_MISSING"
  // keyless verification (lib/verify's certificate step)
  | "CERT_ROOT_IN_CHAIN"
  | "SIGNING_TIME_MISSING"
  // attestation policies (lib/policy): a --policy file of another extension, the engine not
  // installed or failing, a policy that does not pass
  | "POLICY_FORMAT_INVALID"
  | "POLICY_ENGINE_MISSING"
  | "POLICY_ENGINE_FAILED"
  | "POLICY_FAILED"
  // signing configs (lib/trust/select_signing_services.ts): no service of a kind fits the API
  // versions and the signing time; the config offers only services we cannot use (Rekor v2)
  | "SIGNING_SERVICE_NOT_FOUND"
  | "SIGNING_SERVICE_UNSUPPORTED";

/** The base of every coded domain error. */
export class SigstoreError<C extends ErrorCode = ErrorCode> extends Error {
  /** A stable, machine-readable code (never localised, never changes meaning). */
  readonly code: C;

  /**
   * @param code the stable error code
   * @param message a sentence-case message without trailing period
   * @param options `cause` keeps the underlying error for `--verbose`
   */
  constructor(code: C, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A key could not be read, decrypted, parsed or is of an unsupported kind. */
export class KeyError extends SigstoreError {}

/** A signature, certificate or log entry did not verify. */
export class VerificationError extends SigstoreError {}

/**
 * A registry refused or failed a request. `status` is the HTTP status (0 when none arrived) and
 * `ociCode` the OCI distribution error code from the body, when present.
 */
export class RegistryError extends SigstoreError {
  readonly status: number;
  readonly ociCode?: string;

  constructor(
    code: ErrorCode,
    message: string,
    options?: ErrorOptions & { status?: number; ociCode?: string },
  ) {
    super(code, message, options);
    this.status = options?.status ?? 0;
    this.ociCode = options?.ociCode;
  }
}

/** A file, URL or stream could not be read or written. */
export class IoError extends SigstoreError {}

/** The user declined a confirmation prompt. */
export class PromptDeclinedError extends SigstoreError<"PROMPT_DECLINED"> {
  constructor(message = "User declined the prompt") {
    super("PROMPT_DECLINED", message);
  }
}

/**
 * An OpenID Connect identity token could not be obtained or is unusable (expired, for another
 * audience, refused by the identity provider).
 */
export class IdentityError extends SigstoreError {}
