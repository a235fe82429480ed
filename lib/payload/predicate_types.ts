/**
 * The `--type` names cosign accepts for attestations and the predicate type URIs they stand for
 * (cosign cmd/cosign/cli/options/predicate.go `PredicateTypeMap`, v2.6.4).
 *
 * @module
 */

/** cosign's own predicate for `--type custom`: `{"Data": <predicate text>, "Timestamp": …}`. */
export const COSIGN_CUSTOM_PREDICATE = "https://cosign.sigstore.dev/attestation/v1";
/** cosign's vulnerability scan predicate (`--type vuln`). */
export const COSIGN_VULN_PREDICATE = "https://cosign.sigstore.dev/attestation/vuln/v1";
/** OpenVEX (`--type openvex`). */
export const OPENVEX_PREDICATE = "https://openvex.dev/ns";
/** SLSA provenance v0.2 (`--type slsaprovenance` and `slsaprovenance02`). */
export const SLSA_PROVENANCE_V02 = "https://slsa.dev/provenance/v0.2";
/** SLSA provenance v1 (`--type slsaprovenance1`). */
export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";
/** SPDX documents (`--type spdx` and `spdxjson`). */
export const SPDX_PREDICATE = "https://spdx.dev/Document";
/** CycloneDX documents (`--type cyclonedx`). */
export const CYCLONEDX_PREDICATE = "https://cyclonedx.org/bom";
/** in-toto 0.9 links (`--type link`). */
export const LINK_PREDICATE = "https://in-toto.io/Link/v1";

/** Every short `--type` name and its predicate type URI. */
export const PREDICATE_TYPES: Readonly<Record<string, string>> = Object.freeze({
  custom: COSIGN_CUSTOM_PREDICATE,
  slsaprovenance: SLSA_PROVENANCE_V02,
  slsaprovenance02: SLSA_PROVENANCE_V02,
  slsaprovenance1: SLSA_PROVENANCE_V1,
  spdx: SPDX_PREDICATE,
  spdxjson: SPDX_PREDICATE,
  cyclonedx: CYCLONEDX_PREDICATE,
  link: LINK_PREDICATE,
  vuln: COSIGN_VULN_PREDICATE,
  openvex: OPENVEX_PREDICATE,
});

/**
 * The predicate type URI a `--type` value stands for: the mapped URI for a short name, else the
 * value itself (cosign pkg/policy `AttestationToPayloadJSON`).
 *
 * @param type a short name or a URI
 * @returns the URI to compare with a statement's `predicateType`
 */
export function predicateTypeUri(type: string): string {
  return Object.hasOwn(PREDICATE_TYPES, type) ? PREDICATE_TYPES[type] : type;
}

/**
 * Validates a `--type` value as cosign's `ParsePredicateType` does for image attestations: a
 * short name, or something Go's `url.ParseRequestURI` accepts (an absolute URI or an absolute
 * path).
 *
 * @param type the flag value
 * @returns the predicate type URI
 * @throws {TypeError} `invalid predicate type: <type>`
 */
export function parsePredicateType(type: string): string {
  if (Object.hasOwn(PREDICATE_TYPES, type)) return PREDICATE_TYPES[type];
  if (!/^([a-zA-Z][a-zA-Z0-9+.-]*:|\/)\S*$/.test(type)) {
    throw new TypeError(`invalid predicate type: ${type}`);
  }
  return type;
}
