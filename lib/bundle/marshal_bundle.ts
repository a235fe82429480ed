/**
 * Writing Sigstore bundles as cosign does for `sign-blob --new-bundle-format`
 * (pkg/cosign/bundle/protobundle.go MakeProtobufBundle, rekor pkg/tle GenerateTransparencyLogEntry,
 * then `protojson.Marshal`): fields in proto declaration order, zero values omitted, bytes as
 * standard base64, int64 as strings. (Go's protojson randomly adds spaces to make its output
 * unstable on purpose; ours is the compact form, which every reader accepts.)
 *
 * @module
 */
import { SigstoreError } from "../errors.ts";
import type { RekorEntry } from "../rekor/verify_entry.ts";
import {
  BUNDLE_V03_MEDIA_TYPE,
  type BundleTlogEntry,
  type BundleVersion,
  type SigstoreBundle,
} from "./bundle.ts";

const s = JSON.stringify;
const b64 = (b: Uint8Array) => s(b.toBase64());

/** `"name":value` members, zero values left out as protojson does. */
function members(parts: [string, string | undefined][]): string {
  return "{" + parts.filter(([, v]) => v !== undefined).map(([k, v]) => `${s(k)}:${v}`).join(",") +
    "}";
}

const int64 = (n: number) => (n === 0 ? undefined : s(String(n)));
const bytesField = (b: Uint8Array | undefined) => (b && b.length ? b64(b) : undefined);
const str = (v: string) => (v === "" ? undefined : s(v));

function marshalEntry(e: BundleTlogEntry): string {
  const p = e.inclusionProof;
  return members([
    ["logIndex", int64(e.logIndex)],
    ["logId", members([["keyId", bytesField(e.logId)]])],
    ["kindVersion", members([["kind", str(e.kind)], ["version", str(e.version)]])],
    ["integratedTime", int64(e.integratedTime)],
    [
      "inclusionPromise",
      e.signedEntryTimestamp
        ? members([["signedEntryTimestamp", bytesField(e.signedEntryTimestamp)]])
        : undefined,
    ],
    [
      "inclusionProof",
      p
        ? members([
          ["logIndex", int64(p.logIndex)],
          ["rootHash", bytesField(p.rootHash)],
          ["treeSize", int64(p.treeSize)],
          ["hashes", p.hashes.length ? "[" + p.hashes.map(b64).join(",") + "]" : undefined],
          ["checkpoint", members([["envelope", str(p.checkpoint)]])],
        ])
        : undefined,
    ],
    ["canonicalizedBody", bytesField(e.canonicalizedBody)],
  ]);
}

/**
 * Marshals a bundle to protobuf JSON.
 *
 * @param b the bundle (its `mediaType` is written as given)
 * @returns the JSON text, without a trailing newline
 */
export function marshalBundle(b: SigstoreBundle): string {
  const vm = b.verificationMaterial;
  const ts = vm.rfc3161Timestamps;
  const material = members([
    [
      "publicKey",
      vm.publicKeyHint !== undefined ? members([["hint", str(vm.publicKeyHint)]]) : undefined,
    ],
    [
      "x509CertificateChain",
      vm.x509CertificateChain
        ? members([[
          "certificates",
          "[" + vm.x509CertificateChain.map((c) =>
            members([["rawBytes", bytesField(c)]])
          ).join(",") +
          "]",
        ]])
        : undefined,
    ],
    [
      "certificate",
      vm.certificate ? members([["rawBytes", bytesField(vm.certificate)]]) : undefined,
    ],
    [
      "tlogEntries",
      vm.tlogEntries.length ? "[" + vm.tlogEntries.map(marshalEntry).join(",") + "]" : undefined,
    ],
    [
      "timestampVerificationData",
      ts.length
        ? members([[
          "rfc3161Timestamps",
          "[" + ts.map((t) => members([["signedTimestamp", bytesField(t)]])).join(",") + "]",
        ]])
        : undefined,
    ],
  ]);
  const ms = b.messageSignature;
  const dsse = b.dsseEnvelope;
  return members([
    ["mediaType", str(b.mediaType)],
    ["verificationMaterial", material],
    [
      "messageSignature",
      ms
        ? members([
          [
            "messageDigest",
            ms.messageDigest
              ? members([
                ["algorithm", str(ms.messageDigest.algorithm)],
                ["digest", bytesField(ms.messageDigest.digest)],
              ])
              : undefined,
          ],
          ["signature", bytesField(ms.signature)],
        ])
        : undefined,
    ],
    [
      "dsseEnvelope",
      dsse
        ? members([
          ["payload", bytesField(dsse.payload)],
          ["payloadType", str(dsse.payloadType)],
          [
            "signatures",
            "[" + dsse.signatures.map((x) =>
              members([["sig", bytesField(x.sig)], ["keyid", str(x.keyid)]])
            ).join(",") + "]",
          ],
        ])
        : undefined,
    ],
  ]);
}

/**
 * Converts a Rekor v1 API entry into a bundle's log entry, as rekor's
 * `tle.GenerateTransparencyLogEntry` does (kind and version read from the body; hex log ID,
 * root hash and proof hashes decoded).
 *
 * @throws {SigstoreError} `TLOG_ENTRY_INVALID` when the body or a hex field is malformed, or the
 *   entry has no inclusion proof (cosign cannot write one without it)
 */
export function bundleEntryFromRekor(entry: RekorEntry): BundleTlogEntry {
  const bad = (d: string) =>
    new SigstoreError("TLOG_ENTRY_INVALID", `Cannot convert the transparency log entry: ${d}`);
  const hex = (h: string, what: string) => {
    if (!/^([0-9a-fA-F]{2})*$/.test(h)) throw bad(`${what} is not hex`);
    return Uint8Array.fromHex(h.toLowerCase());
  };
  const body = Uint8Array.fromBase64(entry.body);
  // deno-lint-ignore no-explicit-any
  let parsed: any;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw bad("the body is not JSON");
  }
  if (typeof parsed?.kind !== "string" || typeof parsed?.apiVersion !== "string") {
    throw bad("the body has no kind or apiVersion");
  }
  const proof = entry.verification?.inclusionProof;
  if (!proof || proof.checkpoint === undefined) throw bad("no inclusion proof");
  const set = entry.verification?.signedEntryTimestamp;
  return {
    logIndex: entry.logIndex,
    logId: hex(entry.logID, "logID"),
    kind: parsed.kind,
    version: parsed.apiVersion,
    integratedTime: entry.integratedTime,
    signedEntryTimestamp: set ? Uint8Array.fromBase64(set) : undefined,
    inclusionProof: {
      logIndex: proof.logIndex,
      rootHash: hex(proof.rootHash, "rootHash"),
      treeSize: proof.treeSize,
      hashes: proof.hashes.map((h) => hex(h, "hash")),
      checkpoint: proof.checkpoint,
    },
    canonicalizedBody: body,
  };
}

/** The protobuf-specs HashAlgorithm names of the digests cosign signs with. */
export const HASH_ALGORITHM_NAMES = {
  sha256: "SHA2_256",
  sha384: "SHA2_384",
  sha512: "SHA2_512",
} as const;

/**
 * The v0.3 bundle cosign's `sign-blob --new-bundle-format` writes for a key: the key hint, the
 * log entry (when there is one) and the message signature.
 *
 * With a certificate (keyless), the bundle carries it (`verificationMaterial.certificate`) instead
 * of the key hint, as cosign's sign-blob does.
 *
 * @param o the SPKI DER of the key, the leaf certificate DER (keyless), the digest algorithm and
 *   value, the signature, the entry, the RFC 3161 timestamps (protobundle.go MakeProtobufBundle:
 *   `timestampVerificationData.rfc3161Timestamps[].signedTimestamp`)
 * @returns the bundle
 */
export async function keyMessageBundle(o: {
  spki: Uint8Array;
  certificate?: Uint8Array;
  algorithm: keyof typeof HASH_ALGORITHM_NAMES;
  digest: Uint8Array;
  signature: Uint8Array;
  entry?: RekorEntry;
  /** DER TimeStampResps of the signature (`--timestamp-server-url`). */
  timestamps?: Uint8Array[];
}): Promise<SigstoreBundle> {
  const hint = new Uint8Array(await crypto.subtle.digest("SHA-256", o.spki as BufferSource));
  const version: BundleVersion = "0.3";
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    version,
    verificationMaterial: {
      ...(o.certificate ? { certificate: o.certificate } : { publicKeyHint: hint.toBase64() }),
      tlogEntries: o.entry ? [bundleEntryFromRekor(o.entry)] : [],
      rfc3161Timestamps: o.timestamps ?? [],
    },
    messageSignature: {
      messageDigest: { algorithm: HASH_ALGORITHM_NAMES[o.algorithm], digest: o.digest },
      signature: o.signature,
    },
  };
}

/**
 * The v0.3 bundle cosign's `attest-blob --new-bundle-format` writes for a key (protobundle.go
 * MakeNewBundle): the key hint, the log entry (when there is one) and the DSSE envelope with the
 * signed payload, its type and the first signature (without key ID).
 *
 * With a certificate (keyless), the bundle carries it instead of the key hint.
 *
 * @param o the SPKI DER of the key, the leaf certificate DER (keyless), the envelope JSON as
 *   signed, the entry, the RFC 3161 timestamps
 * @returns the bundle
 * @throws {SyntaxError} when the envelope is not DSSE JSON with a signature
 */
export async function keyDsseBundle(o: {
  spki: Uint8Array;
  certificate?: Uint8Array;
  envelope: Uint8Array;
  entry?: RekorEntry;
  /** DER TimeStampResps of the envelope's signature (`--timestamp-server-url`). */
  timestamps?: Uint8Array[];
}): Promise<SigstoreBundle> {
  // deno-lint-ignore no-explicit-any
  const env: any = JSON.parse(new TextDecoder().decode(o.envelope));
  const sig = env?.signatures?.[0]?.sig;
  if (typeof env?.payload !== "string" || typeof sig !== "string") {
    throw new SyntaxError("no signature in DSSE envelope");
  }
  const hint = new Uint8Array(await crypto.subtle.digest("SHA-256", o.spki as BufferSource));
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    version: "0.3",
    verificationMaterial: {
      ...(o.certificate ? { certificate: o.certificate } : { publicKeyHint: hint.toBase64() }),
      tlogEntries: o.entry ? [bundleEntryFromRekor(o.entry)] : [],
      rfc3161Timestamps: o.timestamps ?? [],
    },
    dsseEnvelope: {
      payload: Uint8Array.fromBase64(env.payload),
      payloadType: String(env.payloadType ?? ""),
      signatures: [{ sig: Uint8Array.fromBase64(sig), keyid: "" }],
    },
  };
}
