/**
 * An AWS KMS emulator for tests: nsmithuk/local-kms (built by `scripts/peers/local_kms.ts`,
 * pinned, cached outside the repository). It listens on every interface (`":"+PORT`, not
 * configurable); tests reach it on 127.0.0.1 through `AWS_ENDPOINT_URL`, as sigstore's own tests
 * reach localstack. It does not check request signatures (any credentials work), so SigV4 is
 * checked separately against vectors of the AWS SDK.
 *
 * @module
 */
import { join } from "node:path";
import { cacheRoot } from "./cosign.ts";

/**
 * The pinned module version. PEER-RECIPES.md names commit e4d9425700fe (tag 3.11.7), which this
 * machine's module proxy refuses (403); the one version it serves is this later master commit.
 */
export const LOCAL_KMS_VERSION = "v0.0.0-20260228092603-2a5e92d09ab6";
/** Its Go module. */
export const LOCAL_KMS_MODULE = "github.com/nsmithuk/local-kms";

/**
 * Where the binary lives (it may not exist yet).
 *
 * @returns `<cache>/peers/local-kms-<version>/bin/local-kms`
 */
export function localKmsPath(): string {
  return join(cacheRoot(), "peers", `local-kms-${LOCAL_KMS_VERSION}`, "bin", "local-kms");
}

/** A running emulator. */
export interface LocalKms {
  /** `http://127.0.0.1:<port>`, the `AWS_ENDPOINT_URL`. */
  url: string;
  /** The environment a client needs (endpoint, region, dummy credentials). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "0.0.0.0", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Starts local-kms on a free port with a temporary data folder.
 *
 * @returns the running emulator; `stop()` ends it and deletes its data
 * @throws {Error} when it is not installed or does not answer (tests fail, never skip)
 */
export async function startLocalKms(): Promise<LocalKms> {
  const binary = localKmsPath();
  try {
    await Deno.stat(binary);
  } catch {
    throw new Error(`local-kms not installed: ${binary} is missing (run: deno task peers)`);
  }
  const dir = await Deno.makeTempDir({ prefix: "local-kms-" });
  const port = freePort();
  const child = new Deno.Command(binary, {
    env: {
      PORT: String(port),
      KMS_REGION: "us-east-1",
      KMS_ACCOUNT_ID: "111122223333",
      KMS_DATA_PATH: join(dir, "data"),
      KMS_SEED_PATH: join(dir, "none.yaml"),
    },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status.catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": "TrentService.ListKeys",
        },
        body: "{}",
      });
      await res.body?.cancel();
      if (res.ok) {
        return {
          url,
          env: {
            AWS_ENDPOINT_URL: url,
            AWS_REGION: "us-east-1",
            AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
            AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
          },
          stop,
        };
      }
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error("local-kms did not start");
}
