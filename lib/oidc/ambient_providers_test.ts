import assert from "node:assert/strict";
import {
  type AmbientProviderDeps,
  ambientProviders,
  DEFAULT_SPIFFE_SOCKET,
  FILESYSTEM_TOKEN_PATH,
  GCE_IDENTITY_URL,
  GCE_PRODUCT_NAME_FILE,
} from "./ambient_providers.ts";

function deps(
  env: Record<string, string>,
  files: Record<string, string> = {},
  metadataStatus = 404,
): AmbientProviderDeps & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    getEnv: (n) => env[n],
    exists: (p) => Promise.resolve(p in files),
    readText: (p) => Promise.resolve(files[p]),
    fetch: (url, init) => {
      asked.push(`${url} ${new Headers(init?.headers).get("metadata-flavor")}`);
      return Promise.resolve(new Response("tok", { status: metadataStatus }));
    },
  };
}

const NAMES = [
  "filesystem",
  "envvar",
  "github-actions",
  "buildkite-agent",
  "spiffe",
  "google-workload-identity",
  "google-impersonate",
];

Deno.test("ambientProviders() lists cosign's providers in its order, enabled as cosign decides", async () => {
  const cases: {
    name: string;
    env?: Record<string, string>;
    files?: Record<string, string>;
    status?: number;
    enabled: string[];
  }[] = [
    { name: "nothing", enabled: [] },
    { name: "a token file", files: { [FILESYSTEM_TOKEN_PATH]: "t" }, enabled: ["filesystem"] },
    // LookupEnv: an empty SIGSTORE_ID_TOKEN still counts.
    { name: "SIGSTORE_ID_TOKEN empty", env: { SIGSTORE_ID_TOKEN: "" }, enabled: ["envvar"] },
    {
      name: "GitHub Actions",
      env: { ACTIONS_ID_TOKEN_REQUEST_TOKEN: "t", ACTIONS_ID_TOKEN_REQUEST_URL: "https://x" },
      enabled: ["github-actions"],
    },
    {
      name: "GitHub token without URL",
      env: { ACTIONS_ID_TOKEN_REQUEST_TOKEN: "t" },
      enabled: [],
    },
    {
      name: "Buildkite",
      env: { BUILDKITE_AGENT_ACCESS_TOKEN: "t" },
      enabled: ["buildkite-agent"],
    },
    { name: "Buildkite empty", env: { BUILDKITE_AGENT_ACCESS_TOKEN: "" }, enabled: [] },
    { name: "SPIRE default socket", files: { [DEFAULT_SPIFFE_SOCKET]: "" }, enabled: ["spiffe"] },
    {
      name: "SPIFFE_ENDPOINT_SOCKET elsewhere",
      env: { SPIFFE_ENDPOINT_SOCKET: "/run/spire.sock" },
      files: { [DEFAULT_SPIFFE_SOCKET]: "" },
      enabled: [],
    },
    {
      name: "SPIFFE_ENDPOINT_SOCKET that exists",
      env: { SPIFFE_ENDPOINT_SOCKET: "/run/spire.sock" },
      files: { "/run/spire.sock": "" },
      enabled: ["spiffe"],
    },
    {
      name: "GCE with a metadata server that answers",
      files: { [GCE_PRODUCT_NAME_FILE]: "Google Compute Engine\n" },
      status: 200,
      enabled: ["google-workload-identity"],
    },
    {
      name: "GCE without identity",
      files: { [GCE_PRODUCT_NAME_FILE]: "Google\n" },
      status: 404,
      enabled: [],
    },
    {
      name: "other hardware never asks the metadata server",
      files: { [GCE_PRODUCT_NAME_FILE]: "KVM\n" },
      status: 200,
      enabled: [],
    },
    {
      name: "impersonation",
      env: { GOOGLE_SERVICE_ACCOUNT_NAME: "sa@p.iam.gserviceaccount.com" },
      enabled: ["google-impersonate"],
    },
  ];
  for (const c of cases) {
    const d = deps(c.env ?? {}, c.files ?? {}, c.status);
    const got = await ambientProviders(d);
    assert.deepEqual(got.map((p) => p.name), NAMES, c.name);
    assert.deepEqual(got.filter((p) => p.enabled).map((p) => p.name), c.enabled, c.name);
    const gce = ["Google", "Google Compute Engine"].includes(
      (c.files?.[GCE_PRODUCT_NAME_FILE] ?? "").trim(),
    );
    assert.deepEqual(d.asked, gce ? [`${GCE_IDENTITY_URL} Google`] : [], c.name);
  }
});
