/**
 * The sign family's flags (`sign`, `sign-blob`, `attest`, `attest-blob`) turned into signing
 * options in one place, as cosign's options.KeyOpts and sign/common.go do: the key (or a refusal
 * of `--sk`, keyless and flags we do not implement), the signer, the transparency-log upload and
 * its privacy consent, the signing clock.
 *
 * @module
 */
import type { Context } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { confirmContinue, readPassword, writeAll } from "../io.ts";
import { keyRefDeps, rejectKeyAndSk, signingKeyRef } from "./key_options.ts";
import { type NotYet, refuseNotYet } from "./not_yet.ts";
import type { LogKeySelector, RekorEntry } from "../../lib/rekor/verify_entry.ts";
import type { PublicKey } from "../../lib/keys/public_key.ts";
import { loadTrustedRoot } from "./verify_options.ts";
import type { Signer } from "../../lib/signature/signer.ts";
import type { KeylessSigner, SctVerifier } from "../../lib/sign/keyless_signer.ts";
import type { CtLogKey } from "../../lib/x509/sct.ts";
import type { Timestamper, TimestampTlsOptions } from "../../lib/sign/timestamp_signature.ts";

/** cosign cmd/cosign/cli/sign/privacy/privacy.go Statement (its indentation is cosign's). */
const PRIVACY_STATEMENT = `
\tThe sigstore service, hosted by sigstore a Series of LF Projects, LLC, is provided pursuant to the Hosted Project Tools Terms of Use, available at https://lfprojects.org/policies/hosted-project-tools-terms-of-use/.
\tNote that if your submission includes personal data associated with this signed artifact, it will be part of an immutable record.
\tThis may include the email address associated with the account with which you authenticate your contractual Agreement.
\tThis information will be used for signing this artifact and will be stored in public transparency logs and cannot be removed later, and is subject to the Immutable Record notice at https://lfprojects.org/policies/hosted-project-tools-immutable-records/.
`;

/** cosign's StatementConfirmation. */
const PRIVACY_CONFIRMATION =
  "By typing 'y', you attest that (1) you are not submitting the personal data of any other person; and (2) you understand and agree to the statement and the Agreement terms at the URLs listed above.";

/** cosign's internal/ui TagReferenceMessage, printed when signing by tag. */
export const TAG_REFERENCE_MESSAGE = (ref: string) =>
  `Image reference ${ref} uses a tag, not a digest, to identify the image to sign.
    This can lead you to sign a different image than the intended one. Please use a
    digest (example.com/ubuntu@sha256:abc123...) rather than tag
    (example.com/ubuntu:latest) for the input to cosign. The ability to refer to
    images by tag will be removed in a future release.
`;

/**
 * Every sign-family flag that is declared but not implemented: refused when given, never
 * silently ignored. None is left: the timestamp flags are implemented (issue 13). (The Fulcio and
 * OIDC flags are keyless signing's; the `--trusted-root` gives the log key the log's answer to an
 * upload is checked with, and the CT log keys Fulcio's SCT is checked with.)
 */
export const SIGN_FLAGS_NOT_YET: readonly NotYet[] = [];

/**
 * The signing key reference, after cosign's checks and ours: `--key` and `--sk` together, and
 * every flag of {@link SIGN_FLAGS_NOT_YET} (none today) are refused. `--sk` (with `--slot`) names the PIV
 * token's key as `piv:<slot>`.
 *
 * @param verb "sign" or "attest", for the messages
 * @returns `--key`, `piv:<slot>` for `--sk`, or "" for keyless signing
 * @throws {UsageError} for each refusal
 */
export function signingKey(ctx: Context, _verb: "sign" | "attest"): string {
  rejectKeyAndSk(ctx);
  const key = signingKeyRef(ctx);
  refuseNotYet(ctx, SIGN_FLAGS_NOT_YET);
  return key;
}

/** The signing options of the sign family's flags. */
export interface SigningOptions {
  /** `--key` ("" when keyless). */
  key: string;
  /**
   * Whether the signer gets a Fulcio certificate: no key (keyless), or `--issue-certificate`
   * with a key.
   */
  keyless: boolean;
  /** `--tlog-upload` (and not `--no-upload` for `attest`). */
  tlogUpload: boolean;
  /** `--rekor-url`. */
  rekorUrl: string;
  /** The signing clock (`SOURCE_DATE_EPOCH`). */
  now: () => Date;
  /** Shows the privacy statement and asks (unless `--yes`), once, before the first upload. */
  consent: () => Promise<void>;
  /**
   * The signer, made once: the key of `--key` (its password asked once); keyless, an ephemeral
   * key with a Fulcio certificate (a {@link KeylessSigner}); with `--issue-certificate`, the
   * key of `--key` with a Fulcio certificate.
   */
  signer: () => Promise<Signer>;
  /**
   * The key the log's answer to an upload is checked with: from `--trusted-root`, else
   * SIGSTORE_REKOR_PUBLIC_KEY, else (keyless, or with a signing config) the TUF trusted root's,
   * else undefined (the log's own served key is used).
   */
  logKey: () => Promise<PublicKey | LogKeySelector | undefined>;
  /** `--timestamp-server-url` ("" when not given, or when the command has no such flag). */
  timestampServerUrl: string;
  /**
   * The timestamper of `--timestamp-server-url` and `--timestamp-client-*` (made once, its PEM
   * files read then), or undefined without a URL. It prints cosign's "Timestamp fetched with
   * time: …" line for each timestamp.
   */
  timestamper: () => Promise<Timestamper | undefined>;
}

/**
 * Reads the sign family's flags: the checks of {@link signingKey}, then the log upload, clock and
 * a lazily loaded signer.
 *
 * @param verb "sign" or "attest", for the messages
 * @param options `ed25519ph`: how Ed25519 keys sign (cosign: Ed25519ph for logged blobs and for
 *   every attestation)
 * @throws {UsageError} for refused flags, and a malformed `SOURCE_DATE_EPOCH`
 */
export function signingOptions(
  ctx: Context,
  verb: "sign" | "attest",
  options: { ed25519ph?: boolean } = {},
): SigningOptions {
  const key = signingKey(ctx, verb);
  const keyless = key === "" || ctx.flags["issue-certificate"] === true;
  const flow = ctx.flags["fulcio-auth-flow"];
  if (keyless && typeof flow === "string" && flow !== "" && !OAUTH_FLOW_NAMES.includes(flow)) {
    throw new UsageError(`unsupported oauth flow: ${flow}`);
  }
  let signer: Promise<Signer> | undefined;
  const consent = privacyConsent(ctx);
  const tsa = timestampFlags(ctx);
  let timestamper: Promise<Timestamper | undefined> | undefined;
  return {
    key,
    keyless,
    tlogUpload: ctx.flags["tlog-upload"] === true && ctx.flags["no-upload"] !== true,
    rekorUrl: ctx.flags["rekor-url"] as string,
    now: clock(ctx),
    consent,
    signer: () =>
      signer ??= keyless
        ? (async () =>
          await keylessSigner(
            ctx,
            key === "" ? undefined : await loadSigningKey(ctx, key, options),
            consent,
          ))()
        : loadSigningKey(ctx, key, options),
    logKey: () => uploadLogKey(ctx, keyless),
    timestampServerUrl: tsa.url,
    timestamper: () =>
      timestamper ??= tsa.url === "" ? Promise.resolve(undefined) : tsaTimestamper(ctx, tsa),
  };
}

/** The timestamp authority flags, as given. */
interface TimestampFlags {
  url: string;
  cacert: string;
  cert: string;
  key: string;
  serverName: string;
}

/**
 * Reads `--timestamp-server-url` and `--timestamp-client-*` (options/sign.go, attest.go …) and
 * checks them: the URL must be http(s), and a client certificate needs its key (Go silently
 * connects without a client certificate then).
 *
 * @throws {UsageError} for a URL that does not parse, or a certificate without key or key
 *   without certificate
 */
function timestampFlags(ctx: Context): TimestampFlags {
  const get = (name: string) => (ctx.flags[name] as string | undefined) ?? "";
  const t = {
    url: get("timestamp-server-url"),
    cacert: get("timestamp-client-cacert"),
    cert: get("timestamp-client-cert"),
    key: get("timestamp-client-key"),
    serverName: get("timestamp-server-name"),
  };
  if (t.url !== "") {
    let u: URL | undefined;
    try {
      u = new URL(t.url);
    } catch { /* below */ }
    if (!u || (u.protocol !== "http:" && u.protocol !== "https:")) {
      throw new UsageError(
        `invalid --timestamp-server-url "${t.url}": expected an http or https URL`,
      );
    }
  }
  if ((t.cert === "") !== (t.key === "")) {
    throw new UsageError(
      "--timestamp-client-cert and --timestamp-client-key must be given together",
    );
  }
  return t;
}

/**
 * The timestamper of the flags: cosign's TSA client, with its mutual TLS settings when a CA, a
 * client certificate or a server name is given (Go uses them only for some of these
 * combinations; here a given flag is never ignored).
 *
 * @throws {IoError} `INPUT_UNREADABLE` for unreadable PEM files, with cosign's wording for a CA
 *   file without certificates ("no valid CA certs found in …") and for a certificate or key Deno
 *   cannot use ("unable to read client certs from cert …, key …: …")
 */
async function tsaTimestamper(ctx: Context, t: TimestampFlags): Promise<Timestamper> {
  const { tsaTimestamper } = await import("../../lib/sign/timestamp_signature.ts");
  const { readPem } = await import("./read_pem.ts");
  const { IoError } = await import("../../lib/errors.ts");
  let tls: TimestampTlsOptions | undefined;
  if (t.cacert !== "" || t.cert !== "" || t.serverName !== "") {
    tls = { serverName: t.serverName || undefined };
    if (t.cacert !== "") {
      const pem = await readPem(t.cacert, "--timestamp-client-cacert");
      if (!/-----BEGIN CERTIFICATE-----/.test(pem)) {
        throw new IoError("INPUT_UNREADABLE", `no valid CA certs found in ${t.cacert}`);
      }
      tls.caCerts = [pem];
    }
    if (t.cert !== "") {
      tls.clientCert = await readPem(t.cert, "--timestamp-client-cert");
      tls.clientKey = await readPem(t.key, "--timestamp-client-key");
    }
    try {
      // Deno parses the PEM when a client is made: a bad certificate or key fails here, before
      // anything is signed.
      const opts: Deno.CreateHttpClientOptions & Partial<Deno.TlsCertifiedKeyPem> = {
        caCerts: tls.caCerts,
      };
      if (tls.clientCert) {
        opts.cert = tls.clientCert;
        opts.key = tls.clientKey;
      }
      Deno.createHttpClient(opts as Deno.CreateHttpClientOptions).close();
    } catch (e) {
      const which = t.cert !== ""
        ? `client certs from cert ${t.cert}, key ${t.key}`
        : `CA certs from ${t.cacert}`;
      throw new IoError("INPUT_UNREADABLE", `unable to read ${which}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }
  return tsaTimestamper({
    url: t.url,
    tls,
    http: { signal: ctx.signal },
    // client.go: fmt.Fprintln(os.Stderr, "Timestamp fetched with time: ", ts.Time).
    onTimestamp: (time) => ctx.info(`Timestamp fetched with time:  ${goUtcTimeString(time)}`),
  });
}

/**
 * Go's `time.Time.String()` of a UTC time: `2006-01-02 15:04:05.999999999 +0000 UTC` (the
 * fraction without trailing zeros, left out when zero).
 *
 * @param d the time
 * @returns the text
 */
export function goUtcTimeString(d: Date): string {
  const iso = d.toISOString(); // 2006-01-02T15:04:05.123Z
  const frac = iso.slice(20, 23).replace(/0+$/, "");
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? "." + frac : ""} +0000 UTC`;
}

/** cosign's `--fulcio-auth-flow` values (lib/oidc OAUTH_FLOWS). */
const OAUTH_FLOW_NAMES: readonly string[] = ["normal", "device", "token", "client_credentials"];

/** The most `--oidc-client-secret-file` may hold. */
const MAX_CLIENT_SECRET_BYTES = 64 * 1024;

/**
 * A keyless signer, as cosign's sign.KeylessSigner: the identity token (flag, file, ambient
 * providers, browser or device flow), a Fulcio certificate for an ephemeral key (or for `key`
 * with `--issue-certificate`), its SCT checked against the CT log keys of `--trusted-root`, else
 * SIGSTORE_CT_LOG_PUBLIC_KEY_FILE (skipped with `--insecure-skip-verify`).
 *
 * @param key the signer to certify (`--issue-certificate --key`), else an ephemeral key
 * @param consent the privacy consent, asked before the browser flow as cosign does
 * @returns the signer with its certificate
 * @throws {IdentityError} `OIDC_*` for the token; {SigstoreError} `FULCIO_*`, `SCT_*`;
 *   {VerificationError} `FULCIO_KEY_MISMATCH`; {UsageError} when no CT log key is known
 */
async function keylessSigner(
  ctx: Context,
  key: Signer | undefined,
  consent: () => Promise<void>,
): Promise<KeylessSigner> {
  const f = ctx.flags;
  const { createKeylessSigner } = await import("../../lib/sign/keyless_signer.ts");
  let lines = Promise.resolve();
  const print = (line: string) => {
    lines = lines.then(() => ctx.info(line));
  };
  const printStdout = (line: string) => {
    lines = lines.then(() => writeAll(ctx.io.stdout, line + "\n"));
  };
  let clientSecret: string | undefined;
  const secretFile = f["oidc-client-secret-file"] as string;
  if (secretFile) {
    const { readKeyRef } = await import("../../lib/keys/key_ref.ts");
    const bytes = await readKeyRef(secretFile, keyRefDeps(ctx));
    if (bytes.length > MAX_CLIENT_SECRET_BYTES) {
      throw new UsageError(`--oidc-client-secret-file is larger than 64 KiB`);
    }
    clientSecret = new TextDecoder().decode(bytes).trim();
  }
  const verifySct = f["insecure-skip-verify"] === true ? null : await sctVerifier(ctx);
  try {
    return await createKeylessSigner({
      fulcioUrl: f["fulcio-url"] as string,
      signer: key,
      signal: ctx.signal,
      verifySct,
      print,
      identity: {
        identityToken: f["identity-token"] as string,
        disableAmbientProviders: f["oidc-disable-ambient-providers"] === true,
        provider: (f["oidc-provider"] as string) || undefined,
        getEnv: (name) => ctx.io.getEnv(name),
        flow: (f["fulcio-auth-flow"] as string) || undefined,
        issuer: f["oidc-issuer"] as string,
        clientId: f["oidc-client-id"] as string,
        clientSecret,
        redirectUrl: (f["oidc-redirect-url"] as string) || undefined,
        interactive: ctx.io.isTerminal.stdin,
        print,
        printStdout,
        warn: print,
        confirm: async () => {
          await lines;
          await consent();
        },
        signal: ctx.signal,
      },
    });
  } finally {
    await lines;
  }
}

/**
 * The SCT check of Fulcio's certificate: against `--trusted-root`'s CT logs, else the key at
 * SIGSTORE_CT_LOG_PUBLIC_KEY_FILE, else the TUF repository's trusted root (cosign's
 * fulcioverifier and GetCTLogPubs).
 *
 * @throws {UsageError} when none is available
 */
async function sctVerifier(ctx: Context): Promise<SctVerifier> {
  const { ctLogId } = await import("../../lib/x509/mod.ts");
  let logs: CtLogKey[];
  if (ctx.flags["trusted-root"]) {
    const { ctLogKeys } = await import("../../lib/trust/trusted_root.ts");
    logs = ctLogKeys(await loadTrustedRoot(ctx));
  } else {
    const path = ctx.io.getEnv("SIGSTORE_CT_LOG_PUBLIC_KEY_FILE");
    if (!path) {
      // cosign: the TUF repository's trusted root (sign.go fetches it for keyless signing).
      const { tufTrustedRootForSigning } = await import("./signing_trust.ts");
      const { ctLogKeys } = await import("../../lib/trust/trusted_root.ts");
      return sctCheck(ctLogKeys(
        await tufTrustedRootForSigning(
          ctx,
          "cannot verify Fulcio's SCT without CT log keys",
          "pass --trusted-root, set SIGSTORE_CT_LOG_PUBLIC_KEY_FILE, or --insecure-skip-verify",
        ),
      ));
    }
    const { readKeyRef } = await import("../../lib/keys/key_ref.ts");
    const { parsePublicKeyPem } = await import("../../lib/keys/public_key.ts");
    const publicKey = parsePublicKeyPem(await readKeyRef(path, keyRefDeps(ctx)));
    logs = [{ logId: ctLogId(publicKey.spki), publicKey }];
  }
  return await sctCheck(logs);
}

/** The SCT check of {@link sctVerifier} against `logs`. */
async function sctCheck(logs: CtLogKey[]): Promise<SctVerifier> {
  const { parseCertificate, parseDetachedSct, verifySct } = await import(
    "../../lib/x509/mod.ts"
  );
  return async ({ certificateDer, chainDer, sct }) => {
    const leaf = parseCertificate(certificateDer);
    const issuer = chainDer.length ? parseCertificate(chainDer[0]) : undefined;
    await verifySct(leaf, issuer, logs, {
      detached: sct.kind === "detached" ? parseDetachedSct(sct.sct) : undefined,
    });
  };
}

/**
 * The log key for checking upload answers: the trusted root's logs (picked by log ID and the
 * entry's time), else the key at SIGSTORE_REKOR_PUBLIC_KEY, else, keyless or with a signing
 * config, the TUF trusted root's logs (signing with a key, or when TUF is unavailable, with a
 * warning: undefined, the log's served key).
 *
 * @throws {IoError} `INPUT_UNREADABLE` when `--trusted-root` cannot be read
 */
async function uploadLogKey(
  ctx: Context,
  keyless: boolean,
): Promise<PublicKey | LogKeySelector | undefined> {
  const { readKeyRef } = await import("../../lib/keys/key_ref.ts");
  if (ctx.flags["trusted-root"]) {
    const { rekorLogKeySelector } = await import("../../lib/trust/trusted_root.ts");
    return rekorLogKeySelector(await loadTrustedRoot(ctx));
  }
  const path = ctx.io.getEnv("SIGSTORE_REKOR_PUBLIC_KEY");
  if (!path) {
    // Keyless or with a signing config, cosign has fetched the TUF trusted root: its logs.
    const { usesSigningConfig } = await import("./signing_config_options.ts");
    if (!keyless && !usesSigningConfig(ctx)) return undefined;
    const { tufTrustedRootForSigning } = await import("./signing_trust.ts");
    const { rekorLogKeySelector } = await import("../../lib/trust/trusted_root.ts");
    try {
      return rekorLogKeySelector(
        await tufTrustedRootForSigning(
          ctx,
          "cannot check the transparency log's answer with a known key",
          "pass --trusted-root, set SIGSTORE_REKOR_PUBLIC_KEY",
        ),
      );
    } catch (e) {
      // cosign warns and continues without the trusted root; the log's served key is used.
      await ctx.warn(`${(e as Error).message}; using the key the log serves`);
      return undefined;
    }
  }
  const { parsePublicKeyPem } = await import("../../lib/keys/public_key.ts");
  return parsePublicKeyPem(await readKeyRef(path, keyRefDeps(ctx)));
}

/**
 * Loads the signer of `--key`, asking for its password when needed.
 *
 * @param options `ed25519ph`: Ed25519 keys sign with Ed25519ph (cosign does when logging blobs,
 *   and always for attestations)
 * @throws {KeyError} when the key cannot be read or decrypted
 */
async function loadSigningKey(
  ctx: Context,
  key: string,
  options: { ed25519ph?: boolean } = {},
): Promise<Signer> {
  const { loadSigner } = await import("../../lib/sign/load_signer.ts");
  const signer = await loadSigner(
    key,
    { ...keyRefDeps(ctx), getPassword: () => readPassword(ctx.io, false) },
    options,
  );
  // cosign sign.go: a token key's certificate (same id/label) is attached; without one it warns.
  const token = key.startsWith("pkcs11:") ? "PKCS11" : key.startsWith("piv:") ? "PIV" : undefined;
  if (token && typeof (signer as { certificatePem?: unknown }).certificatePem !== "string") {
    await ctx.warn(`no x509 certificate retrieved from the ${token} token`);
  }
  return signer;
}

/**
 * cosign's ShouldUploadToTlog: the privacy statement is shown once, and the question asked unless
 * `--yes`.
 *
 * @returns a function to call before each upload (asks once)
 */
function privacyConsent(ctx: Context): () => Promise<void> {
  let asked: Promise<void> | undefined;
  return () =>
    asked ??= (async () => {
      await ctx.info(PRIVACY_STATEMENT);
      await ctx.info(PRIVACY_CONFIRMATION);
      if (ctx.flags.yes !== true) await confirmContinue(ctx.io);
    })();
}

/** The signing clock: `SOURCE_DATE_EPOCH` when set, as in cosign. */
function clock(ctx: Context): () => Date {
  const epoch = ctx.io.getEnv("SOURCE_DATE_EPOCH");
  if (epoch === undefined || epoch === "") return () => new Date();
  if (!/^\d+$/.test(epoch)) throw new UsageError(`invalid SOURCE_DATE_EPOCH "${epoch}"`);
  return () => new Date(Number(epoch) * 1000);
}

/**
 * The upload of a signed envelope to the transparency log (attest, attest-blob): the privacy
 * consent (once), the entry (`--rekor-entry-type`), and cosign's "tlog entry created" line.
 *
 * @param entryType `dsse` or `intoto`
 * @returns the uploader, resolving to the logged entry
 */
export function envelopeWitness(
  ctx: Context,
  o: SigningOptions,
  entryType: "dsse" | "intoto",
): (envelope: Uint8Array) => Promise<RekorEntry> {
  return async (envelope) => {
    await o.consent();
    const { envelopeUploader } = await import("../../lib/sign/envelope_uploader.ts");
    // A keyless signer's entry records its certificate.
    const upload = envelopeUploader(o.rekorUrl, await o.signer(), entryType, {
      signal: ctx.signal,
      logKey: await o.logKey(),
    });
    const entry = await upload(envelope);
    await ctx.info(`tlog entry created with index: ${entry.logIndex}`);
    return entry;
  };
}
