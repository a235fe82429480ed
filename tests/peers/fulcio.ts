/**
 * A real Fulcio certificate authority on loopback, for keyless tests: Fulcio v1.8.8 (built by
 * `scripts/peers/install.ts` with `go install github.com/sigstore/fulcio@v1.8.8`, cached outside
 * the repository) serving a file CA that the test generates with openssl — a root and an
 * intermediate, as the public-good instance has — and trusting OIDC issuers on loopback
 * (tests/peers/oidc_issuer.ts), optionally submitting precertificates to a CT log
 * (tests/peers/ct_log.ts) so that certificates carry an embedded SCT.
 *
 * Fulcio binds HTTP (`--port`) and gRPC (`--grpc-port`) on 127.0.0.1, its legacy v1 gRPC bridge on
 * an abstract Unix socket named per instance (`--legacy-unix-domain-socket`; the default name
 * would clash between two Fulcios on one host), and Prometheus on `:--metrics-port`, which cannot
 * be limited to loopback (cmd/app/serve.go listens on `":"+port`). Every port is a free one, and a
 * start that loses a port race is retried, as tests/peers/rekor.ts does. (The single-port
 * "duplex" mode, `--port` = `--grpc-port`, panics at start in v1.8.8: go-grpc-kit registers a
 * Prometheus metric that Fulcio already registered.) A missing binary fails the test (never
 * skips).
 *
 * @module
 */
import { join } from "node:path";
import { cacheRoot } from "./cosign.ts";

/** The pinned Fulcio release. */
export const FULCIO_VERSION = "v1.8.8";

/** The module `go install` builds (`main.go` sits at the module root). */
export const FULCIO_MODULE = "github.com/sigstore/fulcio";

/** The folder `go install` writes the `fulcio` binary to (its GOBIN). */
export function fulcioBinDir(): string {
  return join(cacheRoot(), "peers", `fulcio-${FULCIO_VERSION}`, "bin");
}

/** The path of the Fulcio binary (it may not exist yet). */
export function fulcioPath(): string {
  return join(fulcioBinDir(), "fulcio");
}

/** A certificate authority made for one test run (PEM files on disk). */
export interface FulcioCa {
  /** The self-signed root (PEM). */
  rootPem: string;
  /** The intermediate that issues leaf certificates (PEM); its EKU is codeSigning. */
  intermediatePem: string;
  /** Intermediate then root (PEM), as Fulcio returns the chain and trusted roots list it. */
  chainPem: string;
  /** Subject of the root, for the trusted root's `subject`. */
  subject: { organization: string; commonName: string };
  /** Files: the chain (Fulcio's `--fileca-cert`), the intermediate key, the root alone. */
  chainPath: string;
  keyPath: string;
  rootPath: string;
  /** When the CA became valid (both certificates' notBefore, RFC 3339, second precision). */
  notBefore: string;
}

/** An OIDC issuer Fulcio trusts (one entry of its `OIDCIssuers`, pkg/config/config.go). */
export interface FulcioIssuer {
  /** `IssuerURL`: must equal the discovery document's `issuer` and the token's `iss`. */
  url: string;
  /** `Type`: `email` (SAN e-mail) or `github-workflow` (SAN URI + GitHub extensions) … */
  type: "email" | "github-workflow" | "uri" | "username";
  /** `ClientID`, the required `aud` (default `sigstore`). */
  clientId?: string;
  /** `SubjectDomain` for the `uri` and `username` types. */
  subjectDomain?: string;
}

/** A running Fulcio. */
export interface FulcioPeer {
  /** `http://127.0.0.1:<port>`: the REST APIs (v1 and v2). */
  url: string;
  ca: FulcioCa;
  /** The CT log URL Fulcio submits to, or undefined when it runs without one. */
  ctLogUrl?: string;
  /** Fulcio's stderr so far (for diagnosis). */
  log(): Promise<string>;
  stop(): Promise<void>;
}

const decoder = new TextDecoder();

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function openssl(args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${decoder.decode(out.stderr).slice(-500)}`);
  }
}

const CA_CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[intermediate]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
`;

/**
 * Generates a Fulcio CA with openssl into `dir`: a P-384 root (CA, keyCertSign) and a P-384
 * intermediate (CA, pathlen 0, EKU codeSigning — Fulcio's fileca requires that EKU on an
 * intermediate, pkg/ca/common.go VerifyCertChain), both valid for ten years from now.
 *
 * @param dir where the files go
 * @returns the CA's certificates and file paths
 * @throws {Error} when openssl fails
 */
export async function createFulcioCa(dir: string): Promise<FulcioCa> {
  const subject = { organization: "cosign-deno tests", commonName: "local-fulcio-root" };
  const cnf = join(dir, "ca.cnf");
  await Deno.writeTextFile(cnf, CA_CONFIG);
  const rootKey = join(dir, "root.key");
  const rootPath = join(dir, "root.pem");
  const keyPath = join(dir, "intermediate.key");
  const csr = join(dir, "intermediate.csr");
  const intPath = join(dir, "intermediate.pem");
  const chainPath = join(dir, "chain.pem");
  const genkey = (out: string) =>
    openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", out]);
  await genkey(rootKey);
  await genkey(keyPath);
  // openssl's notBefore is "now"; record it before, truncated to the second, so that the trusted
  // root's validity starts no later than the certificates'.
  const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000).toISOString()
    .replace(".000Z", "Z");
  await openssl([
    "req",
    "-x509",
    "-new",
    "-key",
    rootKey,
    "-config",
    cnf,
    "-extensions",
    "root",
    "-subj",
    `/O=${subject.organization}/CN=${subject.commonName}`,
    "-sha384",
    "-days",
    "3650",
    "-out",
    rootPath,
  ]);
  await openssl([
    "req",
    "-new",
    "-key",
    keyPath,
    "-config",
    cnf,
    "-subj",
    `/O=${subject.organization}/CN=local-fulcio-intermediate`,
    "-out",
    csr,
  ]);
  await openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    rootPath,
    "-CAkey",
    rootKey,
    "-set_serial",
    `0x${crypto.getRandomValues(new Uint8Array(16)).toHex()}`,
    "-extfile",
    cnf,
    "-extensions",
    "intermediate",
    "-sha384",
    "-days",
    "3650",
    "-out",
    intPath,
  ]);
  const rootPem = await Deno.readTextFile(rootPath);
  const intermediatePem = await Deno.readTextFile(intPath);
  const chainPem = intermediatePem + rootPem;
  await Deno.writeTextFile(chainPath, chainPem);
  await Deno.remove(csr);
  return {
    rootPem,
    intermediatePem,
    chainPem,
    subject,
    chainPath,
    keyPath,
    rootPath,
    notBefore,
  };
}

/** What {@link startFulcio} needs. */
export interface FulcioOptions {
  /** The CA to serve (from {@link createFulcioCa}); one is made when left out. */
  ca?: FulcioCa;
  /** The OIDC issuers to trust. */
  issuers: FulcioIssuer[];
  /** A CT log URL with its prefix (`http://127.0.0.1:PORT/test`); without it Fulcio runs with no CT log. */
  ctLogUrl?: string;
}

/**
 * Starts Fulcio on loopback.
 *
 * @param options the CA, the trusted issuers and the CT log
 * @returns the running Fulcio; `stop()` ends it and removes its files
 * @throws {Error} when the binary is missing or Fulcio does not come up (tests fail, never skip)
 */
export async function startFulcio(options: FulcioOptions): Promise<FulcioPeer> {
  let first: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await startFulcioOnce(options);
    } catch (e) {
      first ??= e;
    }
  }
  throw first;
}

async function startFulcioOnce(options: FulcioOptions): Promise<FulcioPeer> {
  const binary = fulcioPath();
  try {
    await Deno.stat(binary);
  } catch {
    throw new Error(
      `Fulcio peer not installed: ${binary} is missing (run: deno run -A scripts/peers/install.ts)`,
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "fulcio-peer-" });
  let child: Deno.ChildProcess | undefined;
  const logPath = join(dir, "fulcio.log");
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
    const ca = options.ca ?? await createFulcioCa(dir);
    // JSON keys as pkg/config/config.go's OIDCIssuer; an explicit --config-path, because a missing
    // one silently falls back to the public-good issuers.
    const config = {
      OIDCIssuers: Object.fromEntries(options.issuers.map((i) => [i.url, {
        IssuerURL: i.url,
        ClientID: i.clientId ?? "sigstore",
        Type: i.type,
        ...(i.subjectDomain ? { SubjectDomain: i.subjectDomain } : {}),
      }])),
    };
    const configPath = join(dir, "config.json");
    await Deno.writeTextFile(configPath, JSON.stringify(config, null, 2));
    const [port, grpcPort, metricsPort] = [freePort(), freePort(), freePort()];
    child = new Deno.Command(binary, {
      args: [
        "serve",
        "--ca=fileca",
        `--fileca-cert=${ca.chainPath}`,
        `--fileca-key=${ca.keyPath}`,
        // Required by the flag check even for an unencrypted PKCS#8 key (it is then unused).
        "--fileca-key-passwd=unused",
        "--fileca-watch=false",
        `--config-path=${configPath}`,
        `--ct-log-url=${options.ctLogUrl ?? ""}`,
        "--host=127.0.0.1",
        `--port=${port}`,
        "--grpc-host=127.0.0.1",
        `--grpc-port=${grpcPort}`,
        `--metrics-port=${metricsPort}`,
        `--legacy-unix-domain-socket=@fulcio-peer-${crypto.randomUUID()}`,
        "--log_type=dev",
      ],
      cwd: dir,
      env: { NO_PROXY: "127.0.0.1,localhost", no_proxy: "127.0.0.1,localhost" },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    child.stderr.pipeTo(
      Deno.openSync(logPath, { write: true, create: true }).writable,
    ).catch(() => {});
    const url = `http://127.0.0.1:${port}`;
    const exited = child.status.then((s) => s.code);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const code = await Promise.race([exited, new Promise((r) => setTimeout(r, 100))]);
      if (typeof code === "number") {
        const log = await Deno.readTextFile(logPath).catch(() => "");
        throw new Error(`Fulcio peer exited with ${code}: ${log.slice(-1500)}`);
      }
      const ok = await fetch(`${url}/api/v1/rootCert`).then(async (r) => {
        await r.body?.cancel();
        return r.ok;
      }).catch(() => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error("Fulcio peer did not come up within 30s");
    }
    return {
      url,
      ca,
      ctLogUrl: options.ctLogUrl,
      log: () => Deno.readTextFile(logPath).catch(() => ""),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
