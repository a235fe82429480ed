/**
 * cosign's policy step of `verify-attestation` (cmd/cosign/cli/verify/verify_attestation.go,
 * v2.6.4): every attestation of the requested predicate type is checked against the CUE policies
 * and, when they pass, the Rego policies; every failure is collected, and any failure fails the
 * command with "N validation errors occurred".
 *
 * @module
 */

import { SigstoreError } from "../errors.ts";
import type { PolicyEngine, PolicyFile } from "./policy_engine.ts";

/** The policies split by engine, as cosign splits `--policy` by file extension. */
export interface PolicySet {
  cue: PolicyFile[];
  rego: PolicyFile[];
}

/** One attestation's evaluation, in cosign's order. */
export interface PolicyEvaluation {
  /** Which engines ran, in order ("cue" then "rego"; Rego is skipped after a CUE failure). */
  engines: ("cue" | "rego")[];
  /** The errors (empty when the attestation passed). */
  errors: string[];
}

/** The outcome over every attestation. */
export interface PolicyOutcome {
  /** One entry per input, in order. */
  evaluations: PolicyEvaluation[];
  /** Every error, in order: what cosign lists as "- <error>". */
  errors: string[];
}

/**
 * Which engine a `--policy` file goes to: Go's `filepath.Ext` of the path (the suffix from the
 * last "." of the last element), ".rego" or ".cue".
 *
 * @param path the `--policy` value
 * @returns the engine
 * @throws {SigstoreError} `POLICY_FORMAT_INVALID` "invalid policy format, expected .cue or .rego"
 *   (cosign's message)
 */
export function policyEngineFor(path: string): "cue" | "rego" {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  const ext = dot === -1 ? "" : base.slice(dot);
  if (ext === ".rego") return "rego";
  if (ext === ".cue") return "cue";
  throw new SigstoreError("POLICY_FORMAT_INVALID", "invalid policy format, expected .cue or .rego");
}

/**
 * Evaluates the policies against each attestation's policy input, as cosign does: for each input,
 * the CUE policies (one error at most, and then the Rego policies are skipped), then the Rego
 * policies (one error per non-true expression, or "result is undefined for query
 * 'data.signature.allow'").
 *
 * @param engine the loaded engine
 * @param policies the policy files
 * @param inputs the JSON documents (cosign's `AttestationToPayloadJSON`), one per attestation
 * @param dir the working directory (CUE resolves relative paths against it)
 * @returns each input's evaluation and every error in order
 * @throws {SigstoreError} `POLICY_ENGINE_FAILED` when the engine fails
 */
export async function evaluatePolicies(
  engine: PolicyEngine,
  policies: PolicySet,
  inputs: string[],
  dir: string,
): Promise<PolicyOutcome> {
  if (inputs.length === 0) return { evaluations: [], errors: [] };
  const raw = await engine.evaluate({ dir, cue: policies.cue, rego: policies.rego, inputs });
  const evaluations: PolicyEvaluation[] = [];
  const errors: string[] = [];
  for (const r of raw) {
    const e: PolicyEvaluation = { engines: [], errors: [] };
    evaluations.push(e);
    if (policies.cue.length > 0) {
      e.engines.push("cue");
      if (r.cue !== null) {
        e.errors.push(r.cue);
        errors.push(r.cue);
        continue;
      }
    }
    if (policies.rego.length > 0) {
      e.engines.push("rego");
      if (r.rego !== null && r.rego.length > 0) {
        e.errors.push(...r.rego);
        errors.push(...r.rego);
      }
    }
  }
  return { evaluations, errors };
}
