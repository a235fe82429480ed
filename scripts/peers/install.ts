/**
 * Installs the real Go cosign v2.6.4, our interop and performance peer, idempotently — and the
 * registries the OCI tests run against: Debian's `docker-registry` (distribution 2.8.2) with
 * `htpasswd` and `openssl`, and the PKCS#11 tools `softhsm2`, `opensc` and `ykcs11` (apt-get, when
 * missing and running as root), and go-containerregistry's
 * registry with the referrers API (built from a 20-line `main` over `pkg/registry`, pinned to
 * {@link GGCR_VERSION}; zot, the first choice, cannot be fetched through this machine's module
 * proxy, which answers 403 for `zotregistry.dev`); Rekor with Trillian (scripts/peers/rekor.ts);
 * the keyless peers, Fulcio v1.8.8 and the `ct_server` CT log (scripts/peers/fulcio.ts); and the
 * RFC 3161 timestamp authority
 * (scripts/peers/tsa.ts); and the AWS KMS emulator local-kms (scripts/peers/local_kms.ts); and the
 * `verify-attestation --policy` engine (scripts/policy_engine.ts — a product component, built here
 * too so that the interop tests have it).
 *
 *     deno task peers        # or: deno run -A scripts/peers/install.ts
 *
 * Builds with `go install github.com/sigstore/cosign/v2/cmd/cosign@v2.6.4` (CGO_ENABLED=0,
 * GOFLAGS=-trimpath) into `$COSIGN_DENO_CACHE/peers/cosign-v2.6.4/bin` (default
 * `$HOME/.cache/cosign-deno/...`), outside the repository. When a working binary of that version is
 * already there it does nothing. The build goes to a temporary folder and is renamed into place,
 * so an interrupted build never leaves a half-written binary behind. Messages go to stderr; a
 * missing `go` or a failed build exits non-zero.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { DOCKER_REGISTRY, GGCR_VERSION, ggcrRegistryPath } from "./registry.ts";
import { ensureFulcio } from "./fulcio.ts";
import { ensureRekor } from "./rekor.ts";
import { ensureTsa } from "./tsa.ts";
import { ensureLocalKms } from "./local_kms.ts";
import { ensurePolicyEngine } from "../policy_engine.ts";
import {
  COSIGN_MODULE,
  COSIGN_VERSION,
  cosignBinDir,
  cosignPath,
} from "../../tests/peers/cosign.ts";

const decoder = new TextDecoder();

function say(message: string): void {
  console.error(`peers: ${message}`);
}

/**
 * Whether the binary at `path` runs and reports the pinned version.
 *
 * @param path the cosign binary
 * @returns true when `cosign version` succeeds and names {@link COSIGN_VERSION}
 */
async function works(path: string): Promise<boolean> {
  try {
    const out = await new Deno.Command(path, { args: ["version"], stdin: "null" }).output();
    const text = decoder.decode(out.stdout) + decoder.decode(out.stderr);
    return out.success && new RegExp(`GitVersion:\\s+${COSIGN_VERSION}\\b`).test(text);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.PermissionDenied) {
      return false;
    }
    throw err;
  }
}

/**
 * Makes sure Go cosign v2.6.4 is installed in the peer cache, building it when needed.
 *
 * @returns the absolute path of the working binary
 * @throws {Error} when `go` is not on PATH, the build fails, or the built binary does not run
 */
export async function ensureCosign(): Promise<string> {
  const target = cosignPath();
  if (await works(target)) {
    say(`Go cosign ${COSIGN_VERSION} already installed at ${target}`);
    return target;
  }

  let goVersion: Deno.CommandOutput;
  try {
    goVersion = await new Deno.Command("go", { args: ["version"], stdin: "null" }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error("Cannot build Go cosign: `go` is not on PATH (install Go 1.24 or later)", {
        cause: err,
      });
    }
    throw err;
  }
  if (!goVersion.success) {
    throw new Error(
      `Cannot build Go cosign: \`go version\` failed: ${decoder.decode(goVersion.stderr)}`,
    );
  }
  say(`using ${decoder.decode(goVersion.stdout).trim()}`);

  const binDir = cosignBinDir();
  await Deno.mkdir(dirname(binDir), { recursive: true });
  const buildDir = await Deno.makeTempDir({ dir: dirname(binDir), prefix: "build-" });
  try {
    const spec = `${COSIGN_MODULE}@${COSIGN_VERSION}`;
    say(`building ${spec} (CGO_ENABLED=0 GOFLAGS=-trimpath); this takes a few minutes`);
    const started = performance.now();
    const build = await new Deno.Command("go", {
      args: ["install", spec],
      env: { CGO_ENABLED: "0", GOFLAGS: "-trimpath", GOBIN: buildDir },
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).output();
    const buildOutput = decoder.decode(build.stdout).trim();
    if (buildOutput) console.error(buildOutput);
    if (!build.success) {
      throw new Error(`Cannot build Go cosign: go install ${spec} exited with ${build.code}`);
    }
    const built = join(buildDir, "cosign");
    if (!(await works(built))) {
      throw new Error(`Cannot build Go cosign: ${built} does not report ${COSIGN_VERSION}`);
    }
    await Deno.mkdir(binDir, { recursive: true });
    await Deno.rename(built, target);
    say(`built in ${((performance.now() - started) / 1000).toFixed(0)} s: ${target}`);
  } finally {
    await Deno.remove(buildDir, { recursive: true }).catch(() => {});
  }
  return target;
}

/**
 * The Debian packages the registry and hardware-token tests need, by the file each provides:
 * SoftHSM2 and OpenSC's `pkcs11-tool` for the PKCS#11 tests, the YubiKey PIV module for the
 * `piv-tool` tests (which run without a key present).
 */
const APT_PACKAGES: Record<string, string> = {
  [DOCKER_REGISTRY]: "docker-registry",
  "/usr/bin/htpasswd": "apache2-utils",
  "/usr/bin/openssl": "openssl",
  "/usr/bin/softhsm2-util": "softhsm2",
  "/usr/bin/pkcs11-tool": "opensc",
  "/usr/lib/x86_64-linux-gnu/libykcs11.so": "ykcs11",
  // TLS fronts: the TSA client-certificate and server-name tests, the Kubernetes stub's mutual TLS.
  "/usr/bin/socat": "socat",
};

/**
 * Installs Debian's `docker-registry`, `apache2-utils`, `openssl`, `softhsm2`, `opensc`,
 * `ykcs11` and `socat` when missing (needs root).
 *
 * @throws {Error} when a package is missing and cannot be installed
 */
export async function ensureRegistryPackages(): Promise<void> {
  const missing: string[] = [];
  for (const [bin, pkg] of Object.entries(APT_PACKAGES)) {
    try {
      await Deno.stat(bin);
    } catch {
      missing.push(pkg);
    }
  }
  if (!missing.length) {
    say(`registry packages already installed (${Object.values(APT_PACKAGES).join(", ")})`);
    return;
  }
  if (Deno.uid() !== 0) {
    throw new Error(
      `Cannot install ${missing.join(", ")}: not root; run: sudo apt-get install -y ${
        missing.join(" ")
      }`,
    );
  }
  say(`apt-get install -y ${missing.join(" ")}`);
  for (const args of [["update"], ["install", "-y", "--no-install-recommends", ...missing]]) {
    const out = await new Deno.Command("apt-get", {
      args,
      env: { DEBIAN_FRONTEND: "noninteractive" },
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!out.success) {
      throw new Error(`Cannot install ${missing.join(", ")}: apt-get ${args[0]} failed`);
    }
  }
}

const GGCR_REGISTRY_MAIN = `package main

import (
\t"flag"
\t"log"
\t"net"
\t"net/http"
\t"os"
\t"time"

\t"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
\taddr := flag.String("address", "127.0.0.1:0", "listen address")
\tflag.Parse()
\tl, err := net.Listen("tcp", *addr)
\tif err != nil {
\t\tlog.Fatal(err)
\t}
\tos.Stdout.WriteString("listening on " + l.Addr().String() + "\\n")
\ts := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: registry.New(registry.WithReferrersSupport(true))}
\tlog.Fatal(s.Serve(l))
}
`;

/**
 * Builds go-containerregistry's in-memory registry with the OCI 1.1 referrers API enabled.
 *
 * @returns the binary's path
 * @throws {Error} when the build fails
 */
export async function ensureGgcrRegistry(): Promise<string> {
  const target = ggcrRegistryPath();
  try {
    await Deno.stat(target);
    say(`go-containerregistry registry ${GGCR_VERSION} already installed at ${target}`);
    return target;
  } catch { /* build it */ }
  const binDir = dirname(target);
  await Deno.mkdir(dirname(binDir), { recursive: true });
  const buildDir = await Deno.makeTempDir({ dir: dirname(binDir), prefix: "build-" });
  try {
    await Deno.writeTextFile(join(buildDir, "main.go"), GGCR_REGISTRY_MAIN);
    const env = { CGO_ENABLED: "0", GOFLAGS: "-trimpath" };
    for (
      const args of [
        ["mod", "init", "cosign-deno/ggcr-registry"],
        ["get", `github.com/google/go-containerregistry@${GGCR_VERSION}`],
        ["build", "-o", "ggcr-registry", "."],
      ]
    ) {
      say(`go ${args.join(" ")}`);
      const out = await new Deno.Command("go", {
        args,
        cwd: buildDir,
        env,
        stdin: "null",
        stdout: "inherit",
        stderr: "inherit",
      }).output();
      if (!out.success) throw new Error(`Cannot build the ggcr registry: go ${args[0]} failed`);
    }
    await Deno.mkdir(binDir, { recursive: true });
    await Deno.rename(join(buildDir, "ggcr-registry"), target);
    say(`built ${target}`);
  } finally {
    await Deno.remove(buildDir, { recursive: true }).catch(() => {});
  }
  return target;
}

if (import.meta.main) {
  try {
    await ensureCosign();
    await ensureRegistryPackages();
    await ensureGgcrRegistry();
    await ensureRekor();
    await ensureTsa();
    await ensureFulcio();
    await ensureLocalKms();
    await ensurePolicyEngine();
  } catch (err) {
    console.error(`peers: error: ${err instanceof Error ? err.message : String(err)}`);
    Deno.exit(1);
  }
}
