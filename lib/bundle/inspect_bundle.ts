/**
 * What a Sigstore bundle holds, as the tree cosign 3's `cosign bundle inspect` prints
 * (cmd/cosign/cli/bundle/inspect.go): media type, verification material (certificate fields and
 * extensions, embedded SCTs, public key hint), transparency log entries with their proofs and
 * checkpoints, RFC 3161 timestamps, and the content (message signature or DSSE envelope, with the
 * in-toto statement's predicate type and subjects). Problems are shown as `[!] WARNING` lines;
 * nothing is verified. With a trusted root, log IDs and CA key IDs are shown as the services'
 * URLs.
 *
 * One difference from cosign 3.1.2: the signatures of a DSSE envelope with more than one
 * signature are listed (cosign loses them from its tree when the payload is not an in-toto
 * statement, an accident of Go slice growth).
 *
 * @module
 */
import { derChildren, derString, parseDer, TAG } from "../asn1/der.ts";
import { parsePublicKeyDer } from "../keys/public_key.ts";
import { parseCheckpoint } from "../rekor/checkpoint.ts";
import { parseTimestampResponse } from "../timestamp/parse_timestamp_response.ts";
import type { TrustedRoot } from "../trust/trusted_root.ts";
import { type Certificate, parseCertificate } from "../x509/certificate.ts";
import { embeddedScts, type SignedCertificateTimestamp } from "../x509/sct.ts";
import { MAX_SIGSTORE_BUNDLE_BYTES } from "./bundle.ts";

interface Node {
  label: string;
  value: string;
  children: Node[];
}

function node(label = "", value = ""): Node {
  return { label, value, children: [] };
}

function add(n: Node, label: string, value = ""): Node {
  const c = node(label, value);
  n.children.push(c);
  return c;
}

function render(n: Node, depth: number, out: string[]): void {
  if (n.label !== "") {
    const indent = "  ".repeat(depth);
    out.push(n.value !== "" ? `${indent}- ${n.label}: ${n.value}` : `${indent}- ${n.label}:`);
    depth++;
  }
  for (const c of n.children) render(c, depth, out);
}

const MEDIA_TYPES: Record<string, number> = {
  "application/vnd.dev.sigstore.bundle+json;version=0.1": 1,
  "application/vnd.dev.sigstore.bundle+json;version=0.2": 2,
  "application/vnd.dev.sigstore.bundle+json;version=0.3": 3,
  "application/vnd.dev.sigstore.bundle.v0.3+json": 3,
};

const HASH_ALGORITHMS = [
  "HASH_ALGORITHM_UNSPECIFIED",
  "SHA2_256",
  "SHA2_384",
  "SHA2_512",
  "SHA3_256",
  "SHA3_384",
];

// ---------------------------------------------------------------------------------------------
// protojson reading (strict: unknown fields are an error, as protojson.Unmarshal)

type Obj = Record<string, unknown>;

/** The fields each message of the bundle may have (JSON names; proto names are accepted too). */
const MESSAGES: Record<string, string[]> = {
  Bundle: ["mediaType", "verificationMaterial", "messageSignature", "dsseEnvelope"],
  VerificationMaterial: [
    "publicKey",
    "x509CertificateChain",
    "certificate",
    "tlogEntries",
    "timestampVerificationData",
  ],
  PublicKeyIdentifier: ["hint"],
  X509CertificateChain: ["certificates"],
  X509Certificate: ["rawBytes"],
  TransparencyLogEntry: [
    "logIndex",
    "logId",
    "kindVersion",
    "integratedTime",
    "inclusionPromise",
    "inclusionProof",
    "canonicalizedBody",
  ],
  LogId: ["keyId"],
  KindVersion: ["kind", "version"],
  InclusionPromise: ["signedEntryTimestamp"],
  InclusionProof: ["logIndex", "rootHash", "treeSize", "hashes", "checkpoint"],
  Checkpoint: ["envelope"],
  TimestampVerificationData: ["rfc3161Timestamps"],
  RFC3161SignedTimestamp: ["signedTimestamp"],
  MessageSignature: ["messageDigest", "signature"],
  HashOutput: ["algorithm", "digest"],
  Envelope: ["payload", "payloadType", "signatures"],
  Signature: ["sig", "keyid"],
};

function bad(detail: string): SyntaxError {
  return new SyntaxError(`unmarshaling bundle: ${detail}`);
}

/** Reads a message: its known fields by JSON name, null fields dropped. */
function message(v: unknown, type: string): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw bad(`${type} is not an object`);
  }
  const out: Obj = {};
  for (const [k, val] of Object.entries(v)) {
    const name = MESSAGES[type].find((f) =>
      f === k || f.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase()) === k
    );
    if (!name) throw bad(`unknown field "${k}"`);
    if (val !== null) out[name] = val;
  }
  return out;
}

function sub(o: Obj, field: string, type: string): Obj | undefined {
  return o[field] === undefined ? undefined : message(o[field], type);
}

function list(o: Obj, field: string): unknown[] {
  const v = o[field];
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw bad(`${field} is not a list`);
  return v;
}

function str(o: Obj, field: string): string {
  const v = o[field];
  if (v === undefined) return "";
  if (typeof v !== "string") throw bad(`${field} is not a string`);
  return v;
}

function bytes(o: Obj, field: string): Uint8Array {
  const v = o[field];
  if (v === undefined) return new Uint8Array();
  if (typeof v !== "string" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) {
    throw bad(`${field} is not base64`);
  }
  return Uint8Array.fromBase64(v.replace(/=+$/, ""), {
    alphabet: /[-_]/.test(v) ? "base64url" : "base64",
    lastChunkHandling: "loose",
  });
}

function int64(o: Obj, field: string): bigint {
  const v = o[field];
  if (v === undefined) return 0n;
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  if (typeof v === "string" && /^-?\d{1,19}$/.test(v)) return BigInt(v);
  throw bad(`${field} is not an int64`);
}

function hashAlgorithm(o: Obj): string {
  const v = o.algorithm;
  if (v === undefined) return HASH_ALGORITHMS[0];
  if (typeof v === "number" && HASH_ALGORITHMS[v]) return HASH_ALGORITHMS[v];
  if (typeof v === "string" && HASH_ALGORITHMS.includes(v)) return v;
  throw bad("algorithm is not a HashAlgorithm");
}

// ---------------------------------------------------------------------------------------------
// certificates

/** Go's x509.SignatureAlgorithm.String() by OID. */
const SIGNATURE_ALGORITHMS: Record<string, string> = {
  "1.2.840.113549.1.1.2": "MD2-RSA",
  "1.2.840.113549.1.1.4": "MD5-RSA",
  "1.2.840.113549.1.1.5": "SHA1-RSA",
  "1.2.840.113549.1.1.11": "SHA256-RSA",
  "1.2.840.113549.1.1.12": "SHA384-RSA",
  "1.2.840.113549.1.1.13": "SHA512-RSA",
  "1.2.840.10040.4.3": "DSA-SHA1",
  "2.16.840.1.101.3.4.3.2": "DSA-SHA256",
  "1.2.840.10045.4.1": "ECDSA-SHA1",
  "1.2.840.10045.4.3.2": "ECDSA-SHA256",
  "1.2.840.10045.4.3.3": "ECDSA-SHA384",
  "1.2.840.10045.4.3.4": "ECDSA-SHA512",
  "1.3.101.112": "Ed25519",
};

/** RSASSA-PSS names come from the hash in the parameters. */
function signatureAlgorithmName(c: Certificate): string {
  const oid = c.signatureAlgorithm.oid;
  if (oid === "1.2.840.113549.1.1.10") {
    const p = c.signatureAlgorithm.parameters;
    const hex = p ? p.toHex() : "";
    if (hex.includes("0609608648016503040201")) return "SHA256-RSAPSS";
    if (hex.includes("0609608648016503040202")) return "SHA384-RSAPSS";
    if (hex.includes("0609608648016503040203")) return "SHA512-RSAPSS";
    return "0";
  }
  return SIGNATURE_ALGORITHMS[oid] ?? "0";
}

const KEY_USAGE_NAMES: [string, string][] = [
  ["digitalSignature", "Digital Signature"],
  ["contentCommitment", "Content Commitment"],
  ["keyEncipherment", "Key Encipherment"],
  ["dataEncipherment", "Data Encipherment"],
  ["keyAgreement", "Key Agreement"],
  ["keyCertSign", "Cert Sign"],
  ["cRLSign", "CRL Sign"],
  ["encipherOnly", "Encipher Only"],
  ["decipherOnly", "Decipher Only"],
];

const EKU_NAMES: Record<string, string> = {
  "2.5.29.37.0": "Any",
  "1.3.6.1.5.5.7.3.1": "Server Auth",
  "1.3.6.1.5.5.7.3.2": "Client Auth",
  "1.3.6.1.5.5.7.3.3": "Code Signing",
  "1.3.6.1.5.5.7.3.4": "Email Protection",
  "1.3.6.1.5.5.7.3.5": "IPSEC End System",
  "1.3.6.1.5.5.7.3.6": "IPSEC Tunnel",
  "1.3.6.1.5.5.7.3.7": "IPSEC User",
  "1.3.6.1.5.5.7.3.8": "Time Stamping",
  "1.3.6.1.5.5.7.3.9": "OCSP Signing",
};

/** Extended key usages Go knows but cosign has no name for: neither listed nor "unknown". */
const EKU_KNOWN_UNNAMED = new Set([
  "1.3.6.1.4.1.311.10.3.3",
  "2.16.840.1.113730.4.1",
  "1.3.6.1.4.1.311.2.1.22",
  "1.3.6.1.4.1.311.61.1.1",
]);

const HANDLED_OIDS = new Set(["2.5.29.15", "2.5.29.37", "2.5.29.14", "2.5.29.35", "2.5.29.17"]);
const SCT_OID = "1.3.6.1.4.1.11129.2.4.2";

/** Fulcio's certificate extensions (fulcio docs/oid-info.md), as cosign names them. */
const FULCIO_EXTENSIONS: Record<string, string> = {
  "1.3.6.1.4.1.57264.1.1": "OIDC Issuer",
  "1.3.6.1.4.1.57264.1.2": "GitHub Workflow Trigger",
  "1.3.6.1.4.1.57264.1.3": "GitHub Workflow SHA",
  "1.3.6.1.4.1.57264.1.4": "GitHub Workflow Name",
  "1.3.6.1.4.1.57264.1.5": "GitHub Workflow Repository",
  "1.3.6.1.4.1.57264.1.6": "GitHub Workflow Ref",
  "1.3.6.1.4.1.57264.1.7": "OtherName SAN",
  "1.3.6.1.4.1.57264.1.8": "Issuer (V2)",
  "1.3.6.1.4.1.57264.1.9": "Build Signer URI",
  "1.3.6.1.4.1.57264.1.10": "Build Signer Digest",
  "1.3.6.1.4.1.57264.1.11": "Runner Environment",
  "1.3.6.1.4.1.57264.1.12": "Source Repository URI",
  "1.3.6.1.4.1.57264.1.13": "Source Repository Digest",
  "1.3.6.1.4.1.57264.1.14": "Source Repository Ref",
  "1.3.6.1.4.1.57264.1.15": "Source Repository Identifier",
  "1.3.6.1.4.1.57264.1.16": "Source Repository Owner URI",
  "1.3.6.1.4.1.57264.1.17": "Source Repository Owner Identifier",
  "1.3.6.1.4.1.57264.1.18": "Build Config URI",
  "1.3.6.1.4.1.57264.1.19": "Build Config Digest",
  "1.3.6.1.4.1.57264.1.20": "Build Trigger",
  "1.3.6.1.4.1.57264.1.21": "Run Invocation URI",
  "1.3.6.1.4.1.57264.1.22": "Source Repository Visibility At Signing",
  "1.3.6.1.4.1.57264.1.23": "Deployment Environment",
  "1.3.6.1.4.1.57264.1.24": "Token Subject",
};

/** Go's time.Format(time.RFC3339) of a UTC time: seconds, no fraction. */
function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** "abcd1234...5678ef90 (65 bytes)", cosign's short form of a long key. */
function shortHex(b: Uint8Array): string {
  const h = b.toHex();
  return h.length > 20 ? `${h.slice(0, 8)}...${h.slice(-8)} (${b.length} bytes)` : h;
}

/**
 * An extension value as cosign shows it: the text of the DER string it starts with (Go's
 * asn1.Unmarshal into a string, trailing bytes allowed), else the raw bytes as text (Fulcio's
 * first extensions hold bare strings).
 */
function extensionText(value: Uint8Array): string {
  if (value.length >= 2) {
    let len = value[1];
    let off = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n && n <= 4; i++) len = len * 256 + (value[2 + i] ?? 0);
      off = n >= 1 && n <= 4 ? 2 + n : value.length + 1;
    }
    if (off + len <= value.length) {
      try {
        return derString(parseDer(value.subarray(0, off + len)));
      } catch {
        // not a DER string: shown raw
      }
    }
  }
  return new TextDecoder().decode(value);
}

function firstAttribute(
  name: Certificate["issuer"],
  oid: string,
  last = false,
): string {
  const values = name.attributes.flat().filter((a) => a.oid === oid).map((a) => a.value);
  return (last ? values[values.length - 1] : values[0]) ?? "";
}

function certificateSummary(n: Node, raw: Uint8Array, tr?: TrustedRoot): void {
  let cert: Certificate;
  try {
    cert = parseCertificate(raw);
  } catch (e) {
    add(
      n,
      "Error",
      `parsing certificate: ${
        (e as Error).message.replace(/^Cannot parse certificate: /, "x509: ")
      }`,
    );
    return;
  }
  add(n, "Signature Algorithm", signatureAlgorithmName(cert));
  if (cert.subject.text !== "") add(n, "Subject", cert.subject.text);
  const issuerCn = firstAttribute(cert.issuer, "2.5.4.3", true);
  const issuerO = firstAttribute(cert.issuer, "2.5.4.10");
  const issuerC = firstAttribute(cert.issuer, "2.5.4.6");
  if (issuerCn || issuerO || issuerC) {
    const issuer = add(n, "Issuer");
    if (issuerCn) add(issuer, "Common Name", issuerCn);
    if (issuerO) add(issuer, "Organization", issuerO);
    if (issuerC) add(issuer, "Country", issuerC);
  }
  const validity = add(n, "Validity");
  add(validity, "Not Before", rfc3339(cert.notBefore));
  add(validity, "Not After", rfc3339(cert.notAfter));

  const spki = add(n, "Subject Public Key Info");
  let key;
  try {
    key = parsePublicKeyDer(cert.spki);
  } catch {
    key = undefined;
  }
  const bits = (() => {
    try {
      const [, bitString] = derChildren(parseDer(cert.spki), TAG.SEQUENCE, "spki");
      return bitString.value.subarray(1);
    } catch {
      return new Uint8Array();
    }
  })();
  if (key?.kind === "ecdsa") {
    add(spki, "Algorithm", "ECDSA");
    add(spki, "Curve", key.curve!);
    add(spki, "Public Key", shortHex(bits));
  } else if (key?.kind === "ed25519") {
    add(spki, "Algorithm", "Ed25519");
    add(spki, "Public Key", shortHex(bits));
  } else if (key?.kind === "rsa") {
    add(spki, "Algorithm", "RSA");
    add(spki, "Key Size", `${key.bits} bits`);
  } else {
    add(spki, "Algorithm", "Unknown");
  }

  const exts = add(n, "Extensions");
  const cn = firstAttribute(cert.subject, "2.5.4.3", true);
  const san = cert.subjectAltName;
  if (cn || san?.emails.length || san?.uris.length) {
    const identity = add(exts, "Identity (Subject Alternative Name)");
    if (cn) add(identity, "Common Name", cn);
    for (const e of san?.emails ?? []) add(identity, "Email", e);
    for (const u of san?.uris ?? []) add(identity, "URI", u);
  }
  const usages = KEY_USAGE_NAMES.filter(([k]) => cert.keyUsage?.includes(k as never)).map((
    [, v],
  ) => v);
  if (usages.length) add(exts, "Key Usage", usages.join(", "));
  const ekus = cert.extKeyUsage ?? [];
  const named = ekus.filter((o) => EKU_NAMES[o]).map((o) => EKU_NAMES[o]);
  if (named.length) add(exts, "Extended Key Usage", named.join(", "));
  const unknown = ekus.filter((o) => !EKU_NAMES[o] && !EKU_KNOWN_UNNAMED.has(o));
  if (unknown.length) add(exts, "Unknown Extended Key Usage", unknown.join(", "));
  if (cert.subjectKeyId?.length) add(exts, "Subject Key ID", cert.subjectKeyId.toHex());
  if (cert.authorityKeyId?.length) {
    const id = cert.authorityKeyId.toHex();
    const url = tr ? fulcioUrl(tr, id) : "";
    if (url) add(exts, "Authority URL", url);
    else add(exts, "Authority Key ID", id);
  }
  for (const ext of cert.extensions) {
    if (HANDLED_OIDS.has(ext.oid)) continue;
    if (ext.oid === SCT_OID) {
      let scts: SignedCertificateTimestamp[];
      try {
        scts = embeddedScts(cert);
      } catch {
        scts = [];
      }
      if (scts.length) {
        const list = add(exts, "Signed Certificate Timestamps", String(scts.length));
        scts.forEach((sct, i) => {
          const s = add(list, `Signed Certificate Timestamp [${i}]`);
          add(s, "Version", `v${sct.version + 1}`);
          const id = sct.logId.toHex();
          const url = tr?.ctlogs.find((l) => l.keyId.toHex() === id)?.baseUrl ?? "";
          if (url) add(s, "Log URL", url);
          else add(s, "Log ID", id);
          add(s, "Timestamp", rfc3339(sct.timestamp));
          add(s, "Extensions", sct.extensions.length ? `${sct.extensions.length} bytes` : "none");
          add(s, "Signature", `Present (${sct.signature.length} bytes)`);
        });
        continue;
      }
    }
    const name = FULCIO_EXTENSIONS[ext.oid];
    if (name) add(exts, name, extensionText(ext.value));
    else {
      add(exts, `OID: ${ext.oid}`, `(Critical: ${ext.critical}) [${ext.value.length} bytes]`);
    }
  }
  add(n, "Signature", `Present (${cert.signature.length} bytes)`);
}

function fulcioUrl(tr: TrustedRoot, keyId: string): string {
  for (const ca of tr.certificateAuthorities) {
    if (ca.certChain.some((c) => c.subjectKeyId?.toHex() === keyId)) return ca.uri;
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// log entries, timestamps, content

function tlogEntrySummary(n: Node, e: Obj, tr?: TrustedRoot): void {
  add(n, "Log Index", String(int64(e, "logIndex")));
  const logId = sub(e, "logId", "LogId");
  if (logId) {
    const id = bytes(logId, "keyId").toHex();
    const url = tr?.tlogs.find((l) => l.keyId.toHex() === id)?.baseUrl ?? "";
    if (url) add(n, "Log URL", url);
    else add(n, "Log ID", id);
  }
  const kv = sub(e, "kindVersion", "KindVersion");
  if (kv) {
    add(n, "Kind", str(kv, "kind"));
    add(n, "Version", str(kv, "version"));
  }
  const t = int64(e, "integratedTime");
  add(n, "Integrated Time", t === 0n ? "0 (Not set)" : rfc3339(Number(t) * 1000));
  const promise = sub(e, "inclusionPromise", "InclusionPromise");
  if (promise) {
    const p = add(n, "Inclusion Promise");
    add(
      p,
      "Signed Entry Timestamp",
      `Present (${bytes(promise, "signedEntryTimestamp").length} bytes)`,
    );
  }
  const proof = sub(e, "inclusionProof", "InclusionProof");
  if (proof) {
    const p = add(n, "Inclusion Proof");
    add(p, "Log Index", String(int64(proof, "logIndex")));
    add(p, "Tree Size", String(int64(proof, "treeSize")));
    add(p, "Hashes", String(list(proof, "hashes").length));
    const cp = sub(proof, "checkpoint", "Checkpoint");
    if (cp) {
      const c = add(p, "Checkpoint");
      const envelope = str(cp, "envelope");
      try {
        const parsed = parseCheckpoint(envelope);
        add(c, "Origin", parsed.origin);
        add(c, "Tree Size", String(parsed.size));
        if (parsed.otherContent.length) {
          const other = add(c, "Other Content", `${parsed.otherContent.length} lines`);
          parsed.otherContent.forEach((line, i) => add(other, `[${i}]`, line));
        }
        if (parsed.signatures.length) {
          const w = add(c, "Witnesses", String(parsed.signatures.length));
          for (const s of parsed.signatures) {
            add(w, s.name, `Signature Present (${s.keyHint.length + s.signature.length} bytes)`);
          }
        }
      } catch {
        add(c, "Envelope", `Present (${new TextEncoder().encode(envelope).length} bytes)`);
      }
    }
  }
  const body = bytes(e, "canonicalizedBody");
  if (body.length) add(n, "Canonicalized Body", `Present (${body.length} bytes)`);
}

const HASH_NAMES: Record<string, string> = {
  sha1: "SHA-1",
  sha224: "SHA-224",
  sha256: "SHA-256",
  sha384: "SHA-384",
  sha512: "SHA-512",
};

function timestampSummary(n: Node, data: Obj): void {
  const stamps = list(data, "rfc3161Timestamps");
  add(n, "RFC3161 Timestamps", String(stamps.length));
  stamps.forEach((s, i) => {
    const one = add(n, `Timestamp [${i}]`);
    try {
      const resp = parseTimestampResponse(
        bytes(message(s, "RFC3161SignedTimestamp"), "signedTimestamp"),
      );
      const info = resp.token?.tstInfo;
      if (resp.status > 1 || !info) return;
      add(one, "Time", rfc3339(info.genTime));
      add(one, "Hash Algorithm", HASH_NAMES[info.hash ?? ""] ?? "unknown hash value 0");
      add(one, "Message Imprint", `Present (${info.hashedMessage.length} bytes)`);
      add(one, "Serial Number", info.serialNumber.toString());
      add(one, "Policy", info.policy);
    } catch (e) {
      if (e instanceof SyntaxError && e.message.startsWith("unmarshaling bundle")) throw e;
      // cosign shows only the heading of a timestamp it cannot parse.
    }
  });
}

function contentSummary(n: Node, b: Obj, vm?: Obj): void {
  const content = add(n, "Content");
  const dsse = sub(b, "dsseEnvelope", "Envelope");
  const ms = sub(b, "messageSignature", "MessageSignature");
  if (dsse) {
    add(content, "Type", "DSSE Envelope");
    const payloadType = str(dsse, "payloadType");
    const payload = bytes(dsse, "payload");
    add(content, "Payload Type", payloadType);
    add(content, "Payload", `Present (${payload.length} bytes)`);
    if (payloadType === "application/vnd.in-toto+json") {
      let statement: unknown;
      try {
        statement = JSON.parse(new TextDecoder().decode(payload));
      } catch {
        statement = undefined;
      }
      if (typeof statement === "object" && statement !== null && !Array.isArray(statement)) {
        const st = statement as Obj;
        const pc = add(content, "Payload Content (in-toto)");
        if (typeof st.predicateType === "string") add(pc, "Predicate Type", st.predicateType);
        if (Array.isArray(st.subject)) {
          const subjects = add(pc, "Subjects", String(st.subject.length));
          for (const s of st.subject) {
            const name = (s as Obj | null)?.name;
            if (typeof s === "object" && s !== null && typeof name === "string") {
              add(subjects, "Name", name);
            }
          }
        }
      }
    }
    const sigs = list(dsse, "signatures").map((s) => message(s, "Signature"));
    const sigsNode = add(content, "Signatures", String(sigs.length));
    if (sigs.length !== 1) {
      add(content, "[!] WARNING", "DSSE envelope MUST contain only one signature");
    }
    const vmHint = vm ? sub(vm, "publicKey", "PublicKeyIdentifier") : undefined;
    sigs.forEach((s, i) => {
      const one = add(sigsNode, `Signature [${i}]`);
      add(one, "Signature", `Present (${bytes(s, "sig").length} bytes)`);
      const keyid = str(s, "keyid");
      if (keyid !== "") {
        add(one, "Key Hint", hintText(keyid));
        if (vmHint && str(vmHint, "hint") !== keyid) {
          add(one, "[!] WARNING", "Key hint mismatch with Verification Material");
        }
      }
    });
  } else if (ms) {
    add(content, "Type", "Message Signature");
    const digest = sub(ms, "messageDigest", "HashOutput");
    if (digest) {
      const d = add(content, "Message Digest");
      add(d, "Algorithm", hashAlgorithm(digest));
      add(d, "Digest", `Present (${bytes(digest, "digest").length} bytes)`);
    }
    add(content, "Signature", `Present (${bytes(ms, "signature").length} bytes)`);
  }
}

/** A key hint shown as hex when it is standard base64, else as written. */
function hintText(hint: string): string {
  if (/^[A-Za-z0-9+/]*={0,2}$/.test(hint) && hint.length % 4 === 0) {
    return Uint8Array.fromBase64(hint).toHex();
  }
  return hint;
}

function verificationMaterialSummary(n: Node, vm: Obj, version: number, tr?: TrustedRoot): void {
  const vmNode = add(n, "Verification Material");
  const cert = sub(vm, "certificate", "X509Certificate");
  const chain = sub(vm, "x509CertificateChain", "X509CertificateChain");
  const pk = sub(vm, "publicKey", "PublicKeyIdentifier");
  if (cert) {
    const c = add(vmNode, "Content", "X.509 Certificate");
    const raw = bytes(cert, "rawBytes");
    if (raw.length) certificateSummary(c, raw, tr);
    else add(c, "[!] WARNING", "Certificate raw_bytes is empty");
    if (version > 0 && version < 3) {
      add(
        c,
        "[!] WARNING",
        "v0.1/v0.2 bundle should use certificate chain, not single certificate",
      );
    }
  } else if (chain) {
    const c = add(vmNode, "Content", "X.509 Certificate Chain");
    const certs = list(chain, "certificates").map((x) => message(x, "X509Certificate"));
    if (certs.length) {
      add(c, "Certificates", String(certs.length));
      certs.forEach((x, i) =>
        certificateSummary(add(c, `Certificate [${i}]`), bytes(x, "rawBytes"), tr)
      );
    } else add(c, "[!] WARNING", "Certificate chain is empty");
    if (version >= 3) add(c, "[!] WARNING", "v0.3 bundle should use single certificate, not chain");
  } else if (pk) {
    const c = add(vmNode, "Content", "Public Key Identifier");
    const hint = str(pk, "hint");
    if (hint !== "") add(c, "Hint", hintText(hint));
    else add(c, "[!] WARNING", "Public key hint is empty");
  } else {
    add(
      vmNode,
      "[!] WARNING",
      "Missing Verification Material Content (must be certificate, chain, or public key)",
    );
  }
  const entries = list(vm, "tlogEntries").map((e) => message(e, "TransparencyLogEntry"));
  if (entries.length) {
    const tl = add(vmNode, "Transparency Log Entries", String(entries.length));
    entries.forEach((e, i) => {
      const one = add(tl, `Entry [${i}]`);
      tlogEntrySummary(one, e, tr);
      if (version === 1 && !e.inclusionPromise) {
        add(one, "[!] WARNING", "v0.1 bundle tlog entry MUST contain an inclusion promise");
      }
      if (version >= 2 && !e.inclusionProof) {
        add(one, "[!] WARNING", `v0.${version} bundle tlog entry MUST contain an inclusion proof`);
      }
    });
  }
  const ts = sub(vm, "timestampVerificationData", "TimestampVerificationData");
  if (ts) timestampSummary(add(vmNode, "Timestamp Verification Data"), ts);
}

/**
 * Describes a bundle as `cosign bundle inspect` prints it.
 *
 * @param input the bundle file's bytes
 * @param trustedRoot the Sigstore trusted root, to show URLs instead of log and key IDs
 * @returns the tree, one `- Label: value` line per node, two spaces of indent per level
 * @throws {SyntaxError} "unmarshaling bundle: …" for text that is not a protobuf-JSON bundle
 *   (unknown fields included, as protojson refuses them)
 * @example
 * ```ts
 * console.log(inspectBundle(await Deno.readFile("blob.sigstore.json")));
 * ```
 */
export function inspectBundle(input: Uint8Array, trustedRoot?: TrustedRoot): string {
  if (input.length > MAX_SIGSTORE_BUNDLE_BYTES) throw bad("larger than 4 MiB");
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(input));
  } catch (e) {
    throw bad((e as Error).message);
  }
  const b = message(v, "Bundle");
  const root = node();
  const mediaType = str(b, "mediaType");
  add(root, "Bundle Media Type", mediaType);
  const version = MEDIA_TYPES[mediaType] ?? 0;
  if (mediaType === "") add(root, "[!] WARNING", "Missing Bundle Media Type");
  else if (!version) add(root, "[!] WARNING", "Unrecognized Media Type");
  const vm = sub(b, "verificationMaterial", "VerificationMaterial");
  if (vm) verificationMaterialSummary(root, vm, version, trustedRoot);
  else add(root, "[!] WARNING", "Missing Verification Material");
  if (b.dsseEnvelope !== undefined || b.messageSignature !== undefined) contentSummary(root, b, vm);
  else add(root, "[!] WARNING", "Missing Content");
  const out: string[] = [];
  render(root, 0, out);
  return out.join("\n") + "\n";
}
