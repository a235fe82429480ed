/**
 * Installs the transparency-log peer: Trillian v1.7.3 (log server, signer, createtree) and
 * rekor-server v1.5.4 with `go install` into the peer cache, and MariaDB from Debian (apt-get,
 * when missing and running as root). Idempotent; a second run does nothing.
 *
 *     deno run -A scripts/peers/rekor.ts
 *
 * @module
 */
import { join } from "node:path";
import {
  REKOR_MODULE,
  REKOR_VERSION,
  rekorBinDir,
  TRILLIAN_MODULE,
  TRILLIAN_VERSION,
  trillianBinDir,
} from "../../tests/peers/rekor.ts";

function say(message: string): void {
  console.error(`peers: ${message}`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  const { code } = await new Deno.Command(cmd, { args, env, stdin: "null" }).spawn().status;
  if (code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed with exit code ${code}`);
}

/** Builds Go binaries into `bin` (through a temporary GOBIN, renamed into place). */
async function goInstall(bin: string, packages: string[]): Promise<void> {
  const tmp = `${bin}.tmp-${Date.now()}`;
  await Deno.mkdir(tmp, { recursive: true });
  try {
    await run("go", ["install", ...packages], {
      GOBIN: tmp,
      CGO_ENABLED: "0",
      GOFLAGS: "-trimpath",
    });
    await Deno.mkdir(join(bin, ".."), { recursive: true });
    await Deno.remove(bin, { recursive: true }).catch(() => {});
    await Deno.rename(tmp, bin);
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/** Makes sure MariaDB, Trillian and Rekor are installed. */
export async function ensureRekor(): Promise<void> {
  if (!(await exists("/usr/sbin/mariadbd"))) {
    if (Deno.uid?.() !== 0) throw new Error("MariaDB is missing: apt-get install mariadb-server");
    say("installing mariadb-server with apt-get");
    await run("apt-get", ["install", "-y", "-qq", "mariadb-server", "mariadb-client"], {
      DEBIAN_FRONTEND: "noninteractive",
    }).catch(async () => {
      await run("apt-get", ["update", "-qq"]);
      await run("apt-get", ["install", "-y", "-qq", "mariadb-server", "mariadb-client"], {
        DEBIAN_FRONTEND: "noninteractive",
      });
    });
  }
  const tbin = trillianBinDir();
  if (!(await exists(join(tbin, "createtree")))) {
    say(`building Trillian ${TRILLIAN_VERSION} (a few minutes on a fresh machine)`);
    await goInstall(
      tbin,
      ["trillian_log_server", "trillian_log_signer", "createtree"].map((c) =>
        `${TRILLIAN_MODULE}/cmd/${c}@${TRILLIAN_VERSION}`
      ),
    );
  }
  // The peer loads Trillian's SQL schema from the module cache, which may have been cleaned while
  // the binaries stayed cached.
  const modcache = new TextDecoder().decode(
    (await new Deno.Command("go", { args: ["env", "GOMODCACHE"], stdin: "null" }).output()).stdout,
  ).trim();
  const schema = join(
    modcache,
    `${TRILLIAN_MODULE}@${TRILLIAN_VERSION}`,
    "storage",
    "mysql",
    "schema",
    "storage.sql",
  );
  if (!(await exists(schema))) {
    say(`downloading ${TRILLIAN_MODULE}@${TRILLIAN_VERSION} for its SQL schema`);
    await run("go", ["mod", "download", `${TRILLIAN_MODULE}@${TRILLIAN_VERSION}`]);
  }
  const rbin = rekorBinDir();
  if (!(await exists(join(rbin, "rekor-server")))) {
    say(`building rekor-server ${REKOR_VERSION} (a few minutes on a fresh machine)`);
    await goInstall(rbin, [`${REKOR_MODULE}/cmd/rekor-server@${REKOR_VERSION}`]);
  }
}

if (import.meta.main) {
  try {
    await ensureRekor();
    say("Rekor peer ready");
  } catch (e) {
    console.error(`peers: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
