/**
 * A real RFC 3161 timestamp authority on loopback, for tests: sigstore's timestamp-authority
 * v2.1.3 server code (built by `scripts/peers/tsa.ts`, pinned, cached outside the repository),
 * listening on 127.0.0.1 on a port it picks itself (no port race), nothing else opened.
 *
 * Signers: the server's in-memory one (a fresh ECDSA P-256 key and root → intermediate → leaf
 * chain on every start, as `--timestamp-signer memory`), or its file signer with a key and
 * a root → leaf chain made here with openssl (ECDSA P-384, RSA 2048 or Ed25519), as
 * `--timestamp-signer file`.
 *
 * @module
 */
import { join } from "node:path";
import { cacheRoot } from "./cosign.ts";
import { opensslCa, opensslIssue } from "../helpers/openssl_ca.ts";

/** The pinned timestamp-authority release. */
export const TSA_VERSION = "v2.1.3";
/** Its Go module. */
export const TSA_MODULE = "github.com/sigstore/timestamp-authority/v2";

/**
 * Where the peer binary lives (it may not exist yet).
 *
 * @returns `<cache>/peers/timestamp-authority-v2.1.3/bin/tsa-peer`
 */
export function tsaPeerPath(): string {
  return join(cacheRoot(), "peers", `timestamp-authority-${TSA_VERSION}`, "bin", "tsa-peer");
}

/** How the authority signs. */
export type TsaKey = "memory" | "ecdsa-p384" | "rsa" | "ed25519";

/** Options of {@link startTsa}. */
export interface StartTsaOptions {
  /** The signer (default "memory": the server's own ephemeral ECDSA P-256 chain). */
  key?: TsaKey;
  /** `--include-chain-in-response`: embed the issuing CAs next to the leaf (default false). */
  includeChain?: boolean;
  /** `--timestamp-signer-hash` for file signers (default sha256). */
  hash?: "sha256" | "sha384" | "sha512";
}

/** A running authority. */
export interface TsaPeer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The RFC 3161 endpoint (`/api/v1/timestamp`), cosign's `--timestamp-server-url`. */
  timestampUrl: string;
  /** The chain as `GET /api/v1/timestamp/certchain` serves it: PEM, leaf first. */
  certChainPem: string;
  /** The same chain, DER (the trusted root's `certChain.certificates[].rawBytes`). */
  certChain: Uint8Array[];
  /** A file holding {@link certChainPem} (cosign's `--timestamp-certificate-chain`). */
  certChainPath: string;
  stop(): Promise<void>;
}

/** A root CA and a TSA leaf (critical timeStamping EKU only) for the server's file signer. */
async function makeFileSigner(dir: string, key: Exclude<TsaKey, "memory">): Promise<string[]> {
  await opensslCa(dir, "/O=cosign-deno tests/CN=Test TSA Root", {
    name: "root",
    days: 3650,
    keyUsage: "keyCertSign,cRLSign",
  });
  const keyAlgorithm = {
    "ecdsa-p384": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    rsa: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    ed25519: ["-algorithm", "ED25519"],
  }[key];
  await opensslIssue(
    dir,
    "leaf",
    `/O=cosign-deno tests/CN=Test TSA ${key}`,
    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n" +
      "extendedKeyUsage=critical,timeStamping\nsubjectKeyIdentifier=hash\n",
    { ca: "root", days: 365, keyAlgorithm },
  );
  const chain = await Deno.readTextFile(join(dir, "leaf.pem")) +
    await Deno.readTextFile(join(dir, "root.pem"));
  await Deno.writeTextFile(join(dir, "chain.pem"), chain);
  return [
    "--timestamp-signer=file",
    `--file-signer-key-path=${join(dir, "leaf.key")}`,
    `--certificate-chain-path=${join(dir, "chain.pem")}`,
  ];
}

/**
 * Splits a PEM certificate chain into DER certificates.
 *
 * @param pem the chain
 * @returns the certificates, in order
 */
export function pemCertificates(pem: string): Uint8Array[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/g)]
    .map((m) => Uint8Array.fromBase64(m[1].replace(/\s+/g, "")));
}

/** Reads the child's stdout until the "listening on host:port" line, then drains the rest. */
async function listeningAddress(stdout: ReadableStream<Uint8Array>, ms: number): Promise<string> {
  const reader = stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const timer = setTimeout(() => reader.cancel().catch(() => {}), ms);
  try {
    while (text.length < 4096) {
      const { done, value } = await reader.read();
      if (done) break;
      text += value;
      const m = /listening on (\S+:\d+)\n/.exec(text);
      if (m) {
        (async () => {
          while (!(await reader.read()).done) { /* keep the pipe from filling */ }
        })().catch(() => {});
        return m[1];
      }
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error("TSA peer: the server did not report its address");
}

/**
 * Starts a timestamp authority on 127.0.0.1.
 *
 * @param opts the signer and whether responses embed the chain
 * @returns the running authority; call `stop()` to end it and delete its files
 * @throws {Error} when the peer is not installed or does not come up (tests fail, never skip)
 */
export async function startTsa(opts: StartTsaOptions = {}): Promise<TsaPeer> {
  const binary = tsaPeerPath();
  try {
    await Deno.stat(binary);
  } catch {
    throw new Error(
      `TSA peer not installed: ${binary} is missing (run: deno run -A scripts/peers/tsa.ts)`,
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "tsa-peer-" });
  let child: Deno.ChildProcess | undefined;
  const stop = async () => {
    try {
      child?.kill("SIGKILL");
    } catch { /* gone */ }
    await child?.status.catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    const key = opts.key ?? "memory";
    const args = ["--host=127.0.0.1", "--port=0"];
    if (key !== "memory") args.push(...await makeFileSigner(dir, key));
    if (opts.hash) args.push(`--timestamp-signer-hash=${opts.hash}`);
    if (opts.includeChain) args.push("--include-chain-in-response");
    child = new Deno.Command(binary, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    child.stderr.pipeTo(
      Deno.openSync(join(dir, "tsa.log"), { write: true, create: true }).writable,
    ).catch(() => {});
    const address = await listeningAddress(child.stdout, 30_000);
    const url = `http://${address}`;
    const res = await fetch(`${url}/api/v1/timestamp/certchain`);
    const certChainPem = await res.text();
    if (!res.ok) throw new Error(`TSA peer: certchain returned ${res.status}`);
    const certChainPath = join(dir, "tsa-chain.pem");
    await Deno.writeTextFile(certChainPath, certChainPem);
    return {
      url,
      timestampUrl: `${url}/api/v1/timestamp`,
      certChainPem,
      certChain: pemCertificates(certChainPem),
      certChainPath,
      stop,
    };
  } catch (e) {
    const log = await Deno.readTextFile(join(dir, "tsa.log")).catch(() => "");
    await stop();
    throw log ? new Error(`${(e as Error).message}\n${log.slice(-2000)}`, { cause: e }) : e;
  }
}
