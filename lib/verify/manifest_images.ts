/**
 * The images a Kubernetes manifest names, found as `cosign manifest verify` finds them
 * (cmd/cosign/cli/manifest/verify.go): each YAML document (split at `---` lines, as
 * k8s.io/apimachinery's YAMLReader) is decoded into a union of Pod, pod-template (Deployment,
 * ReplicaSet, StatefulSet, DaemonSet, Job) and CronJob specs that keeps only `image`:
 *
 * - `spec.initContainers[].image`, `spec.containers[].image`
 * - `spec.template.spec.initContainers[].image`, `spec.template.spec.containers[].image`
 * - `spec.jobTemplate.spec.template.spec.{initContainers,containers}[].image`
 *
 * in that order per document, empty images skipped. `ephemeralContainers` and `kind: List`
 * items are not looked at, as in cosign.
 *
 * The decoding follows sigs.k8s.io/yaml (go-yaml v2, YAML 1.1: `yes` is a boolean, `0777`
 * octal, duplicate keys overwrite) and Go's encoding/json: keys are matched case-insensitively
 * and visited in sorted order, objects merge, lists replace, and any type mismatch (an `image`
 * that YAML reads as a number or boolean too) fails the whole manifest.
 *
 * The YAML parser is the `yaml` npm package (pinned in deno.json), loaded with this module only.
 *
 * @module
 */
import { parseAllDocuments } from "yaml";

/** Most bytes of a manifest. */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
/** Most YAML documents in one manifest. */
export const MAX_MANIFEST_DOCUMENTS = 10_000;
/** Most alias expansions per document (yaml's default guard against alias bombs). */
const MAX_ALIAS_COUNT = 100;

/** The one error cosign reports for a manifest it cannot decode. */
function undecodable(cause?: unknown): SyntaxError {
  return new SyntaxError("unable to decode the manifest", { cause });
}

/**
 * Splits a manifest into documents as k8s.io/apimachinery's YAMLReader: a line starting with
 * `---` ends a document; after it only spaces or a comment may follow; empty documents vanish.
 */
function splitDocuments(text: string): string[] {
  const docs: string[] = [];
  let current = "";
  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  for (const line of lines) {
    if (line.startsWith("---")) {
      const rest = line.slice(3).trim();
      if (rest.length > 0 && rest[0] !== "#") throw undecodable();
      if (current.length) docs.push(current);
      current = "";
      continue;
    }
    current += line;
  }
  if (current.length) docs.push(current);
  return docs;
}

/** A YAML key as sigs.k8s.io/yaml turns it into a JSON key. */
function keyText(k: unknown): string {
  if (typeof k === "string") return k;
  if (typeof k === "boolean") return k ? "true" : "false";
  // Numbers only need to stay distinct from the field names looked up, whatever their text.
  if (typeof k === "number" || typeof k === "bigint") return String(k);
  throw undecodable();
}

/** The JSON object of a YAML mapping: keys as text, visited in sorted order (json.Marshal). */
function entries(v: unknown): [string, unknown][] | null {
  if (v === null || v === undefined) return null;
  if (!(v instanceof Map)) throw undecodable();
  const map = new Map<string, unknown>();
  for (const [k, val] of v) map.set(keyText(k), val);
  // Go's json.Marshal sorts map keys by their bytes; UTF-16 order differs only above U+FFFF.
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** encoding/json's field lookup: exact name, else a case-insensitive (Unicode simple fold) match. */
function fieldOf(key: string, names: readonly string[]): string | undefined {
  if (names.includes(key)) return key;
  const fold = (s: string) => s.replace(/\u017f/g, "s").replace(/\u212a/g, "k").toLowerCase();
  const k = fold(key);
  return names.find((n) => fold(n) === k);
}

interface Containers {
  Containers: string[];
  InitContainers: string[];
}

/**
 * Decodes `image`, a string field: text or null. sigs.k8s.io/yaml would turn a number or boolean
 * into text for a string field, but it looks the field up on the embedded struct that holds
 * `containers`, not on the list's elements, so cosign never gets there: encoding/json refuses it.
 */
function image(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  throw undecodable();
}

/** Decodes a list of containers, keeping each `image` (lists replace what was there). */
function containerList(v: unknown): string[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw undecodable();
  return v.map((c) => {
    let img = "";
    for (const [k, val] of entries(c) ?? []) if (fieldOf(k, ["Image"])) img = image(val);
    return img;
  });
}

/** Decodes a pod spec's containers into `into` (a struct: matching keys merge). */
function podSpec(v: unknown, into: Containers, extra?: (field: string, val: unknown) => void) {
  const names = ["Containers", "InitContainers", ...(extra ? ["Template", "JobTemplate"] : [])];
  for (const [k, val] of entries(v) ?? []) {
    const f = fieldOf(k, names);
    if (f === "Containers") into.Containers = containerList(val);
    else if (f === "InitContainers") into.InitContainers = containerList(val);
    else if (f) extra!(f, val);
  }
}

/** Walks nested structs: `{ <name>: { <name>: … } }`, each level merging. */
function struct(v: unknown, name: string, then: (val: unknown) => void): void {
  for (const [k, val] of entries(v) ?? []) if (fieldOf(k, [name])) then(val);
}

function documentImages(doc: unknown): string[] {
  const pod: Containers = { Containers: [], InitContainers: [] };
  const template: Containers = { Containers: [], InitContainers: [] };
  const job: Containers = { Containers: [], InitContainers: [] };
  struct(doc, "Spec", (spec) =>
    podSpec(spec, pod, (field, val) => {
      if (field === "Template") struct(val, "Spec", (s) => podSpec(s, template));
      else {
        struct(val, "Spec", (js) =>
          struct(js, "Template", (t) =>
            struct(t, "Spec", (s) => podSpec(s, job))));
      }
    }));
  return [pod, template, job].flatMap((c) => [...c.InitContainers, ...c.Containers]).filter((
    i,
  ) => i.length > 0);
}

/**
 * Lists the images of a Kubernetes manifest (YAML, several documents, or JSON) as cosign's
 * `manifest verify` does.
 *
 * @param text the manifest
 * @returns the images in order (repeats kept)
 * @throws {SyntaxError} "unable to decode the manifest" for YAML that does not parse, a bad
 *   document separator, a document that is not a mapping, or a field of the wrong type; and for
 *   more than {@link MAX_MANIFEST_DOCUMENTS} documents
 * @example
 * ```ts
 * manifestImages("kind: Pod\nspec:\n  containers:\n  - image: nginx:1.27\n"); // ["nginx:1.27"]
 * ```
 */
export function manifestImages(text: string): string[] {
  const images: string[] = [];
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{")) {
    // k8s' decoder reads a stream that starts with "{" as JSON (keys in document order).
    try {
      const json = JSON.parse(
        text,
        (_k, v) =>
          typeof v === "object" && v !== null && !Array.isArray(v) ? new Map(Object.entries(v)) : v,
      );
      return documentImages(json);
    } catch (e) {
      if (!(e instanceof SyntaxError) || e.message === "unable to decode the manifest") throw e;
      // Not one JSON value: read as YAML, as k8s falls back to.
    }
  }
  const docs = splitDocuments(text);
  if (docs.length > MAX_MANIFEST_DOCUMENTS) throw undecodable();
  for (const chunk of docs) {
    const parsed = parseAllDocuments(chunk, {
      version: "1.1",
      uniqueKeys: false,
      // go-yaml v2 reads neither sexagesimal numbers (1:20) nor timestamps as such.
      customTags: (tags) =>
        tags.filter((t) =>
          (t as { format?: string }).format !== "TIME" &&
          (t as { tag?: string }).tag !== "tag:yaml.org,2002:timestamp"
        ),
    });
    // go-yaml's Unmarshal reads the first document of the chunk (after a "..." line, say).
    const doc = (Array.isArray(parsed) ? parsed : [parsed])[0];
    if (!doc) continue;
    if (doc.errors.length) throw undecodable(doc.errors[0]);
    let value: unknown;
    try {
      value = doc.toJS({ mapAsMap: true, maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      throw undecodable(e);
    }
    images.push(...documentImages(value));
  }
  return images;
}
