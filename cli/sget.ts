/**
 * Entry point of the `sget` binary: `sget [--key KEY] [-o FILE] <image reference>`, as cosign
 * v1.13's cmd/sget (the last Go sget), plus cosign's registry flags.
 *
 * What differs from the Go sget, on purpose:
 * - nothing is written before the layer's digest was checked (Go streamed into `-o` as it
 *   downloaded); `-o` replaces the file atomically, on success only;
 * - the verified payloads go to stderr with the verification header (Go printed them to stdout,
 *   ahead of the artifact, which corrupted `sget --key k.pub ref > file`);
 * - verification failures exit with cosign's codes (10 no signatures, 11 no such tag, 12 no
 *   matching signature); everything else exits 1, as Go's `log.Fatalf` did, including the refusal
 *   of a tag without a key (a policy refusal of a well-formed command, not a usage error);
 * - no deprecation notice and no three-second pause.
 *
 * @module
 */
import type { Command, Context } from "./command.ts";
import { writeAll } from "./io.ts";
import { denoIo } from "./io.ts";
import { run } from "./run.ts";
import { enterCallerDirectory } from "./task_cwd.ts";
import { registryFlags } from "./flags/groups.ts";
import { keyRefDeps } from "./options/key_options.ts";
import {
  maxAttachmentSize,
  parseImageRef,
  registryFromFlags,
  targetRepository,
} from "./options/registry_options.ts";
import { renderVersion } from "./commands/version.ts";
import type { Reference } from "../lib/registry/types.ts";

/** `sget version` (release-utils' version command, as the Go sget had it). */
export const sgetVersionCommand: Command = {
  name: "version",
  short: "Prints the version",
  example: `  sget version
  sget version --json`,
  maxArgs: 0,
  flags: [{ name: "json", type: "bool", help: "print JSON instead of text" }],
  async run(ctx) {
    await writeAll(ctx.io.stdout, renderVersion(ctx.flags.json === true));
  },
};

/** A progress line on stderr, redrawn at most ten times a second. */
function progressLine(ctx: Context): {
  update(received: number, total: number): void;
  finish(): Promise<void>;
} {
  let last = 0;
  let shown = false;
  let pending = Promise.resolve();
  const mib = (n: number) => (n / (1024 * 1024)).toFixed(1);
  const draw = (received: number, total: number) => {
    const pct = total > 0 ? Math.floor((received / total) * 100) : 100;
    shown = true;
    const line = `\r${mib(received)} / ${mib(total)} MiB (${pct}%)`;
    pending = pending.then(() => writeAll(ctx.io.stderr, line)).catch(() => {});
  };
  return {
    update(received, total) {
      const now = performance.now();
      if (received === total || now - last >= 100) {
        last = now;
        draw(received, total);
      }
    },
    async finish() {
      await pending;
      if (shown) await writeAll(ctx.io.stderr, "\n");
    },
  };
}

/** The root `sget` command. */
export const sgetCommand: Command = {
  name: "sget",
  short: "sget [--key <key reference>] <image reference>",
  long:
    `sget fetches a single-layer artifact (as \`cosign upload blob\` pushes it) from an OCI registry
and writes it to standard output or -o FILE, only after checking it: by digest, its content must
match the digest; by tag, its cosign signatures must verify with --key first. Nothing is written
unless every check passed.`,
  example: `  # fetch an artifact by digest (integrity checked) to a file
  sget -o app.tar.gz registry.example/app@sha256:<digest>

  # fetch by tag, verifying its signature with a public key first
  sget --key cosign.pub registry.example/app:v1 | tar xz`,
  argsUsage: "<image reference>",
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: "output", short: "o", type: "string", help: "output file" },
    { name: "key", type: "string", help: "path to the public key file, URL, or KMS URI" },
    ...registryFlags,
  ],
  subcommands: [sgetVersionCommand],
  async run(ctx) {
    const f = ctx.flags;
    const key = f.key as string;
    const output = f.output as string;
    const name = ctx.args[0];
    const ref = await parseImageRef(name);
    const { sget } = await import("../lib/sget/sget.ts");

    let publicKey: import("../lib/keys/public_key.ts").PublicKey | undefined;
    if (key !== "") {
      const { readKeyRef } = await import("../lib/keys/key_ref.ts");
      const { parsePublicKeyPem } = await import("../lib/keys/public_key.ts");
      publicKey = parsePublicKeyPem(await readKeyRef(key, keyRefDeps(ctx)));
    }
    const registry = await registryFromFlags(ctx);
    const progress = ctx.io.isTerminal.stderr ? progressLine(ctx) : undefined;
    try {
      await sget({
        registry,
        ref,
        output: output !== "" ? { file: output } : { stdout: ctx.io.stdout },
        signal: ctx.signal,
        onProgress: progress?.update,
        verify: publicKey && (async (pinned: Reference) => {
          const { verifyImage, renderVerificationOutput } = await import(
            "../lib/verify/verify_image.ts"
          );
          const { printVerificationHeader } = await import("./options/verify_options.ts");
          // Transparency logs come later: this is `cosign verify --insecure-ignore-tlog`.
          await ctx.warn(
            "Skipping tlog verification is an insecure practice that lacks transparency and auditability verification for the signature.",
          );
          // sget checks claims and ignores the transparency log (warned above).
          const policy = { signer: { key: [publicKey!] }, tlog: { ignore: true as const } };
          const result = await verifyImage({
            registry,
            ref: pinned,
            policy,
            maxAttachmentSize: maxAttachmentSize(ctx),
            targetRepository: await targetRepository(ctx, pinned),
            tagPrefix: f["attachment-tag-prefix"] as string,
          });
          await printVerificationHeader(ctx, name, policy, result.bundleVerified);
          await writeAll(ctx.io.stderr, renderVerificationOutput(result.signatures, "text"));
        }),
      });
    } finally {
      await progress?.finish();
      registry.close();
    }
  },
};

if (import.meta.main) {
  // `deno task sget` runs in the project folder: paths are the caller's (cli/task_cwd.ts).
  const failed = enterCallerDirectory(import.meta.url);
  if (failed !== undefined) {
    await writeAll(Deno.stderr, failed);
    Deno.exit(1);
  }
  Deno.exit(await run(sgetCommand, Deno.args, denoIo(), { persistentFlags: [] }));
}
