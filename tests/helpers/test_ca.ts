/**
 * A small certificate authority for tests only: WebCrypto keys and DER certificates built field
 * by field, so that tests can make every kind of bad certificate (wrong signature, missing CA
 * flag, foreign extensions, embedded SCTs from a test CT log). Never used by library code.
 *
 * @module
 */
import {
  DER_NULL,
  derBits,
  derBool,
  derContext,
  derEncode,
  derOctets,
  derOidEncode,
  derSequence,
  derSet,
  derTimeEncode,
  derUint,
  derUtf8,
  TAG,
} from "../../lib/asn1/der.ts";
import { sha256 } from "../../lib/digest.ts";
import {
  type Certificate,
  EXTENSION_OID,
  KEY_USAGES,
  type KeyUsage,
  parseCertificate,
} from "../../lib/x509/certificate.ts";

/** A test key pair. */
export interface TestKey {
  kind: "P-256" | "P-384" | "Ed25519" | "RSA" | "RSA-PSS";
  privateKey: CryptoKey;
  spki: Uint8Array;
}

/**
 * Generates a test key.
 *
 * @param kind the key type
 * @returns the key pair and its SPKI
 */
export async function generateTestKey(kind: TestKey["kind"] = "P-256"): Promise<TestKey> {
  const params: EcKeyGenParams | RsaHashedKeyGenParams | Algorithm = kind.startsWith("P-")
    ? { name: "ECDSA", namedCurve: kind }
    : kind === "Ed25519"
    ? { name: "Ed25519" }
    : {
      name: kind === "RSA" ? "RSASSA-PKCS1-v1_5" : "RSA-PSS",
      modulusLength: 2048,
      publicExponent: Uint8Array.of(1, 0, 1),
      hash: "SHA-256",
    };
  const pair = await crypto.subtle.generateKey(params, true, ["sign", "verify"]) as CryptoKeyPair;
  let spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  if (kind === "RSA-PSS") {
    // Certificates carry RSA keys as rsaEncryption whatever they sign with (Go reads only that).
    const rsa = await crypto.subtle.importKey(
      "spki",
      spki,
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      true,
      ["verify"],
    );
    spki = new Uint8Array(await crypto.subtle.exportKey("spki", rsa));
  }
  return { kind, privateKey: pair.privateKey, spki };
}

/** An X.501 Name from `[oid, value]` pairs, one RDN each (or several per RDN), UTF8String. */
export function testName(...rdns: ([string, string] | [string, string][])[]): Uint8Array {
  return derSequence(
    ...rdns.map((rdn) => {
      const atvs = (typeof rdn[0] === "string" ? [rdn] : rdn) as [string, string][];
      return derSet(...atvs.map(([oid, v]) => derSequence(derOidEncode(oid), derUtf8(v))));
    }),
  );
}

/** Common attribute OIDs for {@link testName}. */
export const ATTR = { CN: "2.5.4.3", O: "2.5.4.10", OU: "2.5.4.11", C: "2.5.4.6" } as const;

/** One encoded Extension. */
export function testExtension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical
    ? derSequence(derOidEncode(oid), derBool(true), derOctets(value))
    : derSequence(derOidEncode(oid), derOctets(value));
}

/** The value of a basicConstraints extension. */
export function basicConstraints(ca: boolean, pathLen?: number): Uint8Array {
  return derSequence(
    ...(ca ? [derBool(true)] : []),
    ...(pathLen === undefined ? [] : [derUint(BigInt(pathLen))]),
  );
}

/** The value of a keyUsage extension. */
export function keyUsage(...usages: KeyUsage[]): Uint8Array {
  const bits = new Uint8Array(2);
  let last = -1;
  for (const u of usages) {
    const bit = KEY_USAGES.indexOf(u);
    bits[bit >> 3] |= 0x80 >> (bit & 7);
    last = Math.max(last, bit);
  }
  const len = last < 8 ? 1 : 2;
  const used = bits.subarray(0, len);
  const lastByte = used[len - 1];
  let unused = 0;
  while (unused < 7 && !(lastByte & (1 << unused))) unused++;
  return derEncode(TAG.BIT_STRING, Uint8Array.of(lastByte ? unused : 0), used);
}

/** The value of an extKeyUsage extension. */
export function extKeyUsage(...oids: string[]): Uint8Array {
  return derSequence(...oids.map(derOidEncode));
}

/** The value of a subjectAltName extension. */
export function subjectAltName(names: {
  emails?: string[];
  uris?: string[];
  dns?: string[];
  ips?: Uint8Array[];
  otherNames?: [string, Uint8Array][];
}): Uint8Array {
  const enc = new TextEncoder();
  return derSequence(
    ...(names.otherNames ?? []).map(([oid, value]) =>
      derContext(0, true, derOidEncode(oid), derContext(0, true, value))
    ),
    ...(names.emails ?? []).map((e) => derContext(1, false, enc.encode(e))),
    ...(names.dns ?? []).map((e) => derContext(2, false, enc.encode(e))),
    ...(names.uris ?? []).map((e) => derContext(6, false, enc.encode(e))),
    ...(names.ips ?? []).map((e) => derContext(7, false, e)),
  );
}

/** What {@link issueTestCertificate} makes. */
export interface TestCertificateOptions {
  /** The subject's public key (defaults to a new P-256 key, returned as `key`). */
  subjectKey?: TestKey;
  subject?: Uint8Array;
  /** The signing key; the certificate is self-signed when absent. */
  issuerKey?: TestKey;
  /** The issuer's name (defaults to `issuerCert.subject`, or the subject when self-signed). */
  issuer?: Uint8Array;
  issuerCert?: Certificate;
  serial?: bigint;
  notBefore?: number;
  notAfter?: number;
  /** Encoded extensions (see {@link testExtension}). */
  extensions?: Uint8Array[];
  /** Adds subject/authority key identifiers (default true). */
  keyIds?: boolean;
  /** Signature hash for ECDSA and RSA (default SHA-256). */
  hash?: "SHA-256" | "SHA-384" | "SHA-512";
  /** Embedded SCTs signed by these test CT logs (RFC 6962 §3.3), at `notBefore` + 1 s. */
  scts?: { key: TestKey; timestamp?: number }[];
}

const SIG_OID: Record<string, Record<string, string>> = {
  ecdsa: {
    "SHA-256": "1.2.840.10045.4.3.2",
    "SHA-384": "1.2.840.10045.4.3.3",
    "SHA-512": "1.2.840.10045.4.3.4",
  },
  rsa: {
    "SHA-256": "1.2.840.113549.1.1.11",
    "SHA-384": "1.2.840.113549.1.1.12",
    "SHA-512": "1.2.840.113549.1.1.13",
  },
};

const HASH_OID: Record<string, string> = {
  "SHA-256": "2.16.840.1.101.3.4.2.1",
  "SHA-384": "2.16.840.1.101.3.4.2.2",
  "SHA-512": "2.16.840.1.101.3.4.2.3",
};

function algorithmIdentifier(key: TestKey, hash: string): Uint8Array {
  switch (key.kind) {
    case "Ed25519":
      return derSequence(derOidEncode("1.3.101.112"));
    case "RSA":
      return derSequence(derOidEncode(SIG_OID.rsa[hash]), DER_NULL);
    case "RSA-PSS": {
      const h = derSequence(derOidEncode(HASH_OID[hash]), DER_NULL);
      const salt = hash === "SHA-256" ? 32 : hash === "SHA-384" ? 48 : 64;
      return derSequence(
        derOidEncode("1.2.840.113549.1.1.10"),
        derSequence(
          derContext(0, true, h),
          derContext(1, true, derSequence(derOidEncode("1.2.840.113549.1.1.8"), h)),
          derContext(2, true, derUint(BigInt(salt))),
        ),
      );
    }
    default:
      return derSequence(derOidEncode(SIG_OID.ecdsa[hash]));
  }
}

/**
 * Signs `data` as X.509 and RFC 6962 expect: DER ECDSA, PKCS#1 v1.5 or PSS RSA, raw Ed25519.
 *
 * @returns the signature bytes
 */
export async function testSign(
  key: TestKey,
  data: Uint8Array,
  hash = "SHA-256",
): Promise<Uint8Array> {
  const buf = data as Uint8Array<ArrayBuffer>;
  if (key.kind === "Ed25519") {
    return new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, key.privateKey, buf));
  }
  if (key.kind === "RSA" || key.kind === "RSA-PSS") {
    // Keys are generated with SHA-256; re-import for other hashes.
    const jwk = await crypto.subtle.exportKey("jwk", key.privateKey);
    const name = key.kind === "RSA" ? "RSASSA-PKCS1-v1_5" : "RSA-PSS";
    delete jwk.alg;
    const k = await crypto.subtle.importKey("jwk", jwk, { name, hash }, false, ["sign"]);
    const saltLength = hash === "SHA-256" ? 32 : hash === "SHA-384" ? 48 : 64;
    return new Uint8Array(await crypto.subtle.sign({ name, saltLength }, k, buf));
  }
  const p1363 = new Uint8Array(
    await crypto.subtle.sign({ name: "ECDSA", hash }, key.privateKey, buf),
  );
  const half = p1363.length / 2;
  return derSequence(derUint(p1363.subarray(0, half)), derUint(p1363.subarray(half)));
}

/**
 * Builds and signs a certificate.
 *
 * @returns the parsed certificate and the subject's key
 */
export async function issueTestCertificate(
  opts: TestCertificateOptions = {},
): Promise<{ cert: Certificate; key: TestKey }> {
  const key = opts.subjectKey ?? await generateTestKey();
  const issuerKey = opts.issuerKey ?? key;
  const hash = opts.hash ?? "SHA-256";
  const subject = opts.subject ?? testName([ATTR.CN, "test"]);
  const issuer = opts.issuer ?? opts.issuerCert?.subject.der ?? subject;
  const notBefore = opts.notBefore ?? Date.UTC(2024, 0, 1);
  const notAfter = opts.notAfter ?? notBefore + 10 * 60_000;
  const algId = algorithmIdentifier(issuerKey, hash);
  const extensions = [...(opts.extensions ?? [])];
  if (opts.keyIds !== false) {
    extensions.push(
      testExtension(
        EXTENSION_OID.subjectKeyIdentifier,
        false,
        derOctets(sha256(key.spki).subarray(0, 20)),
      ),
    );
    const aki = opts.issuerCert?.subjectKeyId ?? sha256(issuerKey.spki).subarray(0, 20);
    extensions.push(
      testExtension(
        EXTENSION_OID.authorityKeyIdentifier,
        false,
        derSequence(derContext(0, false, aki)),
      ),
    );
  }
  const tbsOf = (exts: Uint8Array[]) =>
    derSequence(
      derContext(0, true, derUint(2n)),
      derUint(opts.serial ?? 0x1234n),
      algId,
      issuer,
      derSequence(derTimeEncode(notBefore), derTimeEncode(notAfter)),
      subject,
      key.spki,
      ...(exts.length ? [derContext(3, true, derSequence(...exts))] : []),
    );
  if (opts.scts?.length) {
    // The log signs the precertificate TBS: this TBS without the SCT list (RFC 6962 §3.2).
    const precertTbs = tbsOf(extensions);
    const issuerKeyHash = sha256(issuerKey.spki);
    const list: Uint8Array[] = [];
    for (const { key: logKey, timestamp } of opts.scts) {
      list.push(
        await testSct(logKey, timestamp ?? notBefore + 1000, { issuerKeyHash, tbs: precertTbs }),
      );
    }
    const tls = concat(
      u16(list.reduce((n, s) => n + 2 + s.length, 0)),
      ...list.flatMap((s) => [u16(s.length), s]),
    );
    extensions.push(testExtension(EXTENSION_OID.sctList, false, derOctets(tls)));
  }
  const tbs = tbsOf(extensions);
  const signature = await testSign(issuerKey, tbs, hash);
  const der = derSequence(tbs, algId, derBits(signature));
  return { cert: parseCertificate(der), key };
}

const u16 = (n: number) => Uint8Array.of(n >> 8, n & 0xff);
const u24 = (n: number) => Uint8Array.of(n >> 16, (n >> 8) & 0xff, n & 0xff);

function u64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * A TLS-encoded SCT (RFC 6962 §3.2) signed by a test log, over a precertificate entry or, given
 * `cert`, an X.509 entry.
 *
 * @returns the serialized SCT
 */
export async function testSct(
  logKey: TestKey,
  timestamp: number,
  entry: { issuerKeyHash: Uint8Array; tbs: Uint8Array } | { cert: Uint8Array },
  extensions: Uint8Array = new Uint8Array(0),
): Promise<Uint8Array> {
  const signed = "cert" in entry
    ? concat(Uint8Array.of(0, 0), u64(timestamp), u16(0), u24(entry.cert.length), entry.cert)
    : concat(
      Uint8Array.of(0, 0),
      u64(timestamp),
      u16(1),
      entry.issuerKeyHash,
      u24(entry.tbs.length),
      entry.tbs,
    );
  const data = concat(signed, u16(extensions.length), extensions);
  const sig = await testSign(logKey, data);
  const sigAlg = logKey.kind === "Ed25519" ? 7 : logKey.kind.startsWith("RSA") ? 1 : 3;
  return concat(
    Uint8Array.of(0),
    sha256(logKey.spki),
    u64(timestamp),
    u16(extensions.length),
    extensions,
    Uint8Array.of(4, sigAlg),
    u16(sig.length),
    sig,
  );
}

/** A Fulcio-like chain: root (CA) → intermediate (CA, pathLen 0, codeSigning) → leaf. */
export interface TestChain {
  root: Certificate;
  rootKey: TestKey;
  intermediate: Certificate;
  intermediateKey: TestKey;
  leaf: Certificate;
  leafKey: TestKey;
}

/**
 * Makes a Fulcio-like chain valid over 2024, the leaf for ten minutes from 2024-06-01.
 *
 * @param leafOptions overrides for the leaf
 * @returns the chain and its keys
 */
export async function testChain(leafOptions: TestCertificateOptions = {}): Promise<TestChain> {
  const year = { notBefore: Date.UTC(2024, 0, 1), notAfter: Date.UTC(2025, 0, 1) };
  const { cert: root, key: rootKey } = await issueTestCertificate({
    ...year,
    subject: testName([ATTR.O, "test.dev"], [ATTR.CN, "test-root"]),
    extensions: [
      testExtension(EXTENSION_OID.keyUsage, true, keyUsage("keyCertSign", "cRLSign")),
      testExtension(EXTENSION_OID.basicConstraints, true, basicConstraints(true)),
    ],
  });
  const { cert: intermediate, key: intermediateKey } = await issueTestCertificate({
    ...year,
    subject: testName([ATTR.O, "test.dev"], [ATTR.CN, "test-intermediate"]),
    issuerKey: rootKey,
    issuerCert: root,
    extensions: [
      testExtension(EXTENSION_OID.keyUsage, true, keyUsage("keyCertSign", "cRLSign")),
      testExtension(EXTENSION_OID.extKeyUsage, false, extKeyUsage("1.3.6.1.5.5.7.3.3")),
      testExtension(EXTENSION_OID.basicConstraints, true, basicConstraints(true, 0)),
    ],
  });
  const { cert: leaf, key: leafKey } = await issueTestCertificate({
    notBefore: Date.UTC(2024, 5, 1),
    subject: derSequence(),
    issuerKey: intermediateKey,
    issuerCert: intermediate,
    extensions: [
      testExtension(EXTENSION_OID.keyUsage, true, keyUsage("digitalSignature")),
      testExtension(EXTENSION_OID.extKeyUsage, false, extKeyUsage("1.3.6.1.5.5.7.3.3")),
      testExtension(
        EXTENSION_OID.subjectAltName,
        true,
        subjectAltName({ emails: ["a@example.com"] }),
      ),
    ],
    ...leafOptions,
  });
  return { root, rootKey, intermediate, intermediateKey, leaf, leafKey };
}
