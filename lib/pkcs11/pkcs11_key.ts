/**
 * A key on a PKCS#11 token named by a `pkcs11:` URI: a {@link Signer} for signing, or just its
 * public key for verification — cosign's `pkcs11key.GetKeyWithURIConfig` (which wraps crypto11's
 * `FindKeyPair` and `FindCertificate`).
 *
 * Signing hashes the message here with SHA-256 for every key, as cosign does, and asks the token
 * for a raw signature over the digest: `CKM_ECDSA` (the result, IEEE P1363 `r ‖ s`, is DER-encoded)
 * or `CKM_RSA_PKCS` over a PKCS#1 DigestInfo. Tokens without hash-and-sign mechanisms (SoftHSM2
 * has no `CKM_ECDSA_SHA256`) work the same way.
 *
 * @module
 */
import {
  DER_NULL,
  derBits,
  derOid,
  derOidEncode,
  derSequence,
  derUint,
  OID,
  parseDer,
  TAG,
} from "../asn1/der.ts";
import { KeyError } from "../errors.ts";
import { encodePem } from "../keys/pem.ts";
import { parsePublicKeyDer, type PublicKey } from "../keys/public_key.ts";
import { digestSigner } from "../signature/digest_signer.ts";
import { p1363ToDer } from "../signature/p1363_to_der.ts";
import type { Signer } from "../signature/signer.ts";
import { certificateSpki } from "../x509/certificate.ts";
import { type Attribute, CKA, CKK, CKM, CKO, ulong } from "./_ffi.ts";
import { Pkcs11Module, type Pkcs11Session, type TokenInfo } from "./pkcs11_module.ts";
import type { Pkcs11Uri } from "./pkcs11_uri.ts";

/** How to find the PIN and the certificate. */
export interface Pkcs11KeyOptions {
  /** The PIN when the URI has none (`COSIGN_PKCS11_PIN`; cosign reads it only for signing). */
  pin?: string;
  /**
   * Asks the user for the PIN when none is known and the token requires login; receives cosign's
   * prompt ("Enter PIN for key 'k1' in PKCS11 token 'test': ").
   */
  promptPin?: (prompt: string) => Promise<string>;
  /** The prompt's text instead of cosign's PKCS#11 one (PIV: "Enter PIN for security key: "). */
  pinPrompt?: string;
  /** Do not look for a certificate (`COSIGN_PKCS11_IGNORE_CERTIFICATE=1`). */
  ignoreCertificate?: boolean;
  /** Reads a `pin-source` file; defaults to `Deno.readFile`. */
  readFile?: (path: string) => Promise<Uint8Array>;
}

/** A signer backed by a token key; {@link Pkcs11Signer.close} ends the session. */
export interface Pkcs11Signer extends Signer {
  /** The token's certificate for the key (DER), when there is one: cosign attaches it. */
  certificate?: Uint8Array;
  /**
   * The same certificate as PEM and DER, under the names lib/sign's certified signers use, so it
   * travels as cosign's sign.go puts a token certificate (`certSigner.Cert`): the
   * `dev.sigstore.cosign/certificate` annotation, the old bundle's `cert`, the Sigstore bundle's
   * certificate, and the transparency-log entry's verifier.
   */
  certificatePem?: string;
  certificateDer?: Uint8Array;
  /** Logs out, closes the session and releases the module. */
  close(): void;
}

const decoder = new TextDecoder();

function describeKey(uri: Pkcs11Uri): string {
  if (uri.keyId?.length) {
    return `id=${[...uri.keyId].map((b) => "%" + b.toString(16).padStart(2, "0")).join("")}`;
  }
  return `label '${decoder.decode(uri.keyLabel)}'`;
}

/** Reads a `pin-source` (RFC 7512 §2.3): a `file:` URI or an absolute path. */
async function readPinSource(
  source: string,
  readFile: (path: string) => Promise<Uint8Array>,
): Promise<string> {
  let path = source;
  if (source.startsWith("file://")) path = source.slice("file://".length);
  else if (source.startsWith("file:")) path = source.slice("file:".length);
  if (!path.startsWith("/")) {
    throw new TypeError(
      `Cannot parse PKCS#11 URI: pin-source must be a file: URI or an absolute path`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(decodeURIComponent(path));
  } catch (e) {
    throw new KeyError(
      "TOKEN_LOGIN_FAILED",
      `Cannot read PIN from pin-source ${source}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  if (bytes.length > 4096) throw new RangeError("Cannot read PIN: pin-source is larger than 4 KiB");
  const pin = decoder.decode(bytes).replace(/\r?\n$/, "");
  bytes.fill(0);
  return pin;
}

/** The PIN from the URI: `pin-value`, else `pin-source`. */
async function uriPin(uri: Pkcs11Uri, options: Pkcs11KeyOptions): Promise<string | undefined> {
  if (uri.pin) return uri.pin;
  if (uri.pinSource) {
    return await readPinSource(uri.pinSource, options.readFile ?? ((p) => Deno.readFile(p)));
  }
  return undefined;
}

/**
 * Finds the slot of the URI's token: `slot-id` wins over `token` (cosign).
 *
 * @throws {KeyError} `TOKEN_NOT_PRESENT`
 */
export function findSlot(module: Pkcs11Module, uri: Pick<Pkcs11Uri, "slotId" | "tokenLabel">): {
  slot: number;
  info: TokenInfo;
} {
  if (uri.slotId !== undefined) {
    try {
      return { slot: uri.slotId, info: module.tokenInfo(uri.slotId) };
    } catch (e) {
      if (e instanceof KeyError && e.code === "TOKEN_NOT_PRESENT") {
        throw new KeyError(
          "TOKEN_NOT_PRESENT",
          `Cannot open PKCS#11 token: no token in slot ${uri.slotId} of module ${module.path}`,
          { cause: e },
        );
      }
      throw e;
    }
  }
  const slots = module.slotList(true);
  if (slots.length === 0) {
    throw new KeyError(
      "TOKEN_NOT_PRESENT",
      `Cannot open PKCS#11 token: no token present in module ${module.path}`,
    );
  }
  for (const slot of slots) {
    let info: TokenInfo;
    try {
      info = module.tokenInfo(slot);
    } catch {
      continue;
    }
    if (info.label === uri.tokenLabel) return { slot, info };
  }
  throw new KeyError(
    "TOKEN_NOT_PRESENT",
    `Cannot open PKCS#11 token: could not find a slot for the token '${uri.tokenLabel}'`,
  );
}

function selector(uri: Pkcs11Uri): Attribute[] {
  // cosign: when both are given, the id is used.
  return uri.keyId?.length
    ? [{ type: CKA.ID, value: uri.keyId }]
    : [{ type: CKA.LABEL, value: uri.keyLabel! }];
}

/** The field size of a named curve in `CKA_EC_PARAMS`, or undefined. */
function curveBytes(params: Uint8Array): number | undefined {
  try {
    const oid = derOid(parseDer(params));
    return oid === OID.p256 ? 32 : oid === OID.p384 ? 48 : oid === OID.p521 ? 66 : undefined;
  } catch {
    return undefined;
  }
}

/** Builds the SubjectPublicKeyInfo of an EC or RSA public key object (or a private one's pair). */
function publicKeyOf(session: Pkcs11Session, handle: bigint, what: string): PublicKey {
  const keyType = session.getUlong(handle, CKA.KEY_TYPE);
  if (keyType === BigInt(CKK.EC)) {
    const [params, point] = session.getAttributes(handle, [CKA.EC_PARAMS, CKA.EC_POINT]);
    if (!params || !point) {
      throw new KeyError(
        "KEY_INVALID",
        `Cannot read public key of ${what}: EC parameters or point missing`,
      );
    }
    // CKA_EC_POINT is a DER OCTET STRING (PKCS#11 v2.40 §2.3.3); some modules give the bare point,
    // recognisable by its length.
    let raw = point;
    const size = curveBytes(params);
    if (!(size && point.length === 1 + 2 * size && point[0] === 4)) {
      try {
        const node = parseDer(point);
        if (node.tag === TAG.OCTET_STRING) raw = node.value;
      } catch { /* leave it as it is: parsing the key reports the problem */ }
    }
    return parsePublicKeyDer(
      derSequence(derSequence(derOidEncode(OID.ecPublicKey), params), derBits(raw)),
    );
  }
  if (keyType === BigInt(CKK.RSA)) {
    const [n, e] = session.getAttributes(handle, [CKA.MODULUS, CKA.PUBLIC_EXPONENT]);
    if (!n || !e) {
      throw new KeyError(
        "KEY_INVALID",
        `Cannot read public key of ${what}: modulus or exponent missing`,
      );
    }
    return parsePublicKeyDer(
      derSequence(
        derSequence(derOidEncode(OID.rsaEncryption), DER_NULL),
        derBits(derSequence(derUint(n), derUint(e))),
      ),
    );
  }
  throw new KeyError(
    "KEY_UNSUPPORTED",
    `Cannot use ${what}: unsupported key type ${
      keyType === undefined ? "(none)" : "0x" + keyType.toString(16)
    } (ECDSA and RSA keys only)`,
  );
}

function findCertificate(session: Pkcs11Session, attrs: Attribute[]): Uint8Array | undefined {
  const [cert] = session.findObjects(
    [{ type: CKA.CLASS, value: ulong(CKO.CERTIFICATE) }, ...attrs],
    1,
  );
  if (cert === undefined) return undefined;
  return session.getAttributes(cert, [CKA.VALUE])[0];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The public key of a key pair: its public key object, else its certificate (crypto11). */
function pairPublicKey(
  session: Pkcs11Session,
  attrs: Attribute[],
  what: string,
): PublicKey | undefined {
  const [pub] = session.findObjects(
    [{ type: CKA.CLASS, value: ulong(CKO.PUBLIC_KEY) }, ...attrs],
    1,
  );
  if (pub !== undefined) return publicKeyOf(session, pub, what);
  const cert = findCertificate(session, attrs);
  if (cert) return parsePublicKeyDer(certificateSpki(cert));
  return undefined;
}

/** DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2, note 1). */
const SHA256_DIGEST_INFO = Uint8Array.fromHex("3031300d060960864801650304020105000420");

/**
 * Opens the token key a `pkcs11:` URI names and returns a signer for it, as cosign's
 * `sign`/`sign-blob`/`attest` do with `--key pkcs11:…`.
 *
 * PIN order (cosign): `pin-value` (or our `pin-source`), else `options.pin`
 * (`COSIGN_PKCS11_PIN`), else — when the token requires login — `options.promptPin`.
 *
 * @param uri the parsed URI
 * @param options PIN sources and the certificate switch
 * @returns the signer (SHA-256 for every key, as cosign); close it when done
 * @throws {KeyError} `TOKEN_MODULE_UNAVAILABLE` (module missing or not loadable),
 *   `TOKEN_NOT_PRESENT` (no such slot or token), `TOKEN_LOGIN_FAILED` (wrong or missing PIN),
 *   `KEY_NOT_FOUND` (no private key with that id/label, or no public key for it), `KEY_UNSUPPORTED`
 *   (not an EC or RSA key), `KEY_INVALID` ("pkcs11 key and certificate do not match"),
 *   `TOKEN_FAILED` (any other Cryptoki failure)
 */
export async function openPkcs11Signer(
  uri: Pkcs11Uri,
  options: Pkcs11KeyOptions = {},
): Promise<Pkcs11Signer> {
  let pin = (await uriPin(uri, options)) || options.pin || undefined;
  const module = await Pkcs11Module.open(uri.modulePath);
  let session: Pkcs11Session | undefined;
  try {
    const { slot, info } = findSlot(module, uri);
    if (pin === undefined && info.loginRequired && options.promptPin) {
      pin = await options.promptPin(
        options.pinPrompt ??
          `Enter PIN for key '${
            decoder.decode(uri.keyLabel ?? new Uint8Array())
          }' in PKCS11 token '${uri.tokenLabel ?? ""}': `,
      );
    }
    if (pin === undefined && info.loginRequired) {
      throw new KeyError(
        "TOKEN_LOGIN_FAILED",
        `Cannot log in to PKCS#11 token '${info.label}': no PIN given (pin-value in the URI or COSIGN_PKCS11_PIN)`,
      );
    }
    session = module.openSession(slot);
    if (pin !== undefined) await session.login(pin, "user", `PKCS#11 token '${info.label}'`);
    const [priv] = session.findObjects([
      { type: CKA.CLASS, value: ulong(CKO.PRIVATE_KEY) },
      ...selector(uri),
    ], 1);
    if (priv === undefined) {
      throw new KeyError(
        "KEY_NOT_FOUND",
        `Cannot find key in PKCS#11 token '${info.label}': no private key with ${describeKey(uri)}`,
      );
    }
    const [keyType, id, label, always] = session.getAttributes(priv, [
      CKA.KEY_TYPE,
      CKA.ID,
      CKA.LABEL,
      CKA.ALWAYS_AUTHENTICATE,
    ]);
    const pairAttrs: Attribute[] = [];
    if (keyType) pairAttrs.push({ type: CKA.KEY_TYPE, value: keyType });
    if (id?.length) pairAttrs.push({ type: CKA.ID, value: id });
    if (label?.length) pairAttrs.push({ type: CKA.LABEL, value: label });
    const what = `key ${describeKey(uri)} in PKCS#11 token '${info.label}'`;
    const certificate = options.ignoreCertificate
      ? undefined
      : findCertificate(session, selector(uri));
    const publicKey = pairPublicKey(session, pairAttrs, what) ??
      (() => {
        throw new KeyError(
          "KEY_NOT_FOUND",
          `Cannot read public key of ${what}: no public key or certificate found`,
        );
      })();
    if (
      certificate &&
      !sameBytes(parsePublicKeyDer(certificateSpki(certificate)).spki, publicKey.spki)
    ) {
      throw new KeyError(
        "KEY_INVALID",
        "Cannot use PKCS#11 key: pkcs11 key and certificate do not match",
      );
    }
    const contextPin = always?.[0] ? pin ?? "" : undefined;
    const s = session;
    const isEc = publicKey.kind === "ecdsa";
    const signer = digestSigner(publicKey, "sha256", async (digest) => {
      if (isEc) return p1363ToDer(await s.sign(CKM.ECDSA, priv, digest, contextPin));
      const info = new Uint8Array(SHA256_DIGEST_INFO.length + digest.length);
      info.set(SHA256_DIGEST_INFO);
      info.set(digest, SHA256_DIGEST_INFO.length);
      return await s.sign(CKM.RSA_PKCS, priv, info, contextPin);
    });
    let closed = false;
    return {
      ...signer,
      ...(certificate
        ? {
          certificate,
          certificateDer: certificate,
          certificatePem: encodePem("CERTIFICATE", certificate),
        }
        : {}),
      close() {
        if (closed) return;
        closed = true;
        s.close();
        module.close();
      },
    };
  } catch (e) {
    session?.close();
    module.close();
    throw e;
  }
}

/**
 * Reads the public key of the token key a `pkcs11:` URI names, for verification (cosign's
 * `PublicKeyFromKeyRef` with a `pkcs11:` key). No PIN is asked for: the public key object (or the
 * key's certificate) is read without login, or after logging in with the URI's own PIN.
 *
 * @param uri the parsed URI
 * @param options `readFile` for `pin-source`
 * @returns the public key
 * @throws {KeyError} `TOKEN_MODULE_UNAVAILABLE`, `TOKEN_NOT_PRESENT`, `TOKEN_LOGIN_FAILED` (a wrong
 *   PIN in the URI), `KEY_NOT_FOUND` (no public key or certificate with that id/label),
 *   `KEY_UNSUPPORTED`, `TOKEN_FAILED`
 */
export async function loadPkcs11PublicKey(
  uri: Pkcs11Uri,
  options: Pick<Pkcs11KeyOptions, "readFile"> = {},
): Promise<PublicKey> {
  const pin = await uriPin(uri, options);
  using module = await Pkcs11Module.open(uri.modulePath);
  const { slot, info } = findSlot(module, uri);
  using session = module.openSession(slot);
  if (pin !== undefined) await session.login(pin, "user", `PKCS#11 token '${info.label}'`);
  const what = `key ${describeKey(uri)} in PKCS#11 token '${info.label}'`;
  const key = pairPublicKey(session, selector(uri), what);
  if (!key) {
    throw new KeyError(
      "KEY_NOT_FOUND",
      `Cannot find key in PKCS#11 token '${info.label}': no public key or certificate with ${
        describeKey(uri)
      }`,
    );
  }
  return key;
}
