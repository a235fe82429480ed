/**
 * A real Rekor transparency log on loopback, for tests: a private MariaDB instance (temporary
 * data folder), Trillian's log server and signer, a fresh tree, and `rekor-server` with a signing
 * key of its own. Built by `scripts/peers/rekor.ts` (`go install`, pinned, cached outside the
 * repository); the MariaDB server comes from Debian.
 *
 * MariaDB listens on a Unix socket in the peer's folder only; everything else binds 127.0.0.1 on free
 * ports (a start that loses a port race is retried), except rekor-server's metrics listener, which is
 * hard-coded to `:2112` (cmd/rekor-server/app/serve.go); a second instance fails to bind it and
 * ignores that, so several test processes can each run their own log.
 *
 * @module
 */
import { join } from "node:path";
import { cacheRoot } from "./cosign.ts";

/** Pinned versions of the log's parts. */
export const TRILLIAN_VERSION = "v1.7.3";
export const REKOR_VERSION = "v1.5.4";
export const TRILLIAN_MODULE = "github.com/google/trillian";
export const REKOR_MODULE = "github.com/sigstore/rekor";

/** Where the Go binaries live. */
export function rekorBinDir(): string {
  return join(cacheRoot(), "peers", `rekor-${REKOR_VERSION}`, "bin");
}

/** Where the Trillian binaries live. */
export function trillianBinDir(): string {
  return join(cacheRoot(), "peers", `trillian-${TRILLIAN_VERSION}`, "bin");
}

/** A running log. */
export interface RekorPeer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The log's public key (PEM), as `GET /api/v1/log/publicKey` serves it. */
  publicKeyPem: string;
  /** Path of a file holding {@link publicKeyPem} (for `SIGSTORE_REKOR_PUBLIC_KEY`). */
  publicKeyPath: string;
  /**
   * Path of the log's private signing key (PKCS#8 PEM), for tests of a lying log: answers
   * re-signed with the real key (SETs, checkpoints) that clients must still refuse.
   */
  privateKeyPath: string;
  treeId: string;
  /**
   * Trillian's gRPC endpoint (`127.0.0.1:<port>`), shared with other Trillian personalities such as
   * the CT log of tests/peers/ct_log.ts (each with a tree of its own).
   */
  trillianAddress: string;
  stop(): Promise<void>;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function which(name: string, dirs: string[]): Promise<string> {
  for (const d of dirs) {
    const p = join(d, name);
    try {
      if ((await Deno.stat(p)).isFile) return p;
    } catch { /* next */ }
  }
  throw new Error(
    `Rekor peer not installed: ${name} is missing (run: deno run -A scripts/peers/rekor.ts)`,
  );
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Rekor peer: ${what} did not come up within ${ms / 1000}s`);
}

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url);
  await res.body?.cancel();
  return res.ok;
}

/** The Trillian schema, from the module cache that `go install` filled. */
async function trillianSchema(): Promise<string> {
  const out = await new Deno.Command("go", { args: ["env", "GOMODCACHE"], stdin: "null" }).output();
  const modcache = new TextDecoder().decode(out.stdout).trim();
  const path = join(
    modcache,
    `${TRILLIAN_MODULE}@${TRILLIAN_VERSION}`,
    "storage",
    "mysql",
    "schema",
    "storage.sql",
  );
  return await Deno.readTextFile(path);
}

/**
 * Starts MariaDB, Trillian and Rekor on loopback.
 *
 * @returns the running log; call `stop()` to end every process and delete their data
 * @throws {Error} when a binary is missing or a part does not come up (tests fail, never skip)
 */
export async function startRekor(): Promise<RekorPeer> {
  // Free ports are picked before the services bind them, so a parallel test process can race us
  // to one; a failed start is retried from scratch (with the first failure kept for the report).
  let first: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await startRekorOnce();
    } catch (e) {
      first ??= e;
    }
  }
  throw first;
}

async function startRekorOnce(): Promise<RekorPeer> {
  const dir = await Deno.makeTempDir({ prefix: "rekor-peer-" });
  const children: Deno.ChildProcess[] = [];
  const spawn = (cmd: string, args: string[], log: string) => {
    const child = new Deno.Command(cmd, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // Keep the last bytes of stderr in a file for diagnosis without filling memory.
    child.stderr.pipeTo(
      Deno.openSync(join(dir, log), { write: true, create: true }).writable,
    ).catch(() => {});
    children.push(child);
    return child;
  };
  // Kills every process and removes the folder before the first `await`, so that a stop() started
  // from an `unload` listener (which cannot wait) still leaves nothing behind.
  const stop = async () => {
    for (const c of children.reverse()) {
      try {
        c.kill("SIGKILL"); // throwaway data: no need for a graceful (15 s) MariaDB shutdown
      } catch { /* gone */ }
    }
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* gone */ }
    for (const c of children) await c.status.catch(() => {});
  };
  try {
    const mariadbd = await which("mariadbd", ["/usr/sbin", "/usr/bin"]);
    const installDb = await which("mariadb-install-db", ["/usr/bin"]);
    const client = await which("mariadb", ["/usr/bin"]);
    const bins = trillianBinDir();
    const logServer = await which("trillian_log_server", [bins]);
    const logSigner = await which("trillian_log_signer", [bins]);
    const createTree = await which("createtree", [bins]);
    const rekorServer = await which("rekor-server", [rekorBinDir()]);

    // 1. A private MariaDB.
    const data = join(dir, "mysql");
    const socket = join(dir, "mysql.sock");
    const init = await new Deno.Command(installDb, {
      args: [
        "--no-defaults",
        `--datadir=${data}`,
        "--user=root",
        "--auth-root-authentication-method=normal",
        "--skip-test-db",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!init.success) {
      throw new Error(
        `mariadb-install-db failed: ${new TextDecoder().decode(init.stderr).slice(-500)}`,
      );
    }
    // Unix socket only (no TCP port to race for), and temporary files in our own folder.
    spawn(mariadbd, [
      "--no-defaults",
      `--datadir=${data}`,
      `--socket=${socket}`,
      "--skip-networking",
      `--tmpdir=${dir}`,
      "--user=root",
      "--skip-name-resolve",
      "--skip-log-bin",
      "--innodb-buffer-pool-size=32M",
      `--pid-file=${join(dir, "mysql.pid")}`,
    ], "mariadb.log");
    const sql = async (args: string[], input?: string) => {
      const p = new Deno.Command(client, {
        args: ["--no-defaults", `--socket=${socket}`, "-uroot", ...args],
        stdin: input === undefined ? "null" : "piped",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      if (input !== undefined) {
        const w = p.stdin.getWriter();
        await w.write(new TextEncoder().encode(input));
        await w.close();
      }
      const out = await p.output();
      if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    };
    await waitFor("MariaDB", async () => {
      await sql(["-e", "SELECT 1"]);
      return true;
    });
    await sql([
      "-e",
      "CREATE DATABASE trillian; CREATE USER 'trillian'@'localhost' IDENTIFIED BY 'zaphod'; " +
      "GRANT ALL ON trillian.* TO 'trillian'@'localhost';",
    ]);
    await sql(["trillian"], await trillianSchema());
    const dsn = `trillian:zaphod@unix(${socket})/trillian?parseTime=true&interpolateParams=true`;

    // 2. Trillian: the signer integrates entries quickly so tests do not wait.
    const [rpc, http, sRpc, sHttp] = [
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ];
    const common = ["--quota_system=noop", "--storage_system=mysql", `--mysql_uri=${dsn}`];
    spawn(logServer, [
      ...common,
      `--rpc_endpoint=127.0.0.1:${rpc}`,
      `--http_endpoint=127.0.0.1:${http}`,
    ], "log_server.log");
    spawn(logSigner, [
      ...common,
      `--rpc_endpoint=127.0.0.1:${sRpc}`,
      `--http_endpoint=127.0.0.1:${sHttp}`,
      "--force_master",
      "--sequencer_interval=50ms",
      "--batch_size=100",
    ], "log_signer.log");
    await waitFor("trillian_log_server", () => httpOk(`http://127.0.0.1:${http}/healthz`));
    await waitFor("trillian_log_signer", () => httpOk(`http://127.0.0.1:${sHttp}/healthz`));
    const tree = await new Deno.Command(createTree, {
      args: [`--admin_server=127.0.0.1:${rpc}`],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const treeId = new TextDecoder().decode(tree.stdout).trim();
    if (!tree.success || !/^\d+$/.test(treeId)) {
      throw new Error(`createtree failed: ${new TextDecoder().decode(tree.stderr).slice(-500)}`);
    }

    // 3. Rekor with a stable signing key (the default "memory" signer changes on every start).
    const keyPath = join(dir, "rekor.key");
    const key = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
    ]) as CryptoKeyPair;
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", key.privateKey));
    await Deno.writeTextFile(
      keyPath,
      `-----BEGIN PRIVATE KEY-----\n${
        pkcs8.toBase64().match(/.{1,64}/g)!.join("\n")
      }\n-----END PRIVATE KEY-----\n`,
    );
    const port = freePort();
    spawn(rekorServer, [
      "serve",
      "--rekor_server.address=127.0.0.1",
      `--port=${port}`,
      "--trillian_log_server.address=127.0.0.1",
      `--trillian_log_server.port=${rpc}`,
      `--trillian_log_server.tlog_id=${treeId}`,
      `--rekor_server.signer=${keyPath}`,
      "--rekor_server.hostname=rekor.local",
      "--search_index.storage_provider=mysql",
      `--search_index.mysql.dsn=${dsn}`,
    ], "rekor.log");
    const url = `http://127.0.0.1:${port}`;
    await waitFor("rekor-server", () => httpOk(`${url}/api/v1/log`));
    const publicKeyPem = await (await fetch(`${url}/api/v1/log/publicKey`)).text();
    const publicKeyPath = join(dir, "rekor.pub");
    await Deno.writeTextFile(publicKeyPath, publicKeyPem);
    return {
      url,
      publicKeyPem,
      publicKeyPath,
      privateKeyPath: keyPath,
      treeId,
      trillianAddress: `127.0.0.1:${rpc}`,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
