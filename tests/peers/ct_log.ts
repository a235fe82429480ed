/**
 * A real RFC 6962 certificate-transparency log on loopback, so that Fulcio's certificates carry
 * real embedded SCTs: certificate-transparency-go's `ct_server` v1.3.3 (the CTFE personality,
 * built by `scripts/peers/install.ts`, cached outside the repository) over the Trillian that
 * tests/peers/rekor.ts already runs, with a tree of its own (`createtree`), a P-256 key made for
 * the run, and the Fulcio root as its only accepted root.
 *
 * `ct_server` binds its HTTP endpoint (metrics included, as `--metrics_endpoint` is empty) on
 * 127.0.0.1 only; a start that loses the port race is retried. A missing binary fails the test.
 *
 * @module
 */
import { join } from "node:path";
import { cacheRoot } from "./cosign.ts";
import { trillianBinDir } from "./rekor.ts";

/** The pinned certificate-transparency-go release (the one Fulcio v1.8.8 itself requires). */
export const CT_VERSION = "v1.3.3";

/** The package `go install` builds. */
export const CT_SERVER_MODULE =
  "github.com/google/certificate-transparency-go/trillian/ctfe/ct_server";

/** The folder `go install` writes `ct_server` to. */
export function ctServerBinDir(): string {
  return join(cacheRoot(), "peers", `ct-${CT_VERSION}`, "bin");
}

/** The path of the `ct_server` binary (it may not exist yet). */
export function ctServerPath(): string {
  return join(ctServerBinDir(), "ct_server");
}

/** A running CT log. */
export interface CtLogPeer {
  /** The log's URL with its prefix, `http://127.0.0.1:<port>/test` (Fulcio's `--ct-log-url`). */
  url: string;
  /** The log's public key (PEM); its SHA-256 over the DER is the log ID in SCTs. */
  publicKeyPem: string;
  /** Path of a file holding {@link publicKeyPem} (for `SIGSTORE_CT_LOG_PUBLIC_KEY_FILE`). */
  publicKeyPath: string;
  treeId: string;
  stop(): Promise<void>;
}

const decoder = new TextDecoder();

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

function pem(type: string, der: Uint8Array): string {
  return `-----BEGIN ${type}-----\n${
    der.toBase64().match(/.{1,64}/g)!.join("\n")
  }\n-----END ${type}-----\n`;
}

/**
 * Starts `ct_server` on a new tree of the given Trillian.
 *
 * @param options `trillianAddress`: Trillian's gRPC endpoint (from {@link RekorPeer}); `rootsPem`:
 *   the roots the log accepts chains to (the Fulcio root)
 * @returns the running log; `stop()` ends it (the tree stays in Trillian's database)
 * @throws {Error} when a binary is missing or the log does not come up (tests fail, never skip)
 */
export async function startCtLog(
  options: { trillianAddress: string; rootsPem: string },
): Promise<CtLogPeer> {
  let first: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await startCtLogOnce(options);
    } catch (e) {
      first ??= e;
    }
  }
  throw first;
}

async function startCtLogOnce(
  options: { trillianAddress: string; rootsPem: string },
): Promise<CtLogPeer> {
  const binary = ctServerPath();
  const createTree = join(trillianBinDir(), "createtree");
  for (const path of [binary, createTree]) {
    try {
      await Deno.stat(path);
    } catch {
      throw new Error(
        `CT log peer not installed: ${path} is missing (run: deno run -A scripts/peers/install.ts)`,
      );
    }
  }
  const dir = await Deno.makeTempDir({ prefix: "ct-peer-" });
  let child: Deno.ChildProcess | undefined;
  const logPath = join(dir, "ct_server.log");
  // Everything up to the first `await` is synchronous, so a stop() started from an `unload`
  // listener (which cannot wait) still kills the process and removes its files.
  const stop = async () => {
    try {
      child?.kill("SIGKILL");
    } catch { /* gone */ }
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* gone */ }
    await child?.status.catch(() => {});
  };
  try {
    const tree = await new Deno.Command(createTree, {
      args: [`--admin_server=${options.trillianAddress}`, "--display_name=ctlog"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const treeId = decoder.decode(tree.stdout).trim();
    if (!tree.success || !/^\d+$/.test(treeId)) {
      throw new Error(`createtree failed: ${decoder.decode(tree.stderr).slice(-500)}`);
    }

    const key = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
      "verify",
    ]) as CryptoKeyPair;
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", key.privateKey));
    const publicKeyPem = pem(
      "PUBLIC KEY",
      new Uint8Array(await crypto.subtle.exportKey("spki", key.publicKey)),
    );
    const publicKeyPath = join(dir, "ct.pub");
    await Deno.writeTextFile(publicKeyPath, publicKeyPem);
    const rootsPath = join(dir, "roots.pem");
    await Deno.writeTextFile(rootsPath, options.rootsPem);

    // A LogConfigSet in protobuf text format (trillian/ctfe/configpb/config.proto). The key is
    // inline PKCS#8 DER (keyspb.PrivateKey, bytes as `\xHH` escapes): the keyspb.PEMKeyFile form
    // refuses an unencrypted file ("pemfile: empty password").
    const prefix = "test";
    const configPath = join(dir, "ct.cfg");
    await Deno.writeTextFile(
      configPath,
      `config {
  log_id: ${treeId}
  prefix: "${prefix}"
  roots_pem_file: ${JSON.stringify(rootsPath)}
  private_key: {
    [type.googleapis.com/keyspb.PrivateKey] {
      der: "${[...pkcs8].map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("")}"
    }
  }
  ext_key_usages: "CodeSigning"
  max_merge_delay_sec: 86400
  expected_merge_delay_sec: 120
}
`,
    );
    const port = freePort();
    child = new Deno.Command(binary, {
      args: [
        `--log_config=${configPath}`,
        `--log_rpc_server=${options.trillianAddress}`,
        `--http_endpoint=127.0.0.1:${port}`,
        "--alsologtostderr",
      ],
      cwd: dir,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    child.stderr.pipeTo(Deno.openSync(logPath, { write: true, create: true }).writable).catch(
      () => {},
    );
    const url = `http://127.0.0.1:${port}/${prefix}`;
    const exited = child.status.then((s) => s.code);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const code = await Promise.race([exited, new Promise((r) => setTimeout(r, 100))]);
      if (typeof code === "number") {
        const log = await Deno.readTextFile(logPath).catch(() => "");
        throw new Error(`CT log peer exited with ${code}: ${log.slice(-1500)}`);
      }
      // get-sth succeeds once Trillian's signer has signed the new tree's first root.
      const ok = await fetch(`${url}/ct/v1/get-sth`).then(async (r) => {
        await r.body?.cancel();
        return r.ok;
      }).catch(() => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error("CT log peer did not come up within 30s");
    }
    return { url, publicKeyPem, publicKeyPath, treeId, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
