/**
 * Real registries for tests (see `scripts/peers/registry.ts`): Debian's distribution 2.8.2 in
 * plain HTTP, Basic-over-TLS, mutual-TLS and token modes, and go-containerregistry's registry for the OCI 1.1
 * referrers API. A missing binary fails the test (never skips): run `deno task peers`.
 *
 * @module
 */
import {
  type RegistryMode,
  type RunningRegistry,
  startRegistry as start,
} from "../../scripts/peers/registry.ts";

export type { RegistryMode, RunningRegistry, TokenService } from "../../scripts/peers/registry.ts";

/**
 * Starts a registry on a free loopback port with temporary storage.
 *
 * @param options `mode`: `http` | `basic-tls` | `mtls` | `token` | `referrers`
 * @returns `{ host, caCert?, username?, password?, tokenService?, stop() }`
 * @throws {Error} when the registry binary is missing or does not start
 */
export function startRegistry(options: { mode: RegistryMode }): Promise<RunningRegistry> {
  return start(options.mode);
}
