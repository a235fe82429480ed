/**
 * in-toto statements as cosign v2.6.4 writes and reads them.
 *
 * Writing follows pkg/cosign/attestation `GenerateStatement`: a v0.1 statement
 * (`"_type":"https://in-toto.io/Statement/v0.1"`) with one subject `{name, digest:{sha256}}`, whose
 * predicate depends on `--type`. cosign never passes the predicate through raw: it unmarshals it
 * (into `interface{}`, a `map[string]interface{}` or a typed struct from in-toto-golang v0.9.0) and
 * marshals it again, so keys come out sorted (maps) or in struct order, unknown struct fields are
 * dropped and times are reformatted. `--type custom` (or its URI) wraps the predicate *text* as
 * `{"Data": "<text>", "Timestamp": "<RFC 3339 UTC>"}`; `spdx` embeds the text as a JSON string.
 *
 * Reading follows `json.Unmarshal` into `in_toto.Statement` (v0.1 and v1 statements share the
 * fields cosign looks at: `predicateType`, `subject[].digest`).
 *
 * @module
 */
import {
  decodeGoTyped,
  type GoField,
  GoJsonObject,
  goJsonString,
  goJsonStringFromBytes,
  GoJsonSyntaxError,
  goJsonToAny,
  type GoJsonValue,
  type GoType,
  marshalGoJson,
  marshalGoTyped,
  parseGoJson,
} from "./go_json.ts";
import {
  COSIGN_CUSTOM_PREDICATE,
  COSIGN_VULN_PREDICATE,
  CYCLONEDX_PREDICATE,
  LINK_PREDICATE,
  OPENVEX_PREDICATE,
  SLSA_PROVENANCE_V02,
  SLSA_PROVENANCE_V1,
  SPDX_PREDICATE,
} from "./predicate_types.ts";

/** The statement type cosign 2 writes (`in_toto.StatementInTotoV01`). */
export const STATEMENT_V01 = "https://in-toto.io/Statement/v0.1";
/** The in-toto v1 statement type. */
export const STATEMENT_V1 = "https://in-toto.io/Statement/v1";

// --- Go types (in-toto-golang v0.9.0, in-toto/attestation v1.1.2, cosign pkg/cosign/attestation)

const S: GoType = { kind: "string" };
const B: GoType = { kind: "bool" };
const ANY: GoType = { kind: "any" };
const TIME: GoType = { kind: "time" };
const f = (json: string, type: GoType, omitempty = false): GoField => ({ json, type, omitempty });
const struct = (name: string, ...fields: GoField[]): GoType => ({ kind: "struct", name, fields });
const slice = (elem: GoType): GoType => ({ kind: "slice", elem });
const ptr = (elem: GoType): GoType => ({ kind: "ptr", elem });
const DIGEST_SET: GoType = { kind: "map", elem: S, name: "common.DigestSet" };
const ANY_MAP: GoType = { kind: "map", elem: ANY };

/** slsa_provenance/v0.2 `ProvenancePredicate`. */
const SLSA02: GoType = struct(
  "v02.ProvenancePredicate",
  f("builder", struct("common.ProvenanceBuilder", f("id", S))),
  f("buildType", S),
  f(
    "invocation",
    struct(
      "v02.ProvenanceInvocation",
      f(
        "configSource",
        struct(
          "v02.ConfigSource",
          f("uri", S, true),
          f("digest", DIGEST_SET, true),
          f("entryPoint", S, true),
        ),
        true,
      ),
      f("parameters", ANY, true),
      f("environment", ANY, true),
    ),
    true,
  ),
  f("buildConfig", ANY, true),
  f(
    "metadata",
    ptr(struct(
      "v02.ProvenanceMetadata",
      f("buildInvocationID", S, true),
      f("buildStartedOn", ptr(TIME), true),
      f("buildFinishedOn", ptr(TIME), true),
      f(
        "completeness",
        struct(
          "v02.ProvenanceComplete",
          f("parameters", B),
          f("environment", B),
          f("materials", B),
        ),
      ),
      f("reproducible", B),
    )),
    true,
  ),
  f(
    "materials",
    slice(struct("common.ProvenanceMaterial", f("uri", S, true), f("digest", DIGEST_SET, true))),
    true,
  ),
);

const RESOURCE_DESCRIPTOR: GoType = struct(
  "v1.ResourceDescriptor",
  f("uri", S, true),
  f("digest", DIGEST_SET, true),
  f("name", S, true),
  f("downloadLocation", S, true),
  f("mediaType", S, true),
  f("content", { kind: "bytes" }, true),
  f("annotations", ANY_MAP, true),
);

/** slsa_provenance/v1 `ProvenancePredicate`. */
const SLSA1: GoType = struct(
  "v1.ProvenancePredicate",
  f(
    "buildDefinition",
    struct(
      "v1.ProvenanceBuildDefinition",
      f("buildType", S),
      f("externalParameters", ANY),
      f("internalParameters", ANY, true),
      f("resolvedDependencies", slice(RESOURCE_DESCRIPTOR), true),
    ),
  ),
  f(
    "runDetails",
    struct(
      "v1.ProvenanceRunDetails",
      f(
        "builder",
        struct(
          "v1.Builder",
          f("id", S),
          f("version", { kind: "map", elem: S }, true),
          f("builderDependencies", slice(RESOURCE_DESCRIPTOR), true),
        ),
      ),
      f(
        "metadata",
        struct(
          "v1.BuildMetadata",
          f("invocationID", S, true),
          f("startedOn", ptr(TIME), true),
          f("finishedOn", ptr(TIME), true),
        ),
        true,
      ),
      f("byproducts", slice(RESOURCE_DESCRIPTOR), true),
    ),
  ),
);

/** in_toto `Link`. */
const LINK: GoType = struct(
  "in_toto.Link",
  f("_type", S),
  f("name", S),
  f("materials", ANY_MAP),
  f("products", ANY_MAP),
  f("byproducts", ANY_MAP),
  f("command", slice(S)),
  f("environment", ANY_MAP),
);

/** cosign attestation `CosignVulnPredicate`. */
const VULN: GoType = struct(
  "attestation.CosignVulnPredicate",
  f(
    "invocation",
    struct(
      "attestation.Invocation",
      f("parameters", ANY),
      f("uri", S),
      f("event_id", S),
      f("builder.id", S),
    ),
  ),
  f(
    "scanner",
    struct(
      "attestation.Scanner",
      f("uri", S),
      f("version", S),
      f("db", struct("attestation.DB", f("uri", S), f("version", S))),
      f("result", ANY),
    ),
  ),
  f(
    "metadata",
    struct("attestation.Metadata", f("scanStartedOn", TIME), f("scanFinishedOn", TIME)),
  ),
);

const HEADER_FIELDS: GoField[] = [
  f("_type", S),
  f("predicateType", S),
  f("subject", slice(struct("in_toto.Subject", f("name", S), f("digest", DIGEST_SET)))),
];

const statementType = (name: string, predicate: GoType): GoType =>
  struct(name, ...HEADER_FIELDS, f("predicate", predicate));

/** in_toto `Statement` (generic predicate). */
const STATEMENT = statementType("in_toto.Statement", ANY);

/** The typed statements cosign's `AttestationToPayloadJSON` re-reads for some `--type`s. */
const TYPED_STATEMENTS: Record<string, GoType> = {
  link: statementType("in_toto.LinkStatement", LINK),
  slsaprovenance: statementType("in_toto.ProvenanceStatementSLSA02", SLSA02),
  vuln: statementType("attestation.CosignVulnStatement", VULN),
};

const STRUCTPB: GoType = ptr(struct(
  "structpb.Struct",
  f("fields", {
    kind: "map",
    elem: ptr(
      struct("structpb.Value", f("Kind", { kind: "iface", name: "structpb.isValue_Kind" })),
    ),
  }),
));

/** in-toto/attestation go/v1 `Statement` (protobuf struct, read with encoding/json). */
const STATEMENT_V1_PB: GoType = struct(
  "v1.Statement",
  f("type", S),
  f(
    "subject",
    slice(ptr(struct(
      "v1.ResourceDescriptor",
      f("name", S),
      f("uri", S),
      f("digest", { kind: "map", elem: S }),
      f("content", { kind: "bytes" }),
      f("download_location", S),
      f("media_type", S),
      f("annotations", STRUCTPB),
    ))),
  ),
  f("predicate_type", S),
  f("predicate", STRUCTPB),
);

// --- writing

/** What {@link generateStatement} needs. */
export interface GenerateStatementOptions {
  /** The predicate file's bytes. */
  predicate: Uint8Array;
  /** The `--type` value: a short name, `custom`, or any other string used as the predicate type. */
  type: string;
  /** The subject's sha256 digest, hex (used as given). */
  digest: string;
  /** The subject's name (cosign: the base name of the blob path). */
  name: string;
  /** The clock for `--type custom`'s Timestamp. */
  now?: () => Date;
}

/** A predicate cosign cannot turn into a statement (bad JSON, missing or mistyped fields). */
export class PredicateError extends TypeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PredicateError";
  }
}

function parsePredicate(bytes: Uint8Array, prefix = ""): GoJsonValue {
  try {
    return parseGoJson(bytes);
  } catch (e) {
    if (e instanceof GoJsonSyntaxError) {
      throw new PredicateError(`${prefix}not valid JSON: ${e.message}`, { cause: e });
    }
    throw e;
  }
}

/** Unmarshal into a typed predicate after cosign's `checkRequiredJSONFields`. */
function typedPredicate(bytes: Uint8Array, t: GoType, what: string, unmarshal: string): string {
  const v = parsePredicate(bytes, `${what}: `);
  if (!(v instanceof GoJsonObject) && v !== null) {
    throw new PredicateError(
      `${what}: json: cannot unmarshal ${
        Array.isArray(v) ? "array" : typeof v === "boolean" ? "bool" : typeof v
      } into Go value of type map[string]interface {}`,
    );
  }
  if (t.kind !== "struct") throw new TypeError("typedPredicate: struct type expected");
  for (const field of t.fields) {
    if (field.omitempty) continue;
    if (v === null || v.get(field.json) === undefined) {
      throw new PredicateError(`${what}: required field ${field.json} missing`);
    }
  }
  return marshalGoTyped(t, decodeAs(v, t, `${unmarshal}: `));
}

function decodeAs(v: GoJsonValue, t: GoType, prefix: string): unknown {
  try {
    return decodeGoTyped(v, t);
  } catch (e) {
    if (e instanceof TypeError) throw new PredicateError(prefix + e.message, { cause: e });
    throw e;
  }
}

/** RFC 3339 in UTC with whole seconds, as Go's `time.Now().UTC().Format(time.RFC3339)`. */
function rfc3339Seconds(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, "Z");
}

/**
 * Builds the statement `cosign attest-blob --predicate F --type T` signs, byte for byte as cosign
 * v2.6.4's `json.Marshal(GenerateStatement(...))`.
 *
 * @param opts predicate bytes, type, subject digest and name
 * @returns the statement JSON (no trailing newline)
 * @throws {PredicateError} when the predicate is not what the type needs, with cosign's wording
 *   after a short prefix: `not valid JSON: invalid character 'o' in literal null (expecting 'u')`,
 *   `provenance predicate: required field builder missing`, `unmarshal Provenance predicate: json:
 *   cannot unmarshal number into Go struct field ProvenanceBuilder.builder.id of type string`
 */
export function generateStatement(opts: GenerateStatementOptions): Uint8Array {
  const { predicate: raw, type } = opts;
  let predicateType: string;
  let predicate: string;
  switch (type) {
    case "slsaprovenance":
    case "slsaprovenance02":
      predicateType = SLSA_PROVENANCE_V02;
      predicate = typedPredicate(
        raw,
        SLSA02,
        "provenance predicate",
        "unmarshal Provenance predicate",
      );
      break;
    case "slsaprovenance1":
      predicateType = SLSA_PROVENANCE_V1;
      predicate = typedPredicate(
        raw,
        SLSA1,
        "provenance predicate",
        "unmarshal Provenance predicate",
      );
      break;
    case "link":
      predicateType = LINK_PREDICATE;
      predicate = typedPredicate(raw, LINK, "link statement", "unmarshal Link statement");
      break;
    case "spdx":
      predicateType = SPDX_PREDICATE;
      predicate = goJsonStringFromBytes(raw);
      break;
    case "spdxjson":
    case "cyclonedx":
    case "openvex":
      predicateType = type === "cyclonedx"
        ? CYCLONEDX_PREDICATE
        : type === "openvex"
        ? OPENVEX_PREDICATE
        : SPDX_PREDICATE;
      predicate = marshalGoJson(goJsonToAny(parsePredicate(raw)));
      break;
    case "vuln":
      predicateType = COSIGN_VULN_PREDICATE;
      predicate = marshalGoTyped(VULN, decodeAs(parsePredicate(raw), VULN, ""));
      break;
    default: {
      predicateType = type === "custom" ? COSIGN_CUSTOM_PREDICATE : type;
      if (predicateType === COSIGN_CUSTOM_PREDICATE) {
        const stamp = rfc3339Seconds((opts.now ?? (() => new Date()))());
        predicate = `{"Data":${goJsonStringFromBytes(raw)},"Timestamp":${goJsonString(stamp)}}`;
      } else {
        const prefix = `invalid JSON payload for predicate type ${type}: `;
        predicate = marshalGoTyped(ANY_MAP, decodeAs(parsePredicate(raw, prefix), ANY_MAP, prefix));
      }
    }
  }
  const text = `{"_type":${goJsonString(STATEMENT_V01)},"predicateType":${
    goJsonString(predicateType)
  },"subject":[{"name":${goJsonString(opts.name)},"digest":{"sha256":${
    goJsonString(opts.digest)
  }}}],"predicate":${predicate}}`;
  return new TextEncoder().encode(text);
}

/**
 * Checks a complete statement for `attest-blob --statement` the way cosign does: it must unmarshal
 * into in-toto/attestation's v1 `Statement` with encoding/json (so only JSON syntax and the shapes
 * of `subject`, `predicate` and their members are checked; the file is then signed as is).
 * cosign crashes on the literal `null`; we reject it.
 *
 * @param bytes the statement file
 * @throws {PredicateError} `invalid statement: …` with encoding/json's message
 */
export function validateStatement(bytes: Uint8Array): void {
  let v: GoJsonValue;
  try {
    v = parseGoJson(bytes);
  } catch (e) {
    if (e instanceof GoJsonSyntaxError) {
      throw new PredicateError(`invalid statement: not valid JSON: ${e.message}`, { cause: e });
    }
    throw e;
  }
  if (v === null) throw new PredicateError("invalid statement: the statement is null");
  decodeAs(v, STATEMENT_V1_PB, "invalid statement: ");
}

// --- reading

/** A parsed statement: the fields cosign reads from `in_toto.Statement`. */
export interface InTotoStatement {
  /** `_type`. */
  type: string;
  predicateType: string;
  /** The subjects; `digest` is null when absent. */
  subject: { name: string; digest: Map<string, string> | null }[];
  /** The predicate as `interface{}` (objects are `Map`s). */
  predicate: unknown;
}

/**
 * Parses a statement as cosign's verifiers do (`json.Unmarshal` into `in_toto.Statement`: field
 * names match case-insensitively, unknown fields are ignored, a type mismatch is an error).
 *
 * @param bytes the statement JSON (a DSSE payload)
 * @returns the statement
 * @throws {GoJsonSyntaxError} for invalid JSON
 * @throws {GoJsonTypeError} for a field of the wrong type
 */
export function parseStatement(bytes: Uint8Array): InTotoStatement {
  const o = decodeGoTyped(parseGoJson(bytes), STATEMENT) as Record<string, unknown>;
  return {
    type: o._type as string,
    predicateType: o.predicateType as string,
    subject: ((o.subject ?? []) as Record<string, unknown>[]).map((s) => ({
      name: s.name as string,
      digest: s.digest as Map<string, string> | null,
    })),
    predicate: o.predicate,
  };
}

/**
 * Re-reads a statement with the typed predicate cosign's `AttestationToPayloadJSON` uses for
 * `--type link`, `slsaprovenance` and `vuln` (other types need no more than
 * {@link parseStatement}), so that a predicate of the wrong shape fails as it does in cosign.
 *
 * @param type the `--type` value given to the verifier
 * @param bytes the statement JSON
 * @throws {PredicateError} e.g. `unmarshaling LinkStatement: json: cannot unmarshal …`
 */
export function checkTypedStatement(type: string, bytes: Uint8Array): void {
  const t = TYPED_STATEMENTS[type];
  if (!Object.hasOwn(TYPED_STATEMENTS, type)) return;
  const label = type === "slsaprovenance"
    ? "unmarshaling ProvenanceStatementSLSA02): "
    : `unmarshaling ${(t as { name: string }).name.replace(/^.*\./, "")}: `;
  decodeAs(parseGoJson(bytes), t, label);
}

/**
 * The JSON a policy sees for an attestation (cosign pkg/policy `AttestationToPayloadJSON`): the
 * statement read into the Go type of `--type` (`in_toto.LinkStatement`,
 * `ProvenanceStatementSLSA02`, `CosignVulnStatement`, else the generic `in_toto.Statement`) and
 * marshalled back with encoding/json — unknown fields dropped, missing ones as Go's zero values.
 *
 * @param type the `--type` value given to the verifier
 * @param bytes the statement JSON
 * @returns the policy input
 * @throws {PredicateError} when the statement does not fit the type (see
 *   {@link checkTypedStatement})
 * @throws {GoJsonSyntaxError} for invalid JSON
 */
export function policyPayload(type: string, bytes: Uint8Array): string {
  const t = Object.hasOwn(TYPED_STATEMENTS, type) ? TYPED_STATEMENTS[type] : STATEMENT;
  return marshalGoTyped(t, decodeAs(parseGoJson(bytes), t, "unmarshal in-toto statement: "));
}
