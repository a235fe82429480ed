/**
 * Fulcio's certificate extensions (OIDs 1.3.6.1.4.1.57264.1.*, fulcio docs/oid-info.md) and the
 * identities cosign reads from a Fulcio certificate.
 *
 * Two generations coexist: 1.1-1.6 hold raw strings (no DER), 1.8-1.24 hold DER strings
 * (UTF8String). Fulcio still writes both the deprecated issuer 1.1 and its successor 1.8.
 * cosign's own checks and output read only the raw 1.1-1.6 values (cosign
 * pkg/cosign/certextensions.go); sigstore-go, which cosign uses for Sigstore bundles, reads both
 * generations, the later of 1.1/1.8 giving the issuer (pkg/fulcio/certificate/extensions.go).
 *
 * @module
 */
import { parseDer } from "../asn1/der.ts";
import { derString } from "../asn1/der.ts";
import type { Certificate } from "./certificate.ts";

const ARC = "1.3.6.1.4.1.57264.1.";

/** Fulcio's extension OIDs (fulcio docs/oid-info.md). */
export const FULCIO_OID = {
  /** Deprecated raw-string issuer; cosign reads only this one. */
  issuerV1: ARC + "1",
  githubWorkflowTrigger: ARC + "2",
  githubWorkflowSha: ARC + "3",
  githubWorkflowName: ARC + "4",
  githubWorkflowRepository: ARC + "5",
  githubWorkflowRef: ARC + "6",
  /** The `type-id` of Fulcio's username otherName SAN (not an extension). */
  otherName: ARC + "7",
  issuer: ARC + "8",
  buildSignerUri: ARC + "9",
  buildSignerDigest: ARC + "10",
  runnerEnvironment: ARC + "11",
  sourceRepositoryUri: ARC + "12",
  sourceRepositoryDigest: ARC + "13",
  sourceRepositoryRef: ARC + "14",
  sourceRepositoryIdentifier: ARC + "15",
  sourceRepositoryOwnerUri: ARC + "16",
  sourceRepositoryOwnerIdentifier: ARC + "17",
  buildConfigUri: ARC + "18",
  buildConfigDigest: ARC + "19",
  buildTrigger: ARC + "20",
  runInvocationUri: ARC + "21",
  sourceRepositoryVisibilityAtSigning: ARC + "22",
  deploymentEnvironment: ARC + "23",
  tokenSubject: ARC + "24",
} as const;

/** The values of Fulcio's extensions that a certificate carries (absent when not present). */
export interface FulcioExtensions {
  /** OIDC issuer: 1.8, or the deprecated 1.1, whichever comes later in the certificate. */
  issuer?: string;
  githubWorkflowTrigger?: string;
  githubWorkflowSha?: string;
  githubWorkflowName?: string;
  githubWorkflowRepository?: string;
  githubWorkflowRef?: string;
  buildSignerUri?: string;
  buildSignerDigest?: string;
  runnerEnvironment?: string;
  sourceRepositoryUri?: string;
  sourceRepositoryDigest?: string;
  sourceRepositoryRef?: string;
  sourceRepositoryIdentifier?: string;
  sourceRepositoryOwnerUri?: string;
  sourceRepositoryOwnerIdentifier?: string;
  buildConfigUri?: string;
  buildConfigDigest?: string;
  buildTrigger?: string;
  runInvocationUri?: string;
  sourceRepositoryVisibilityAtSigning?: string;
  deploymentEnvironment?: string;
  tokenSubject?: string;
}

const RAW_FIELDS: Record<string, keyof FulcioExtensions> = {
  [FULCIO_OID.issuerV1]: "issuer",
  [FULCIO_OID.githubWorkflowTrigger]: "githubWorkflowTrigger",
  [FULCIO_OID.githubWorkflowSha]: "githubWorkflowSha",
  [FULCIO_OID.githubWorkflowName]: "githubWorkflowName",
  [FULCIO_OID.githubWorkflowRepository]: "githubWorkflowRepository",
  [FULCIO_OID.githubWorkflowRef]: "githubWorkflowRef",
};

const DER_FIELDS: Record<string, keyof FulcioExtensions> = {};
for (
  const field of [
    "issuer",
    "buildSignerUri",
    "buildSignerDigest",
    "runnerEnvironment",
    "sourceRepositoryUri",
    "sourceRepositoryDigest",
    "sourceRepositoryRef",
    "sourceRepositoryIdentifier",
    "sourceRepositoryOwnerUri",
    "sourceRepositoryOwnerIdentifier",
    "buildConfigUri",
    "buildConfigDigest",
    "buildTrigger",
    "runInvocationUri",
    "sourceRepositoryVisibilityAtSigning",
    "deploymentEnvironment",
    "tokenSubject",
  ] as const
) DER_FIELDS[FULCIO_OID[field]] = field;

/** Go's `string(bytes)` as printed or compared: invalid UTF-8 becomes U+FFFD. */
const rawString = (value: Uint8Array) => new TextDecoder().decode(value);

/**
 * The value of one raw-string extension (1.1-1.6) as cosign reads it (`string(ext.Value)`).
 *
 * @returns the value, or "" when the certificate lacks the extension (cosign's zero value)
 */
export function rawExtension(cert: Certificate, oid: string): string {
  const ext = cert.extensions.findLast((e) => e.oid === oid);
  return ext ? rawString(ext.value) : "";
}

/**
 * Reads Fulcio's extensions as sigstore-go's `certificate.ParseExtensions` does: raw strings for
 * 1.1-1.6, DER strings (no trailing bytes) for 1.8-1.24, the issuer from whichever of 1.1 and 1.8
 * comes later.
 *
 * @param cert the certificate
 * @returns the values present
 * @throws {SyntaxError} "Cannot parse Fulcio extension <oid>: …" for a 1.8+ value that is not one
 *   DER string
 */
export function parseFulcioExtensions(cert: Certificate): FulcioExtensions {
  const out: FulcioExtensions = {};
  for (const ext of cert.extensions) {
    const raw = RAW_FIELDS[ext.oid];
    if (raw) {
      out[raw] = rawString(ext.value);
      continue;
    }
    const der = DER_FIELDS[ext.oid];
    if (!der) continue;
    try {
      out[der] = derString(parseDer(ext.value, { maxDepth: 1, maxNodes: 1 }));
    } catch (e) {
      throw new SyntaxError(
        `Cannot parse Fulcio extension ${ext.oid}: unexpected error unmarshalling DER-encoded string: ${
          (e as Error).message
        }`,
        { cause: e },
      );
    }
  }
  return out;
}

/**
 * Fulcio's username SAN as sigstore's `cryptoutils.UnmarshalOtherNameSAN` reads it: exactly one
 * otherName, of type 1.3.6.1.4.1.57264.1.7, holding a UTF8String.
 *
 * @returns the name, or undefined when there is none, several, or one of another type
 */
export function otherNameSan(cert: Certificate): string | undefined {
  const names = cert.subjectAltName?.otherNames ?? [];
  if (names.length !== 1 || names[0].typeId !== FULCIO_OID.otherName) return undefined;
  return names[0].utf8 || undefined;
}

/**
 * Every subject alternative name in cosign's order (sigstore `cryptoutils.GetSubjectAlternateNames`):
 * DNS names, emails, IP addresses, URIs, then Fulcio's otherName.
 *
 * @param cert the certificate
 * @returns the names (possibly none)
 */
export function subjectAlternativeNames(cert: Certificate): string[] {
  const san = cert.subjectAltName;
  if (!san) return [];
  const other = otherNameSan(cert);
  return [
    ...san.dnsNames,
    ...san.emails,
    ...san.ipAddresses,
    ...san.uris,
    ...(other ? [other] : []),
  ];
}

/**
 * The signer identity sigstore-go summarizes a certificate by (`SummarizeCertificate`): the first
 * URI, else the first email, else Fulcio's otherName.
 *
 * @param cert the certificate
 * @returns the identity, or undefined when the certificate has none of them
 */
export function certificateIdentity(cert: Certificate): string | undefined {
  const san = cert.subjectAltName;
  return san?.uris[0] ?? san?.emails[0] ?? otherNameSan(cert);
}

/**
 * The certificate fields cosign adds to each entry's `optional` object in `cosign verify` JSON
 * output (cosign cmd/cosign/cli/verify/common.go PrintVerification): `Subject` (the first SAN, or
 * ""), and for each raw extension present both its readable name and its OID.
 */
export interface CosignCertificateFields {
  Subject: string;
  Issuer?: string;
  "1.3.6.1.4.1.57264.1.1"?: string;
  githubWorkflowTrigger?: string;
  "1.3.6.1.4.1.57264.1.2"?: string;
  githubWorkflowSha?: string;
  "1.3.6.1.4.1.57264.1.3"?: string;
  githubWorkflowName?: string;
  "1.3.6.1.4.1.57264.1.4"?: string;
  githubWorkflowRepository?: string;
  "1.3.6.1.4.1.57264.1.5"?: string;
  githubWorkflowRef?: string;
  "1.3.6.1.4.1.57264.1.6"?: string;
}

/**
 * Builds {@link CosignCertificateFields} for a certificate. Keys come in the order Go's
 * encoding/json prints map keys (bytewise sorted), so merging into an object that is then
 * serialized in sorted order reproduces cosign's output.
 *
 * @param cert the signing certificate
 * @returns the fields (only `Subject` when the certificate has no Fulcio extensions)
 */
export function cosignCertificateFields(cert: Certificate): CosignCertificateFields {
  const out: Record<string, string> = { Subject: subjectAlternativeNames(cert)[0] ?? "" };
  const issuer = rawExtension(cert, FULCIO_OID.issuerV1);
  if (issuer) {
    out.Issuer = issuer;
    out[FULCIO_OID.issuerV1] = issuer;
  }
  for (
    const name of [
      "githubWorkflowTrigger",
      "githubWorkflowSha",
      "githubWorkflowName",
      "githubWorkflowRepository",
      "githubWorkflowRef",
    ] as const
  ) {
    const value = rawExtension(cert, FULCIO_OID[name]);
    if (value) {
      out[name] = value;
      out[FULCIO_OID[name]] = value;
    }
  }
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(out).sort()) sorted[k] = out[k];
  return sorted as unknown as CosignCertificateFields;
}
