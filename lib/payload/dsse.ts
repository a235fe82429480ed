/**
 * DSSE envelopes (Dead Simple Signing Envelope, secure-systems-lab/dsse) as cosign v2.6.4 writes
 * them through sigstore's `dsse.WrapSigner` and go-securesystemslib v0.9.1.
 *
 * The signature covers PAE(payloadType, payload) (DSSE protocol.md): `"DSSEv1" SP LEN(type) SP type
 * SP LEN(body) SP body`, lengths being decimal *byte* counts. The signer hashes the PAE bytes like
 * any message (ECDSA P-256 with SHA-256 …). cosign's envelope is
 * `{"payloadType":…,"payload":"<std base64>","signatures":[{"keyid":"","sig":"<std base64>"}]}`
 * — Go struct order, an empty `keyid`, no trailing newline.
 *
 * @module
 */
import {
  decodeGoTyped,
  goJsonString,
  GoJsonSyntaxError,
  type GoType,
  parseGoJson,
} from "./go_json.ts";
import type { Signer } from "../signature/signer.ts";
import { bytesReader } from "../stream.ts";

/** The payload type of in-toto statements (`types.IntotoPayloadType`). */
export const INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

/** One signature of an envelope. */
export interface DsseSignature {
  keyid: string;
  /** Base64 of the raw signature, as found in the envelope. */
  sig: string;
}

/** A DSSE envelope, with `payload` still base64 as in the JSON. */
export interface DsseEnvelope {
  payloadType: string;
  payload: string;
  signatures: DsseSignature[];
}

const ENVELOPE: GoType = {
  kind: "struct",
  name: "dsse.Envelope",
  fields: [
    { json: "payloadType", type: { kind: "string" } },
    { json: "payload", type: { kind: "string" } },
    {
      json: "signatures",
      type: {
        kind: "slice",
        elem: {
          kind: "struct",
          name: "dsse.Signature",
          fields: [
            { json: "keyid", type: { kind: "string" } },
            { json: "sig", type: { kind: "string" } },
          ],
        },
      },
    },
  ],
};

const encoder = new TextEncoder();

/**
 * The DSSE pre-authentication encoding.
 *
 * @param payloadType the payload type (its UTF-8 byte length is what counts)
 * @param body the payload bytes
 * @returns `DSSEv1 <len> <type> <len> <body>`
 */
export function pae(payloadType: string, body: Uint8Array): Uint8Array {
  const type = encoder.encode(payloadType);
  const head = encoder.encode(`DSSEv1 ${type.length} `);
  const mid = encoder.encode(` ${body.length} `);
  const out = new Uint8Array(head.length + type.length + mid.length + body.length);
  out.set(head);
  out.set(type, head.length);
  out.set(mid, head.length + type.length);
  out.set(body, head.length + type.length + mid.length);
  return out;
}

/**
 * Writes an envelope as Go's `json.Marshal(dsse.Envelope)` does.
 *
 * @param env the envelope
 * @returns the JSON text
 */
export function marshalEnvelope(env: DsseEnvelope): string {
  const sigs = env.signatures.map((s) =>
    `{"keyid":${goJsonString(s.keyid)},"sig":${goJsonString(s.sig)}}`
  );
  return `{"payloadType":${goJsonString(env.payloadType)},"payload":${
    goJsonString(env.payload)
  },"signatures":${env.signatures.length ? `[${sigs.join(",")}]` : "null"}}`;
}

/**
 * Signs `body` into a one-signature envelope, as sigstore's `dsse.WrapSigner(sv, type)`.
 *
 * @param body the payload
 * @param payloadType the payload type
 * @param signer signs the PAE bytes
 * @returns the envelope JSON bytes (no trailing newline)
 */
export async function signDsse(
  body: Uint8Array,
  payloadType: string,
  signer: Signer,
): Promise<Uint8Array> {
  const sig = await signer.sign(bytesReader(pae(payloadType, body)));
  return encoder.encode(marshalEnvelope({
    payloadType,
    payload: body.toBase64(),
    signatures: [{ keyid: "", sig: sig.toBase64() }],
  }));
}

/**
 * Parses an envelope as `json.Unmarshal` into go-securesystemslib's `dsse.Envelope` does (field
 * names case-insensitive, unknown fields ignored; `null` gives an empty envelope).
 *
 * @param bytes the envelope JSON
 * @returns the envelope
 * @throws {GoJsonSyntaxError} for invalid JSON, with Go's message
 * @throws {GoJsonTypeError} for members of the wrong type
 */
export function parseEnvelope(bytes: Uint8Array): DsseEnvelope {
  const v = decodeGoTyped(parseGoJson(bytes), ENVELOPE) as {
    payloadType: string;
    payload: string;
    signatures: DsseSignature[] | null;
  };
  return { payloadType: v.payloadType, payload: v.payload, signatures: v.signatures ?? [] };
}

export { GoJsonSyntaxError };

/**
 * Decodes envelope base64 as go-securesystemslib's `b64Decode`: standard, then URL-safe alphabet,
 * both padded; `\r` and `\n` are ignored.
 *
 * @param s the base64 text
 * @returns the bytes
 * @throws {SyntaxError} `unable to base64 decode payload (is payload in the right format?)`
 */
export function decodeDsseBase64(s: string): Uint8Array {
  const clean = s.replace(/[\r\n]/g, "");
  const std = /^[A-Za-z0-9+/]*={0,2}$/;
  const url = /^[A-Za-z0-9_-]*={0,2}$/;
  if (clean.length % 4 === 0) {
    if (std.test(clean)) return Uint8Array.fromBase64(clean, { lastChunkHandling: "loose" });
    if (url.test(clean)) {
      return Uint8Array.fromBase64(clean, { alphabet: "base64url", lastChunkHandling: "loose" });
    }
  }
  throw new SyntaxError("unable to base64 decode payload (is payload in the right format?)");
}
