/**
 * Signed payload formats: cosign's simple signing payload, and Go-compatible JSON.
 *
 * @module
 */

export {
  checkSimpleSigningClaims,
  COSIGN_SIGNATURE_TYPE,
  marshalSimpleSigning,
  MAX_SIMPLE_SIGNING_PAYLOAD,
  parseSimpleSigningPayload,
  simpleSigningPayload,
} from "./simple_signing.ts";
export type { SimpleSigningPayload, SimpleSigningPayloadOptions } from "./simple_signing.ts";
export { goJsonString, marshalGoJson, MAX_JSON_DEPTH, parseJsonBounded } from "./go_json.ts";
export {
  decodeDsseBase64,
  INTOTO_PAYLOAD_TYPE,
  marshalEnvelope,
  pae,
  parseEnvelope,
  signDsse,
} from "./dsse.ts";
export type { DsseEnvelope, DsseSignature } from "./dsse.ts";
export { verifyDsse } from "./verify_dsse.ts";
export type { VerifyDsseOptions } from "./verify_dsse.ts";
export {
  generateStatement,
  parseStatement,
  policyPayload,
  STATEMENT_V01,
  STATEMENT_V1,
  validateStatement,
} from "./intoto.ts";
export type { GenerateStatementOptions, InTotoStatement } from "./intoto.ts";
export { parsePredicateType, PREDICATE_TYPES, predicateTypeUri } from "./predicate_types.ts";
export {
  DEFAULT_MAX_ATTACHMENT_SIZE,
  maxAttachmentSize,
  parseHumanBytes,
} from "./attachment_size.ts";
