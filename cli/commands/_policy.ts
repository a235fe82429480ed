/**
 * `verify-attestation --policy`: the policy step after the attestations verified, as cosign's
 * `VerifyAttestationCommand.Exec` does it (cmd/cosign/cli/verify/verify_attestation.go, v2.6.4):
 * the files split by extension, then for each attestation of the `--type` "will be validating
 * against CUE policies: [..]" (and Rego) on stderr, and when anything failed
 * "There are N number of errors occurred during the validation:" with one "- <error>" line each
 * and the error "N validation errors occurred" (exit 1).
 *
 * The engine (lib/policy) is imported and loaded only here, when `--policy` was given.
 *
 * @module
 */
import { resolve } from "node:path";
import type { Context } from "../command.ts";
import { readLocalFile } from "./_local_file.ts";
import { VerificationError } from "../../lib/errors.ts";
import type { PolicyEngine, PolicySet } from "../../lib/policy/mod.ts";

/** Most bytes of one policy file. */
const MAX_POLICY_BYTES = 1024 * 1024;
/** Most policy files. */
const MAX_POLICIES = 64;

/** The `--policy` values (empty when not given). */
export function policyPaths(ctx: Context): string[] {
  return (ctx.flags.policy as string[] | undefined) ?? [];
}

/**
 * cosign's extension check, made once the attestations verified (before the policy loop).
 *
 * @param paths the `--policy` values
 * @throws {SigstoreError} `POLICY_FORMAT_INVALID` "invalid policy format, expected .cue or .rego"
 */
export async function checkPolicyFormats(paths: string[]): Promise<void> {
  const { policyEngineFor } = await import("../../lib/policy/evaluate_policies.ts");
  for (const p of paths) policyEngineFor(p);
}

/** The command that installs the engine: this checkout's (or URL's) script. */
function installHint(): string {
  const script = new URL("../../scripts/policy_engine.ts", import.meta.url);
  return `deno run -A ${
    script.protocol === "file:" ? decodeURIComponent(script.pathname) : script
  }`;
}

let engine: Promise<PolicyEngine> | undefined;

/**
 * Evaluates the policies against the statements of the verified attestations of the `--type`.
 *
 * @param ctx the command context (stderr for cosign's lines, the cache variables)
 * @param paths the `--policy` values
 * @param type the `--type` value
 * @param statements each matched attestation's statement, in order
 * @throws {SigstoreError} `POLICY_FORMAT_INVALID`, `POLICY_ENGINE_MISSING`, `POLICY_ENGINE_FAILED`
 * @throws {IoError} when a policy file cannot be read
 * @throws {VerificationError} `POLICY_FAILED` "N validation errors occurred"
 */
export async function checkPolicies(
  ctx: Context,
  paths: string[],
  type: string,
  statements: Uint8Array[],
): Promise<void> {
  const { policyEngineFor, evaluatePolicies, loadPolicyEngine, policyEngineDir } = await import(
    "../../lib/policy/mod.ts"
  );
  const { policyPayload } = await import("../../lib/payload/intoto.ts");
  if (paths.length > MAX_POLICIES) {
    throw new VerificationError(
      "POLICY_FORMAT_INVALID",
      `too many policies: at most ${MAX_POLICIES}`,
    );
  }
  const set: PolicySet = { cue: [], rego: [] };
  const kinds = paths.map(policyEngineFor);
  if (statements.length === 0) return;
  const dir = Deno.cwd();
  const decoder = new TextDecoder("utf-8", { fatal: false });
  for (const [i, path] of paths.entries()) {
    // A missing file is the engine's error for each attestation, as in cosign (its loaders stat
    // the files when they evaluate); other read failures stop here.
    const source = await readLocalFile(path, MAX_POLICY_BYTES).then(
      (bytes) => decoder.decode(bytes),
      (e) => {
        if ((e as { code?: string }).code === "INPUT_NOT_FOUND") return null;
        throw e;
      },
    );
    set[kinds[i]].push({ path, abs: resolve(dir, path), source });
  }
  const where = policyEngineDir({
    COSIGN_DENO_CACHE: Deno.env.get("COSIGN_DENO_CACHE"),
    HOME: Deno.env.get("HOME"),
  });
  if (where === undefined) {
    throw new VerificationError(
      "POLICY_ENGINE_MISSING",
      "Cannot evaluate policies: set HOME or COSIGN_DENO_CACHE to locate the policy engine",
    );
  }
  engine ??= loadPolicyEngine(where, installHint());
  const inputs = statements.map((s) => policyPayload(type, s));
  const outcome = await evaluatePolicies(await engine, set, inputs, dir);
  // Go's %v of a []string: "[a b]".
  const names = (files: { path: string }[]) => `[${files.map((f) => f.path).join(" ")}]`;
  for (const e of outcome.evaluations) {
    for (const engineName of e.engines) {
      await ctx.info(
        engineName === "cue"
          ? `will be validating against CUE policies: ${names(set.cue)}`
          : `will be validating against Rego policies: ${names(set.rego)}`,
      );
    }
  }
  if (outcome.errors.length > 0) {
    await ctx.info(
      `There are ${outcome.errors.length} number of errors occurred during the validation:\n`,
    );
    for (const e of outcome.errors) await ctx.info(`- ${e}`);
    throw new VerificationError(
      "POLICY_FAILED",
      `${outcome.errors.length} validation errors occurred`,
    );
  }
}
