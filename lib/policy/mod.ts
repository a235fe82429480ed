/**
 * Attestation policies (`cosign verify-attestation --policy`): the real CUE and OPA engines,
 * compiled to WebAssembly, and cosign's evaluation rules.
 *
 * @module
 */

export {
  CUE_VERSION,
  loadPolicyEngine,
  OPA_VERSION,
  POLICY_ENGINE_DIR,
  POLICY_ENGINE_GLUE,
  POLICY_ENGINE_WASM,
  policyEngineDir,
} from "./policy_engine.ts";
export type { PolicyEngine, PolicyFile, PolicyRawResult, PolicyRequest } from "./policy_engine.ts";
export { evaluatePolicies, policyEngineFor } from "./evaluate_policies.ts";
export type { PolicyEvaluation, PolicyOutcome, PolicySet } from "./evaluate_policies.ts";
