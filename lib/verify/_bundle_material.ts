/**
 * The verification material of a Sigstore bundle, as a signed entity carries it.
 *
 * @module
 */
import type { SigstoreBundle } from "../bundle/bundle.ts";
import type { VerificationMaterial } from "./signed_entity.ts";

/**
 * A bundle's certificate (v0.3) or chain (v0.1, v0.2) — only a certificate policy can verify it —
 * or its public key hint.
 *
 * @returns the material
 */
export function bundleMaterial(bundle: SigstoreBundle): VerificationMaterial {
  const vm = bundle.verificationMaterial;
  const [leaf, ...chain] = vm.certificate ? [vm.certificate] : vm.x509CertificateChain ?? [];
  return leaf ? { kind: "certificate", certificate: leaf, chain, only: true } : { kind: "key" };
}
