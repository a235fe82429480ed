/**
 * SoftHSM2 tokens for the PKCS#11 tests: a temporary `SOFTHSM2_CONF` folder, a token initialised
 * with `softhsm2-util`, and key pairs generated on it with OpenSC's `pkcs11-tool` — the tools a
 * user would use, so the keys are real token keys we did not make ourselves.
 *
 * Needs Debian's `softhsm2` and `opensc` (`deno task peers` installs them). A missing tool fails
 * the test, never skips it.
 *
 * @module
 */
import { join } from "node:path";

/** Debian's SoftHSM2 module. */
export const SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so";

/** The YubiKey PIV module (Debian `ykcs11`). */
export const YKCS11_MODULE = "/usr/lib/x86_64-linux-gnu/libykcs11.so";

/** A key pair to generate: `pkcs11-tool --key-type` (e.g. `EC:prime256v1`, `rsa:2048`). */
export interface KeySpec {
  label: string;
  /** Hex, e.g. "01". */
  id: string;
  type: string;
}

/** A token ready for tests. */
export interface SoftHsmToken {
  /** The temporary folder (config and token store). */
  dir: string;
  /** Path of the softhsm2.conf to put in `SOFTHSM2_CONF`. */
  conf: string;
  /** The environment the module needs. */
  env: Record<string, string>;
  label: string;
  /** The slot SoftHSM2 assigned to the token. */
  slot: number;
  pin: string;
  soPin: string;
  /** Removes the folder. */
  remove(): Promise<void>;
}

const decoder = new TextDecoder();

async function exec(cmd: string, args: string[], env: Record<string, string>): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, { args, env, stdin: "null" }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(
        `${cmd} not installed: run deno task peers (apt-get install softhsm2 opensc)`,
      );
    }
    throw e;
  }
  const text = decoder.decode(out.stdout) + decoder.decode(out.stderr);
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed:\n${text}`);
  return text;
}

/**
 * Creates a SoftHSM2 token in a new temporary folder and generates key pairs on it.
 *
 * @param options token label, PINs, and the key pairs to generate
 * @returns the token; call `remove()` when done
 * @throws {Error} when softhsm2-util or pkcs11-tool is missing or fails
 */
export async function createSoftHsmToken(options: {
  label?: string;
  pin?: string;
  soPin?: string;
  keys?: KeySpec[];
} = {}): Promise<SoftHsmToken> {
  const dir = await Deno.makeTempDir({ prefix: "cosign-softhsm-" });
  const conf = join(dir, "softhsm2.conf");
  await Deno.mkdir(join(dir, "tokens"));
  await Deno.writeTextFile(
    conf,
    `directories.tokendir = ${
      join(dir, "tokens")
    }\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`,
  );
  const env = { SOFTHSM2_CONF: conf };
  const label = options.label ?? "test";
  const pin = options.pin ?? "1234";
  const soPin = options.soPin ?? "5678";
  const init = await exec("softhsm2-util", [
    "--init-token",
    "--free",
    "--label",
    label,
    "--pin",
    pin,
    "--so-pin",
    soPin,
  ], env);
  const slot = Number(/reassigned to slot (\d+)/.exec(init)?.[1]);
  if (!Number.isSafeInteger(slot)) throw new Error(`softhsm2-util: no slot in:\n${init}`);
  for (const key of options.keys ?? []) {
    await exec("pkcs11-tool", [
      "--module",
      SOFTHSM_MODULE,
      "--token-label",
      label,
      "--login",
      "--pin",
      pin,
      "--keypairgen",
      "--key-type",
      key.type,
      "--label",
      key.label,
      "--id",
      key.id,
    ], env);
  }
  return {
    dir,
    conf,
    env,
    label,
    slot,
    pin,
    soPin,
    remove: () => Deno.remove(dir, { recursive: true }),
  };
}

/**
 * Reads a public key object from the token with `pkcs11-tool --read-object` (DER
 * SubjectPublicKeyInfo), the independent reference for our public key export.
 *
 * @param token the token
 * @param id the key's id in hex
 * @returns the DER SPKI
 */
export async function readPublicKeyWithPkcs11Tool(
  token: SoftHsmToken,
  id: string,
): Promise<Uint8Array> {
  const out = join(token.dir, `pub-${id}.der`);
  await exec("pkcs11-tool", [
    "--module",
    SOFTHSM_MODULE,
    "--token-label",
    token.label,
    "--read-object",
    "--type",
    "pubkey",
    "--id",
    id,
    "--output-file",
    out,
  ], token.env);
  return await Deno.readFile(out);
}

/**
 * Runs `pkcs11-tool` against the token with the user PIN (to add objects in tests).
 *
 * @param token the token
 * @param args more arguments
 * @returns its output
 */
export function pkcs11Tool(token: SoftHsmToken, args: string[]): Promise<string> {
  return exec("pkcs11-tool", [
    "--module",
    SOFTHSM_MODULE,
    "--token-label",
    token.label,
    "--login",
    "--pin",
    token.pin,
    ...args,
  ], token.env);
}

/**
 * Reads the `CKA_EC_POINT` of an EC public key object as `pkcs11-tool --list-objects` prints it
 * (for P-384, whose `--read-object` export fails in OpenSC 0.23 with "cannot create EVP_PKEY").
 *
 * @param token the token
 * @param id the key's id in hex
 * @returns the uncompressed point (the DER OCTET STRING's contents)
 */
export async function readEcPointWithPkcs11Tool(
  token: SoftHsmToken,
  id: string,
): Promise<Uint8Array> {
  const out = await exec("pkcs11-tool", [
    "--module",
    SOFTHSM_MODULE,
    "--token-label",
    token.label,
    "--list-objects",
    "--type",
    "pubkey",
  ], token.env);
  for (const block of out.split(/^(?=Public Key Object)/m)) {
    const point = /EC_POINT:\s+([0-9a-f]+)/.exec(block)?.[1];
    if (point && new RegExp(`ID:\\s+${id}\\b`).test(block)) {
      const der = Uint8Array.fromHex(point);
      // 04 <len> <point>, the length in one byte (P-256) or 0x81 <len> (P-384, P-521).
      return der[1] & 0x80 ? der.subarray(2 + (der[1] & 0x7f)) : der.subarray(2);
    }
  }
  throw new Error(`pkcs11-tool lists no EC public key with id ${id}:\n${out}`);
}

/** A certificate written next to a token key, and the CA that issued it. */
export interface TokenCertificate {
  /** The issuing CA (self-signed), PEM. */
  caPem: string;
  /** The leaf for the token key, PEM and DER. */
  leafPem: string;
  leafDer: Uint8Array;
}

/**
 * Issues a code-signing certificate for a token key with openssl (`-force_pubkey`, a throw-away
 * CA valid now) and stores it on the token with `pkcs11-tool --write-object --type cert` under
 * the key's id and label, as a user would put a CA-issued certificate next to a key.
 *
 * @param token the token
 * @param key the key's id (hex) and label
 * @param extensions openssl `-extfile` lines for the leaf (SAN, issuer extension …)
 * @returns the CA and the leaf
 */
export async function writeTokenCertificate(
  token: SoftHsmToken,
  key: { id: string; label: string },
  extensions: string[],
): Promise<TokenCertificate> {
  const dir = await Deno.makeTempDir({ dir: token.dir, prefix: `cert-${key.id}-` });
  const pub = await readPublicKeyWithPkcs11Tool(token, key.id);
  await Deno.writeFile(join(dir, "pub.der"), pub);
  await Deno.writeTextFile(join(dir, "leaf.ext"), extensions.join("\n") + "\n");
  const openssl = (args: string[]) => execIn("openssl", args, dir);
  await openssl(["pkey", "-pubin", "-inform", "DER", "-in", "pub.der", "-out", "pub.pem"]);
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    "ca.key",
    "-subj",
    "/O=token test/CN=token test CA",
    "-days",
    "30",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-out",
    "ca.pem",
  ]);
  await openssl(["req", "-new", "-key", "ca.key", "-subj", "/CN=token key", "-out", "leaf.csr"]);
  await openssl([
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "7",
    "-force_pubkey",
    "pub.pem",
    "-extfile",
    "leaf.ext",
    "-outform",
    "DER",
    "-out",
    "leaf.der",
  ]);
  await pkcs11Tool(token, [
    "--write-object",
    join(dir, "leaf.der"),
    "--type",
    "cert",
    "--id",
    key.id,
    "--label",
    key.label,
  ]);
  const leafDer = await Deno.readFile(join(dir, "leaf.der"));
  const b64 = leafDer.toBase64().replace(/.{64}/g, "$&\n").replace(/\n?$/, "\n");
  return {
    caPem: await Deno.readTextFile(join(dir, "ca.pem")),
    leafPem: `-----BEGIN CERTIFICATE-----\n${b64}-----END CERTIFICATE-----\n`,
    leafDer,
  };
}

async function execIn(cmd: string, args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command(cmd, { args, cwd, stdin: "null" }).output();
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed:\n${decoder.decode(out.stdout)}${
        decoder.decode(out.stderr)
      }`,
    );
  }
}
