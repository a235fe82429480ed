/**
 * `node:crypto`, loaded on first use. Importing it statically costs about 30 ms of start-up in
 * Deno 2.9 (it pulls in the Node compatibility layer); the verification path avoids it entirely
 * for small inputs by using WebCrypto, and only loads it when it is really needed.
 *
 * @module
 */
import type * as NodeCrypto from "node:crypto";

let cached: typeof NodeCrypto | undefined;

/** The `node:crypto` module, loaded synchronously on first call (`process.getBuiltinModule`). */
export function nodeCrypto(): typeof NodeCrypto {
  return cached ??= (globalThis as unknown as {
    process: { getBuiltinModule(id: string): unknown };
  }).process.getBuiltinModule("node:crypto") as typeof NodeCrypto;
}
