/**
 * Installs the AWS KMS emulator nsmithuk/local-kms into the peer cache with `go install` (pinned
 * by commit: its tags have no `v`). Idempotent.
 *
 *     deno run -A scripts/peers/local_kms.ts
 *
 * @module
 */
import { dirname, join } from "node:path";
import { LOCAL_KMS_MODULE, LOCAL_KMS_VERSION, localKmsPath } from "../../tests/peers/local_kms.ts";

function say(message: string): void {
  console.error(`peers: ${message}`);
}

/**
 * Builds local-kms into the cache when it is missing.
 *
 * @returns the binary's path
 * @throws {Error} when `go` is missing or the build fails
 */
export async function ensureLocalKms(): Promise<string> {
  const target = localKmsPath();
  try {
    await Deno.stat(target);
    say(`local-kms ${LOCAL_KMS_VERSION} already installed at ${target}`);
    return target;
  } catch { /* build it */ }
  const binDir = dirname(target);
  await Deno.mkdir(dirname(binDir), { recursive: true });
  const buildDir = await Deno.makeTempDir({ dir: dirname(binDir), prefix: "build-" });
  try {
    const spec = `${LOCAL_KMS_MODULE}@${LOCAL_KMS_VERSION}`;
    say(`go install ${spec}`);
    const out = await new Deno.Command("go", {
      args: ["install", spec],
      env: { CGO_ENABLED: "0", GOFLAGS: "-trimpath", GOBIN: buildDir },
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error(`Cannot build local-kms: go install ${spec} failed`);
    await Deno.mkdir(binDir, { recursive: true });
    await Deno.rename(join(buildDir, "local-kms"), target);
    say(`built ${target}`);
  } finally {
    await Deno.remove(buildDir, { recursive: true }).catch(() => {});
  }
  return target;
}

if (import.meta.main) {
  try {
    await ensureLocalKms();
  } catch (e) {
    console.error(`peers: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
