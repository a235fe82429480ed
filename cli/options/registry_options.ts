/**
 * Maps cosign's registry flags (`--registry-username`, `--registry-cacert`, …) and environment
 * (`DOCKER_CONFIG`, `COSIGN_REPOSITORY`, `COSIGN_DOCKER_MEDIA_TYPES`) to registry options.
 *
 * @module
 */
import type { Context } from "../command.ts";
import type { Flag } from "../flags/parse.ts";
import { readPem } from "./read_pem.ts";
import { UsageError } from "../exit_codes.ts";
import { IoError } from "../../lib/errors.ts";
import { DEFAULT_MAX_ATTACHMENT_SIZE, parseHumanBytes } from "../../lib/payload/attachment_size.ts";
import type { RegistryClient, RegistryClientOptions } from "../../lib/registry/client.ts";
import type { Reference, Repository } from "../../lib/registry/types.ts";

/**
 * Builds a registry client from the command's registry flags. What each flag does here, against
 * cosign's options/registry.go:
 *
 * - `--allow-http-registry`: plain HTTP allowed for any registry (ggcr `name.Insecure`);
 * - `--allow-insecure-registry`: cosign skips TLS verification; Deno cannot per connection, so a
 *   registry whose certificate does not verify fails with an error saying so (and what to do);
 *   registries that verify, and plain-HTTP loopback ones, work as in cosign;
 * - `--registry-username/-password/-token`: credentials (combinations checked);
 * - `--registry-cacert`: extra trusted CAs; like cosign, a file without a certificate is an error;
 * - `--registry-client-cert` + `--registry-client-key`: mutual TLS (`Deno.createHttpClient`);
 * - refused, with a one-line error: `--registry-server-name` (Deno's TLS client always verifies
 *   the certificate against the host being connected to) and `--k8s-keychain` (no Kubernetes
 *   keychain).
 *
 * @throws {UsageError} on contradictory or unsupported flags; {@link IoError} when a certificate
 *   file is unreadable or holds no certificate
 */
export async function registryFromFlags(ctx: Context): Promise<RegistryClient> {
  const f = ctx.flags;
  const { createRegistry } = await import("../../lib/registry/client.ts");
  const { dockerConfigPath, dockerKeychain } = await import("../../lib/registry/docker_config.ts");
  const options: RegistryClientOptions = {
    allowHttp: f["allow-http-registry"] === true,
    allowInsecure: f["allow-insecure-registry"] === true,
    signal: ctx.signal,
    keychain: dockerKeychain({
      configPath: dockerConfigPath({
        DOCKER_CONFIG: ctx.io.getEnv("DOCKER_CONFIG"),
        HOME: ctx.io.getEnv("HOME"),
      }),
    }),
  };
  if (f["k8s-keychain"] === true) {
    throw new UsageError("cannot use --k8s-keychain: the Kubernetes keychain is not supported");
  }
  if (((f["registry-server-name"] as string | undefined) ?? "") !== "") {
    // Never ignored: it names the server the TLS connection must be verified against.
    throw new UsageError(
      "cannot use --registry-server-name: Deno's TLS client always verifies the registry's " +
        "certificate against the host name in the image reference; use that name in the reference",
    );
  }
  const user = (f["registry-username"] as string | undefined) ?? "";
  const pass = (f["registry-password"] as string | undefined) ?? "";
  const token = (f["registry-token"] as string | undefined) ?? "";
  if (token !== "" && (user !== "" || pass !== "")) {
    throw new UsageError(
      "cannot combine --registry-token with --registry-username/--registry-password",
    );
  }
  if ((user === "") !== (pass === "") && token === "") {
    throw new UsageError("--registry-username and --registry-password must be given together");
  }
  if (token !== "") options.credentials = { registryToken: token };
  else if (user !== "") options.credentials = { username: user, password: pass };
  const ca = (f["registry-cacert"] as string | undefined) ?? "";
  if (ca !== "") {
    const pem = await readPem(ca, "--registry-cacert");
    // cosign: x509.CertPool.AppendCertsFromPEM finds nothing → "no valid CA certs found in …".
    if (!/-----BEGIN CERTIFICATE-----/.test(pem)) {
      throw new IoError("INPUT_UNREADABLE", `no valid CA certs found in ${ca}`);
    }
    options.caCerts = [pem];
  }
  const cert = (f["registry-client-cert"] as string | undefined) ?? "";
  const key = (f["registry-client-key"] as string | undefined) ?? "";
  if ((cert === "") !== (key === "")) {
    throw new UsageError("--registry-client-cert and --registry-client-key must be given together");
  }
  if (cert !== "") {
    options.clientCert = await readPem(cert, "--registry-client-cert");
    options.clientKey = await readPem(key, "--registry-client-key");
  }
  try {
    return createRegistry(options);
  } catch (e) {
    // Deno parses the PEM when the client is made (a bad certificate or key throws here).
    const which = cert !== ""
      ? `client certs from cert ${cert}, key ${key}`
      : `CA certs from ${ca}`;
    throw new IoError("INPUT_UNREADABLE", `unable to read ${which}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** `--registry-referrers-mode` (options/registry.go RegistryExperimentalOptions). */
export const referrersModeFlag: Flag = {
  name: "registry-referrers-mode",
  type: "string",
  metavar: "registryReferrersMode",
  help: "mode for fetching references from the registry. allowed: legacy, oci-1-1",
};

/**
 * `--registry-referrers-mode`, checked as cosign's `RegistryReferrersMode.Set` does: `legacy` or
 * `oci-1-1`, the latter only with `COSIGN_EXPERIMENTAL=1`.
 *
 * @returns the mode ("legacy" when not given)
 * @throws {UsageError} with cosign's messages
 */
export function referrersMode(ctx: Context): "legacy" | "oci-1-1" {
  const mode = (ctx.flags["registry-referrers-mode"] as string | undefined) ?? "";
  if (mode === "" || mode === "legacy") return "legacy";
  const bad = (why: string) =>
    new UsageError(`invalid argument "${mode}" for "--registry-referrers-mode" flag: ${why}`);
  if (mode !== "oci-1-1") throw bad(`must be one of "legacy", "oci-1-1"`);
  if (
    !["1", "t", "T", "true", "TRUE", "True"].includes(ctx.io.getEnv("COSIGN_EXPERIMENTAL") ?? "")
  ) {
    throw bad(`in order to use  mode "oci-1-1", you must set COSIGN_EXPERIMENTAL=1`);
  }
  return "oci-1-1";
}

/** Parses an image reference argument; a malformed one is a usage error naming it. */
export async function parseImageRef(text: string): Promise<Reference> {
  const { parseReference } = await import("../../lib/registry/reference.ts");
  try {
    return parseReference(text);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * Where signatures and attestations are stored: `COSIGN_REPOSITORY` when set (cosign's
 * alternate location), else beside the image.
 */
export async function targetRepository(ctx: Context, ref: Reference): Promise<Repository> {
  const alt = ctx.io.getEnv("COSIGN_REPOSITORY");
  if (!alt) return { registry: ref.registry, repository: ref.repository };
  const { parseRepository } = await import("../../lib/registry/reference.ts");
  try {
    return parseRepository(alt);
  } catch (e) {
    throw new UsageError(`invalid COSIGN_REPOSITORY "${alt}": ${(e as Error).message}`);
  }
}

/** Whether `COSIGN_DOCKER_MEDIA_TYPES` asks for Docker media types (cosign: "1"/true). */
export function dockerMediaTypes(ctx: Context): boolean {
  const v = ctx.io.getEnv("COSIGN_DOCKER_MEDIA_TYPES") ?? "";
  return ["1", "t", "T", "true", "TRUE", "True"].includes(v);
}

/**
 * cosign's COSIGN_MAX_ATTACHMENT_SIZE (default 128 MiB), e.g. "5120", "20K", "3M", "45MiB", "1GB".
 * cosign silently falls back to the default on a malformed value; we refuse it instead, as we do
 * for malformed `COSIGN_<FLAG>` values.
 *
 * @throws {UsageError} on a malformed value
 */
export function maxAttachmentSize(ctx: Context): number {
  const text = ctx.io.getEnv("COSIGN_MAX_ATTACHMENT_SIZE");
  if (text === undefined) return DEFAULT_MAX_ATTACHMENT_SIZE;
  try {
    return parseHumanBytes(text);
  } catch {
    throw new UsageError(`invalid COSIGN_MAX_ATTACHMENT_SIZE "${text}"`);
  }
}

/**
 * Runs `fn` with a registry client built from the command's registry flags, and closes the client
 * afterwards, whether `fn` succeeds or throws.
 *
 * @param ctx the command's context (its registry flags)
 * @param fn what to do with the registry
 * @returns what `fn` returns
 * @throws {UsageError} on contradictory registry flags; whatever `fn` throws
 */
export async function withRegistry<T>(
  ctx: Context,
  fn: (registry: RegistryClient) => Promise<T>,
): Promise<T> {
  const registry = await registryFromFlags(ctx);
  try {
    return await fn(registry);
  } finally {
    registry.close();
  }
}

/** An image argument and where and how its cosign attachments are read and written. */
export interface ImageTarget {
  /** The argument as given (cosign prints it). */
  arg: string;
  ref: Reference;
  /** `COSIGN_REPOSITORY`, or the image's repository. */
  targetRepository: Repository;
  /** `--attachment-tag-prefix`. */
  tagPrefix: string;
  /** `COSIGN_DOCKER_MEDIA_TYPES`. */
  dockerMediaTypes: boolean;
  /** `COSIGN_MAX_ATTACHMENT_SIZE` (set by {@link forEachImage}, for readers). */
  maxAttachmentSize?: number;
}

/**
 * Parses every image argument and the attachment settings, before any request is made (so a
 * malformed reference is a usage error before a password prompt or a download).
 *
 * @returns one target per argument, in order
 * @throws {UsageError} for a malformed reference or `COSIGN_REPOSITORY`
 */
export async function imageTargets(ctx: Context): Promise<ImageTarget[]> {
  const out: ImageTarget[] = [];
  for (const arg of ctx.args) {
    const ref = await parseImageRef(arg);
    out.push({
      arg,
      ref,
      targetRepository: await targetRepository(ctx, ref),
      tagPrefix: (ctx.flags["attachment-tag-prefix"] as string | undefined) ?? "",
      dockerMediaTypes: dockerMediaTypes(ctx),
    });
  }
  return out;
}

/**
 * Reads attachments of every image argument: the arguments are parsed first, then `fn` runs for
 * each with one registry client, closed afterwards.
 *
 * @param fn what to do with each image
 * @throws {UsageError} for a malformed reference, `COSIGN_REPOSITORY` or `COSIGN_MAX_ATTACHMENT_SIZE`
 */
export async function forEachImage(
  ctx: Context,
  fn: (registry: RegistryClient, image: ImageTarget) => Promise<void>,
): Promise<void> {
  const limit = maxAttachmentSize(ctx);
  const images = (await imageTargets(ctx)).map((i) => ({ ...i, maxAttachmentSize: limit }));
  await withRegistry(ctx, async (registry) => {
    for (const image of images) await fn(registry, image);
  });
}
