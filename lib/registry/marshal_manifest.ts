/**
 * go-containerregistry's JSON for manifests, descriptors and config files, byte for byte: Go's
 * `encoding/json` over ggcr's structs (pkg/v1/manifest.go, pkg/v1/config.go) — field order,
 * `omitempty`, and Go's string escaping — so that a manifest we write has the digest cosign's
 * would have.
 *
 * @module
 */
import { goJsonString, marshalGoJson } from "../payload/go_json.ts";
import type { Descriptor, ImageManifest, Platform } from "./types.ts";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Go's omitempty: false, 0, "", null/undefined, empty array or map. */
function empty(v: unknown): boolean {
  return v === undefined || v === null || v === false || v === 0 || v === "" ||
    (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);
}

/** Writes `key:value` pairs in struct order, skipping omitempty fields that are empty. */
function struct(fields: Array<[string, unknown, "omitempty"?, ((v: unknown) => string)?]>): string {
  const parts: string[] = [];
  for (const [key, value, omit, fmt] of fields) {
    if (omit ? empty(value) : value === undefined) continue;
    parts.push(`${goJsonString(key)}:${(fmt ?? marshalGoJson)(value ?? null)}`);
  }
  return `{${parts.join(",")}}`;
}

/** Go's `time.Time` JSON (RFC 3339, trailing fractional zeros dropped); the zero time if absent. */
function goTime(v: unknown): string {
  if (typeof v !== "string" || v === "") return '"0001-01-01T00:00:00Z"';
  const m = /^(.*T\d\d:\d\d:\d\d)\.(\d+)(.*)$/.exec(v);
  if (!m) return goJsonString(v);
  const frac = m[2].replace(/0+$/, "");
  return goJsonString(`${m[1]}${frac ? `.${frac}` : ""}${m[3]}`);
}

/** ggcr `v1.ConfigFile` re-marshalled (pkg/v1/config.go field order and omitempty). */
export function marshalConfigFile(c: Record<string, unknown>): string {
  const rootfs = (isObject(c.rootfs) ? c.rootfs : {}) as Record<string, unknown>;
  return struct([
    ["architecture", c.architecture ?? ""],
    ["author", c.author, "omitempty"],
    ["container", c.container, "omitempty"],
    ["created", c.created ?? "", undefined, goTime],
    ["docker_version", c.docker_version, "omitempty"],
    ["history", c.history, "omitempty", (h) =>
      `[${
        (h as unknown[]).map((e) => {
          const x = (isObject(e) ? e : {}) as Record<string, unknown>;
          return struct([
            ["author", x.author, "omitempty"],
            ["created", x.created ?? "", undefined, goTime],
            ["created_by", x.created_by, "omitempty"],
            ["comment", x.comment, "omitempty"],
            ["empty_layer", x.empty_layer, "omitempty"],
          ]);
        }).join(",")
      }]`],
    ["os", c.os ?? ""],
    [
      "rootfs",
      rootfs,
      undefined,
      () => struct([["type", rootfs.type ?? ""], ["diff_ids", rootfs.diff_ids ?? null]]),
    ],
    ["config", c.config ?? {}, undefined, (v) => marshalContainerConfig(v)],
    ["os.version", c["os.version"], "omitempty"],
    ["variant", c.variant, "omitempty"],
    ["os.features", c["os.features"], "omitempty"],
  ]);
}

const CONTAINER_CONFIG_FIELDS = [
  "AttachStderr",
  "AttachStdin",
  "AttachStdout",
  "Cmd",
  "Healthcheck",
  "Domainname",
  "Entrypoint",
  "Env",
  "Hostname",
  "Image",
  "Labels",
  "OnBuild",
  "OpenStdin",
  "StdinOnce",
  "Tty",
  "User",
  "Volumes",
  "WorkingDir",
  "ExposedPorts",
  "ArgsEscaped",
  "NetworkDisabled",
  "MacAddress",
  "StopSignal",
  "Shell",
];

/** ggcr `v1.Config` re-marshalled: known fields in struct order, all omitempty. */
function marshalContainerConfig(v: unknown): string {
  const c = (isObject(v) ? v : {}) as Record<string, unknown>;
  return struct(CONTAINER_CONFIG_FIELDS.map((k) => {
    if (k !== "Healthcheck") return [k, c[k], "omitempty"];
    const h = c[k];
    return [k, isObject(h) ? h : undefined, undefined, (x) => {
      const hc = x as Record<string, unknown>;
      return struct(
        ["Test", "Interval", "Timeout", "StartPeriod", "Retries"].map((f) => [
          f,
          hc[f],
          "omitempty",
        ]),
      );
    }];
  }));
}

function marshalPlatform(p: Platform): string {
  return struct([
    ["architecture", p.architecture ?? ""],
    ["os", p.os ?? ""],
    ["os.version", p["os.version"], "omitempty"],
    ["os.features", p["os.features"], "omitempty"],
    ["variant", p.variant, "omitempty"],
    ["features", (p as unknown as Record<string, unknown>).features, "omitempty"],
  ]);
}

/** ggcr `v1.Descriptor` marshalled (pkg/v1/manifest.go field order). */
export function marshalDescriptor(d: Descriptor): string {
  return struct([
    ["mediaType", d.mediaType ?? ""],
    ["size", d.size ?? 0],
    ["digest", d.digest ?? ""],
    ["data", d.data, "omitempty"],
    ["urls", d.urls, "omitempty"],
    ["annotations", d.annotations, "omitempty"],
    ["platform", d.platform, undefined, (p) => marshalPlatform(p as Platform)],
    ["artifactType", d.artifactType, "omitempty"],
  ]);
}

/** ggcr `v1.Manifest` marshalled (pkg/v1/manifest.go field order). */
export function marshalManifest(m: ImageManifest): string {
  return struct([
    ["schemaVersion", m.schemaVersion ?? 0],
    ["mediaType", m.mediaType, "omitempty"],
    ["config", m.config, undefined, (d) => marshalDescriptor(d as Descriptor)],
    [
      "layers",
      m.layers,
      undefined,
      (l) => `[${(l as Descriptor[]).map(marshalDescriptor).join(",")}]`,
    ],
    ["annotations", m.annotations, "omitempty"],
    ["subject", m.subject, undefined, (d) => marshalDescriptor(d as Descriptor)],
  ]);
}
