/**
 * Writes `<prefix>.key` and `<prefix>.pub` without ever leaving a half-written key behind.
 *
 * @module
 */
import { AtomicFile } from "../atomic_file.ts";
import type { KeyPairPem } from "./generate_key_pair.ts";

/** The two file names for a prefix, as cosign names them. */
export function keyPairPaths(prefix: string): { privatePath: string; publicPath: string } {
  return { privatePath: `${prefix}.key`, publicPath: `${prefix}.pub` };
}

/** Whether either file of the pair exists. */
export async function keyPairExists(prefix: string): Promise<boolean> {
  const { privatePath, publicPath } = keyPairPaths(prefix);
  for (const p of [privatePath, publicPath]) {
    try {
      await Deno.lstat(p);
      return true;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  return false;
}

/**
 * Writes both files: each to a temporary file first, then moved into place. The private key
 * gets mode 0600 and the public key 0644, as cosign writes them.
 *
 * @param overwrite replace existing files; when false an existing file is an error and nothing
 *   is replaced, even if another process creates it meanwhile
 * @returns the paths written
 * @throws {IoError} `OUTPUT_EXISTS` or `OUTPUT_FAILED`; nothing is left half-written
 */
export async function writeKeyPair(
  prefix: string,
  pair: KeyPairPem,
  overwrite: boolean,
): Promise<{ privatePath: string; publicPath: string }> {
  const paths = keyPairPaths(prefix);
  const enc = new TextEncoder();
  const priv = await AtomicFile.create(paths.privatePath, { mode: 0o600, overwrite });
  let pub: AtomicFile | undefined;
  try {
    pub = await AtomicFile.create(paths.publicPath, { mode: 0o644, overwrite });
    await priv.write(enc.encode(pair.privatePem));
    await pub.write(enc.encode(pair.publicPem));
    await priv.commit();
  } catch (e) {
    await priv.abort();
    await pub?.abort();
    throw e;
  }
  try {
    await pub.commit();
  } catch (e) {
    // Keep the pair consistent: a private key whose public half failed to land is removed again
    // (it was created by us a moment ago; with overwrite=false nothing else can be at that path).
    if (!overwrite) await Deno.remove(paths.privatePath).catch(() => {});
    throw e;
  }
  return paths;
}
