/**
 * Throw-away certificate authorities made with the `openssl` command line, for the TLS fronts and
 * fakes of the tests (HTTPS fakes of cloud APIs, the Kubernetes stub, the TSA peer's signer, TLS
 * fronts before a peer). Certificates the tests must shape field by field come from
 * `test_ca.ts` instead.
 *
 * @module
 */
import { join } from "node:path";

/**
 * Runs openssl in `cwd` with no input.
 *
 * @throws {Error} "openssl <verb>: <stderr>" when it fails
 */
export async function openssl(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdin: "null", stderr: "piped" })
    .output();
  if (!out.success) throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
}

/** The `req` arguments of a new ECDSA P-256 key without a passphrase. */
const P256 = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/**
 * Makes a self-signed ECDSA P-256 CA: `<name>.key` and `<name>.pem` in `dir`.
 *
 * @param subject e.g. "/CN=fake azure CA"
 * @param options `name` (default "ca"), `days` (default 30), `keyUsage` (default "keyCertSign")
 */
export async function opensslCa(
  dir: string,
  subject: string,
  options: { name?: string; days?: number; keyUsage?: string } = {},
): Promise<void> {
  const name = options.name ?? "ca";
  await openssl([
    "req",
    "-x509",
    ...P256,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.pem`,
    "-days",
    String(options.days ?? 30),
    "-subj",
    subject,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    `keyUsage=critical,${options.keyUsage ?? "keyCertSign"}`,
  ], dir);
}

/**
 * Issues a certificate from the CA of {@link opensslCa}: `<name>.key` (ECDSA P-256, or made by
 * `genpkey` with `keyAlgorithm`), `<name>.csr`, `<name>.ext` and `<name>.pem` in `dir`.
 *
 * @param name the files' base name
 * @param subject e.g. "/CN=localhost"
 * @param extensions openssl `-extfile` lines (SAN, EKU, basic constraints …)
 * @param options `ca` (the CA's base name, default "ca"), `days` (default 30), `keyAlgorithm`
 *   (`genpkey` arguments, e.g. `["-algorithm", "ED25519"]`)
 */
export async function opensslIssue(
  dir: string,
  name: string,
  subject: string,
  extensions: string,
  options: { ca?: string; days?: number; keyAlgorithm?: string[] } = {},
): Promise<void> {
  const ca = options.ca ?? "ca";
  if (options.keyAlgorithm) {
    await openssl(["genpkey", ...options.keyAlgorithm, "-out", `${name}.key`], dir);
    await openssl(
      ["req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`],
      dir,
    );
  } else {
    await openssl(
      ["req", ...P256, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject],
      dir,
    );
  }
  await Deno.writeTextFile(join(dir, `${name}.ext`), extensions);
  await openssl([
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.pem`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-days",
    String(options.days ?? 30),
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.pem`,
  ], dir);
}
