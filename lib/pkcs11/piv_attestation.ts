/**
 * YubiKey PIV key attestations (Yubico "PIV attestation"; piv-go `Verify`): the key's attestation
 * certificate must be signed by the device's attestation certificate, and its Yubico extensions
 * say the firmware version, serial number, PIN and touch policies and form factor — what
 * `cosign piv-tool attestation` prints.
 *
 * Unlike piv-go we do not carry Yubico's root CA: the device certificate's own chain is not
 * checked, only that it issued the key certificate.
 *
 * @module
 */
import {
  derBitString,
  derChildren,
  derInteger,
  type DerNode,
  derOid,
  parseDer,
  TAG,
} from "../asn1/der.ts";
import { nodeCrypto } from "../_node_crypto.ts";
import { VerificationError } from "../errors.ts";
import { encodePem } from "../keys/pem.ts";
import type { PivAttestationCertificates } from "./piv_token.ts";

/** What a key attestation says (piv-go `Attestation`). */
export interface PivAttestation {
  version: { major: number; minor: number; patch: number };
  serial: number;
  /** Yubico form factor code (1 USB-A keychain, 2 USB-A nano, 3 USB-C keychain, 4 USB-C nano, 5 USB-C/Lightning). */
  formFactor: number;
  /** 1 never, 2 once, 3 always. */
  pinPolicy: number;
  /** 1 never, 2 always, 3 cached. */
  touchPolicy: number;
  /** The device certificate's issuer, as Go prints a `pkix.Name`. */
  deviceIssuer: string;
  deviceCertificatePem: string;
  keyCertificatePem: string;
}

const YUBICO = "1.3.6.1.4.1.41482.3";

const SIGNATURE_HASH: Record<string, string> = {
  "1.2.840.113549.1.1.11": "sha256",
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.13": "sha512",
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
  "1.2.840.10045.4.3.4": "sha512",
};

const NAME_TYPES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.5": "SERIALNUMBER",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "STREET",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.17": "POSTALCODE",
};

interface Cert {
  tbs: DerNode;
  hash: string | undefined;
  signature: Uint8Array;
  issuer: DerNode;
  spki: Uint8Array;
  extensions: Map<string, Uint8Array>;
}

function parseCert(der: Uint8Array, what: string): Cert {
  try {
    const [tbs, alg, sig] = derChildren(parseDer(der, { maxDepth: 12 }), TAG.SEQUENCE, what);
    const t = derChildren(tbs, TAG.SEQUENCE, "tbsCertificate");
    const first = t[0]?.tag === TAG.CONTEXT ? 1 : 0;
    const extensions = new Map<string, Uint8Array>();
    const ext = t.find((n) => n.tag === (TAG.CONTEXT | 3));
    if (ext) {
      const [list] = ext.children ?? [];
      for (const e of derChildren(list, TAG.SEQUENCE, "extensions")) {
        const parts = derChildren(e, TAG.SEQUENCE, "extension");
        extensions.set(derOid(parts[0]), parts[parts.length - 1].value);
      }
    }
    return {
      tbs,
      hash: SIGNATURE_HASH[derOid(derChildren(alg, TAG.SEQUENCE, "signatureAlgorithm")[0])],
      signature: derBitString(sig),
      issuer: t[first + 2],
      spki: t[first + 5].raw,
      extensions,
    };
  } catch (e) {
    throw new SyntaxError(`Cannot parse ${what}: ${(e as Error).message}`, { cause: e });
  }
}

/** `pkix.Name.ToRDNSequence`'s order of the attributes Go parses into fields. */
const GO_NAME_ORDER = [
  "2.5.4.6",
  "2.5.4.8",
  "2.5.4.7",
  "2.5.4.9",
  "2.5.4.17",
  "2.5.4.10",
  "2.5.4.11",
  "2.5.4.3",
  "2.5.4.5",
];

function escapeValue(value: string): string {
  let s = value.replace(/([,+"\\<>;])/g, "\\$1");
  if (s.startsWith(" ") || s.startsWith("#")) s = "\\" + s;
  if (s.endsWith(" ") && s.length > 1) s = s.slice(0, -1) + "\\ ";
  return s;
}

/**
 * Go's `pkix.Name.String()` of a parsed name: the known attributes regrouped in Go's field order
 * (C, ST, L, STREET, POSTALCODE, O, OU, CN, SERIALNUMBER; the last CN and SERIALNUMBER win),
 * printed last to first with RFC 2253 escaping, other attributes after them as `oid=#hex` (of
 * their DER as found, where Go re-encodes the value).
 */
export function formatDistinguishedName(name: DerNode): string {
  const byType = new Map<string, string[]>();
  const unknown: string[] = [];
  for (const rdn of derChildren(name, TAG.SEQUENCE, "name")) {
    for (const atv of derChildren(rdn, TAG.SET, "relative distinguished name")) {
      const [type, value] = derChildren(atv, TAG.SEQUENCE, "attribute");
      const oid = derOid(type);
      if (!NAME_TYPES[oid]) {
        unknown.push(`${oid}=#${value.raw.toHex()}`);
        continue;
      }
      const text = new TextDecoder().decode(value.value);
      if (oid === "2.5.4.3" || oid === "2.5.4.5") byType.set(oid, [text]);
      else byType.set(oid, [...(byType.get(oid) ?? []), text]);
    }
  }
  const known = GO_NAME_ORDER.filter((oid) => byType.has(oid)).map((oid) =>
    byType.get(oid)!.map((v) => `${NAME_TYPES[oid]}=${escapeValue(v)}`).join("+")
  );
  return [...known.reverse(), ...unknown.reverse()].join(",");
}

/**
 * Verifies a key attestation and reads what it says.
 *
 * @param certs the device and key attestation certificates (DER)
 * @returns the attestation
 * @throws {VerificationError} `SIGNATURE_INVALID` "Cannot verify PIV attestation: …" when the key
 *   certificate is not signed by the device certificate or lacks Yubico's extensions
 * @throws {SyntaxError} for a certificate that does not parse
 */
export function verifyPivAttestation(certs: PivAttestationCertificates): PivAttestation {
  const device = parseCert(certs.deviceCertificate, "device attestation certificate");
  const key = parseCert(certs.keyCertificate, "key attestation certificate");
  const fail = (detail: string) =>
    new VerificationError("SIGNATURE_INVALID", `Cannot verify PIV attestation: ${detail}`);
  if (!key.hash) throw fail("unsupported signature algorithm of the key certificate");
  const { verify } = nodeCrypto();
  let ok = false;
  try {
    ok = verify(
      key.hash,
      key.tbs.raw,
      { key: device.spki as never, format: "der", type: "spki" },
      key.signature,
    );
  } catch {
    ok = false;
  }
  if (!ok) throw fail("the key certificate is not signed by the device certificate");
  const ext = (n: number) => key.extensions.get(`${YUBICO}.${n}`);
  const firmware = ext(3);
  const serial = ext(7);
  const policy = ext(8);
  const formFactor = ext(9);
  if (!firmware || firmware.length < 3 || !policy || policy.length < 2) {
    throw fail("the key certificate has no Yubico firmware or policy extension");
  }
  return {
    version: { major: firmware[0], minor: firmware[1], patch: firmware[2] },
    serial: serial ? Number(derInteger(parseDer(serial))) : 0,
    formFactor: formFactor?.[0] ?? 0,
    pinPolicy: policy[0],
    touchPolicy: policy[1],
    deviceIssuer: formatDistinguishedName(device.issuer),
    deviceCertificatePem: encodePem("CERTIFICATE", certs.deviceCertificate),
    keyCertificatePem: encodePem("CERTIFICATE", certs.keyCertificate),
  };
}
