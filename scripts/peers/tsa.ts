/**
 * Installs the RFC 3161 timestamp-authority peer: sigstore's timestamp-authority
 * v2.1.3 (`github.com/sigstore/timestamp-authority/v2`), built into the peer cache. Idempotent; a
 * second run does nothing.
 *
 *     deno run -A scripts/peers/tsa.ts
 *
 * Why not `go install .../cmd/timestamp-server@v2.1.3`: that command always starts a Prometheus
 * listener on the fixed address `:2112` (every interface; pkg/server/prometheus.go) and exits when
 * the port is taken — by a second TSA or by rekor-server, which uses the same port — so tests could
 * neither keep it on loopback nor run two peers at once. The peer is instead a 40-line `main` of our
 * own (below) over the same pinned module: the server's REST API (`pkg/server.NewRestAPIServer`,
 * the `/api/v1/timestamp` handlers, the memory and file signers) configured through viper exactly
 * as `timestamp-server serve` configures it, listening on 127.0.0.1 only, without the metrics
 * listener and the NTP monitor (which would reach out to public NTP servers).
 *
 * @module
 */
import { dirname, join } from "node:path";
import { TSA_MODULE, TSA_VERSION, tsaPeerPath } from "../../tests/peers/tsa.ts";

function say(message: string): void {
  console.error(`peers: ${message}`);
}

/** Our `main`: flags named as `timestamp-server serve`'s, defaults as in its cmd/…/app/root.go. */
const TSA_PEER_MAIN = `package main

import (
\t"flag"
\t"fmt"
\t"log"
\t"os"
\t"time"

\t"github.com/sigstore/timestamp-authority/v2/pkg/server"
\t"github.com/spf13/viper"
)

func main() {
\thost := flag.String("host", "127.0.0.1", "address to listen on")
\tport := flag.Int("port", 0, "port (0 picks a free one)")
\tsigner := flag.String("timestamp-signer", "memory", "memory or file")
\thash := flag.String("timestamp-signer-hash", "sha256", "sha256, sha384 or sha512")
\tkeyPath := flag.String("file-signer-key-path", "", "PEM private key (file signer)")
\tkeyPass := flag.String("file-signer-passwd", "", "password of the key")
\tchainPath := flag.String("certificate-chain-path", "", "PEM chain, leaf first (file signer)")
\tincludeChain := flag.Bool("include-chain-in-response", false, "embed the issuing chain")
\tflag.Parse()
\tviper.Set("timestamp-signer", *signer)
\tviper.Set("timestamp-signer-hash", *hash)
\tviper.Set("file-signer-key-path", *keyPath)
\tviper.Set("file-signer-passwd", *keyPass)
\tviper.Set("certificate-chain-path", *chainPath)
\tviper.Set("include-chain-in-response", *includeChain)
\tviper.Set("enforce-intermediate-eku", true)
\tviper.Set("default-policy-oid", "1.3.6.1.4.1.57264.2")
\tviper.Set("accepted-policy-oids", []string{"1.3.6.1.4.1.57264.2"})
\tviper.Set("max-request-body-size", uint64(1048576))
\ts := server.NewRestAPIServer(*host, *port, []string{"http"}, false, 30*time.Second, 30*time.Second)
\tif err := s.Listen(); err != nil {
\t\tlog.Fatal(err)
\t}
\tfmt.Fprintf(os.Stdout, "listening on %s:%d\\n", s.Host, s.Port)
\tlog.Fatal(s.Serve())
}
`;

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds the timestamp-authority peer into the cache when it is missing.
 *
 * @returns the binary's path
 * @throws {Error} when `go` is missing or the build fails
 */
export async function ensureTsa(): Promise<string> {
  const target = tsaPeerPath();
  if (await exists(target)) {
    say(`timestamp-authority ${TSA_VERSION} peer already installed at ${target}`);
    return target;
  }
  const binDir = dirname(target);
  await Deno.mkdir(dirname(binDir), { recursive: true });
  const buildDir = await Deno.makeTempDir({ dir: dirname(binDir), prefix: "build-" });
  try {
    await Deno.writeTextFile(join(buildDir, "main.go"), TSA_PEER_MAIN);
    const env = { CGO_ENABLED: "0", GOFLAGS: "-trimpath" };
    say(`building the timestamp-authority ${TSA_VERSION} peer (a few minutes on a fresh machine)`);
    for (
      const args of [
        ["mod", "init", "cosign-deno/tsa-peer"],
        ["get", `${TSA_MODULE}@${TSA_VERSION}`],
        ["mod", "tidy"],
        ["build", "-o", "tsa-peer", "."],
      ]
    ) {
      const out = await new Deno.Command("go", {
        args,
        cwd: buildDir,
        env,
        stdin: "null",
        stdout: "inherit",
        stderr: "inherit",
      }).output();
      if (!out.success) throw new Error(`Cannot build the TSA peer: go ${args.join(" ")} failed`);
    }
    await Deno.mkdir(binDir, { recursive: true });
    await Deno.rename(join(buildDir, "tsa-peer"), target);
    say(`built ${target}`);
  } finally {
    await Deno.remove(buildDir, { recursive: true }).catch(() => {});
  }
  return target;
}

if (import.meta.main) {
  try {
    await ensureTsa();
  } catch (e) {
    console.error(`peers: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
