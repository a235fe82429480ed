/**
 * What `verify` and `verify-attestation` share on registry images: where the signatures are looked
 * for (Sigstore bundles attached as OCI 1.1 referrers, or cosign's `sha256-<hex>.sig`/`.att` tags)
 * and `--recursive`.
 *
 * Where: `--new-bundle-format` reads only bundles. Without it (or with `--new-bundle-format=false`,
 * which is the same in cosign v2.6.4), as cosign v2.6.4 and v3 do (verify.go,
 * verify_attestation.go: `GetBundles` first; v3's flag defaults to true and falls back the same
 * way), the bundles are looked for first and the `.sig`/`.att` tag is read only when there are
 * none or the referrers cannot be listed. When an image has both, only the bundles are verified
 * (as cosign); a line on stderr, which cosign does not print, says that the bundles were verified
 * and the tag was not read. cosign decides once, from the first image argument; we decide for each
 * image (and each manifest with `--recursive`), which differs only for several images of mixed
 * formats (where cosign fails the images that differ from the first).
 *
 * `--recursive` (cosign has it for `sign`, not for `verify`): for an index, the index itself and
 * every manifest below it are verified, as `sign --recursive` signs them; each gets cosign's header,
 * then one result line per manifest goes to stderr, and stdout gets one JSON document with every
 * manifest's result (or, with `verify -o text`, the verified payloads). Any failure fails the command
 * with the first failure's exit code, naming every manifest that failed.
 *
 * @module
 */
import type { Context } from "../command.ts";
import type { Flag } from "../flags/parse.ts";
import { UsageError } from "../exit_codes.ts";
import { writeAll } from "../io.ts";
import { forEachImage, type ImageTarget } from "../options/registry_options.ts";
import type { RegistryClient } from "../../lib/registry/client.ts";
import type { ImageBundles } from "../../lib/verify/verify_image_bundles.ts";

/** Where signatures are looked for. */
export type SignatureSource = "bundles" | "auto";

/** `--new-bundle-format` true: only bundles; otherwise bundles first, then the tag. */
export function signatureSource(ctx: Context): SignatureSource {
  return ctx.flags["new-bundle-format"] === true ? "bundles" : "auto";
}

/**
 * The bundles attached to an image, when they are to be verified: with `bundles`, errors propagate
 * (as cosign's); with `auto`, undefined when there are none or the referrers cannot be read
 * (cosign: `len(newBundles) > 0 && err == nil`).
 */
export async function lookForBundles(
  registry: RegistryClient,
  image: ImageTarget,
  source: SignatureSource,
): Promise<ImageBundles | undefined> {
  const { findImageBundles } = await import("../../lib/verify/verify_image_bundles.ts");
  if (source === "bundles") return await findImageBundles(registry, image.ref);
  return await findImageBundles(registry, image.ref).catch(() => undefined);
}

/** One image's verification, ready to print. */
export interface ImageVerification {
  /**
   * What was verified: Sigstore bundles (referrers), the `.sig`/`.att` tag's signatures, or
   * (`verify --experimental-oci11`) the signatures of the OCI 1.1 signature referrer.
   */
  format: "sigstore-bundle" | "tag" | "oci11-referrer";
  /** A stderr line saying what was verified, printed before the header (auto-detected bundles). */
  note?: string;
  /** Prints cosign's header (and anything else cosign prints on stderr for it). */
  printHeader(): Promise<void>;
  /** What cosign prints on stdout for the image. */
  stdout: string | Uint8Array;
  /** The verified payloads, for `--recursive`'s JSON document. */
  json: unknown[];
}

/** Verifies one image (or one manifest of an index); `name` is how cosign names it. */
export type VerifyOne = (
  registry: RegistryClient,
  image: ImageTarget,
  name: string,
) => Promise<ImageVerification>;

/** Errors that fail one manifest of a recursive verification (others stop the command). */
async function isPerManifest(e: unknown): Promise<boolean> {
  const { RegistryError, VerificationError } = await import("../../lib/errors.ts");
  return e instanceof VerificationError || e instanceof RegistryError ||
    e instanceof TypeError || e instanceof SyntaxError;
}

/**
 * Verifies every image argument, recursively with `--recursive`.
 *
 * @param verifyOne verifies one image
 * @param textOutput with `--recursive`, print the verified payloads as cosign does (`verify -o
 *   text`) instead of the JSON document of results
 * @throws {VerificationError} with `--recursive`, when a manifest failed (its code)
 */
export async function verifyImageArgs(
  ctx: Context,
  verifyOne: VerifyOne,
  textOutput = false,
): Promise<void> {
  const recursive = ctx.flags.recursive === true;
  await forEachImage(ctx, async (registry, image) => {
    if (!recursive) {
      const v = await verifyOne(registry, image, image.arg);
      if (v.note) await ctx.info(v.note);
      await v.printHeader();
      await writeAll(ctx.io.stdout, v.stdout);
      return;
    }
    const { recursiveTargets } = await import("../../lib/verify/recursive_targets.ts");
    const { VerificationError, SigstoreError } = await import("../../lib/errors.ts");
    const { ref } = image;
    const targets = await recursiveTargets(registry, ref);
    const lines: string[] = [];
    const doc: Record<string, unknown>[] = [];
    const failures: { label: string; error: Error }[] = [];
    const text: (string | Uint8Array)[] = [];
    for (const t of targets) {
      const name = `${ref.registry}/${ref.repository}@${t.digest}`;
      const label = t.platform ?? (t.index ? "index" : "image");
      const entry: Record<string, unknown> = {
        digest: t.digest,
        mediaType: t.mediaType,
        ...(t.platform ? { platform: t.platform } : {}),
      };
      try {
        const one = { ...image, ref: { ...ref, digest: t.digest, tag: undefined } };
        const v = await verifyOne(registry, one, name);
        if (v.note) await ctx.info(v.note);
        await v.printHeader();
        text.push(v.stdout);
        const what = v.format === "tag"
          ? "signatures in its tag"
          : v.format === "oci11-referrer"
          ? "signatures in its OCI 1.1 signature referrer"
          : "Sigstore bundles (referrers)";
        lines.push(`  ${label} ${t.digest}: verified (${what})`);
        doc.push({ ...entry, verified: true, format: v.format, signatures: v.json });
      } catch (e) {
        if (!(await isPerManifest(e))) throw e;
        const error = e as Error;
        failures.push({ label: `${label} ${t.digest}`, error });
        lines.push(`  ${label} ${t.digest}: FAILED: ${error.message}`);
        doc.push({ ...entry, verified: false, error: error.message });
      }
    }
    await ctx.info(
      `\nRecursive verification of ${image.arg}: ${targets.length - failures.length} of ` +
        `${targets.length} manifests verified`,
    );
    for (const l of lines) await ctx.info(l);
    if (textOutput) { for (const t of text) await writeAll(ctx.io.stdout, t); }
    else await writeAll(ctx.io.stdout, `${JSON.stringify(doc)}\n`);
    if (failures.length > 0) {
      const first = failures[0].error;
      const code = first instanceof SigstoreError ? first.code : "NO_MATCHING_SIGNATURE";
      throw new VerificationError(
        code,
        `Cannot verify ${image.arg} recursively: ${failures.length} of ${targets.length} ` +
          `manifests failed: ${failures.map((f) => f.label).join(", ")}`,
        { cause: new AggregateError(failures.map((f) => f.error), "manifests failed") },
      );
    }
  });
}

/** `--recursive` of `verify` and `verify-attestation` (not in cosign, which has it for `sign`). */
export const recursiveVerifyFlag: Flag = {
  name: "recursive",
  short: "r",
  type: "bool",
  help: "if a multi-arch image is specified, additionally verify each discrete image " +
    "(the index and every manifest below it; one result line each on stderr, one JSON " +
    "document with every result on stdout)",
};

/** `--recursive` and `--local-image` do not go together (a layout has no index to walk here). */
export function refuseRecursiveLocal(ctx: Context): void {
  if (ctx.flags.recursive === true && ctx.flags["local-image"] === true) {
    throw new UsageError("cannot use --recursive with --local-image");
  }
}
