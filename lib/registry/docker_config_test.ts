import assert from "node:assert/strict";
import { RegistryError } from "../errors.ts";
import {
  authKeyHost,
  credentialsFromConfig,
  dockerConfigPath,
  type HelperRunner,
  login,
  readDockerConfig,
} from "./docker_config.ts";

const b64 = (s: string) => btoa(s);

Deno.test("dockerConfigPath() prefers DOCKER_CONFIG, then HOME", () => {
  assert.equal(dockerConfigPath({ DOCKER_CONFIG: "/d/", HOME: "/h" }), "/d/config.json");
  assert.equal(dockerConfigPath({ HOME: "/h" }), "/h/.docker/config.json");
  assert.equal(dockerConfigPath({}), undefined);
});

Deno.test("authKeyHost() strips scheme and path like docker's ConvertToHostname", () => {
  assert.equal(authKeyHost("https://index.docker.io/v1/"), "index.docker.io");
  assert.equal(authKeyHost("http://localhost:5000"), "localhost:5000");
  assert.equal(authKeyHost("ghcr.io"), "ghcr.io");
});

Deno.test("credentialsFromConfig() matches auths entries by host and port", async () => {
  const config = {
    auths: {
      "https://index.docker.io/v1/": { auth: b64("hub:hubpw") },
      "https://ghcr.io": { auth: b64("gh:a:b") },
      "localhost:5000": { username: "l", password: "lpw" },
      "reg.example": { identitytoken: "IDT" },
    },
  };
  const table: [string, unknown][] = [
    ["index.docker.io", { username: "hub", password: "hubpw" }],
    ["docker.io", { username: "hub", password: "hubpw" }],
    ["ghcr.io", { username: "gh", password: "a:b" }],
    ["localhost:5000", { username: "l", password: "lpw" }],
    ["localhost:5001", undefined],
    ["localhost", undefined],
    ["reg.example", { identityToken: "IDT" }],
    ["ghcr.io.evil.example", undefined],
  ];
  for (const [registry, expected] of table) {
    assert.deepEqual(await credentialsFromConfig(config, registry), expected, registry);
  }
  await assert.rejects(
    credentialsFromConfig({ auths: { "x.io": { auth: b64("nocolon") } } }, "x.io"),
    RegistryError,
  );
});

Deno.test("credentialsFromConfig() asks credHelpers, then credsStore", async () => {
  const asked: string[] = [];
  const runner: HelperRunner = (name, action, input) => {
    asked.push(`${name} ${action} ${input}`);
    if (name === "gcr") {
      return Promise.resolve({
        success: true,
        stdout: '{"Username":"_token","Secret":"S"}',
        stderr: "",
      });
    }
    if (name === "tokens") {
      return Promise.resolve({
        success: true,
        stdout: '{"Username":"<token>","Secret":"RT"}',
        stderr: "",
      });
    }
    if (name === "broken") return Promise.resolve({ success: false, stdout: "", stderr: "boom" });
    return Promise.resolve({
      success: false,
      stdout: "credentials not found in native keychain\n",
      stderr: "",
    });
  };
  const config = {
    credHelpers: { "gcr.io": "gcr", "id.example": "tokens", "bad.example": "broken" },
    credsStore: "desktop",
    auths: { "fallback.example": { auth: b64("f:fpw") } },
  };
  assert.deepEqual(await credentialsFromConfig(config, "gcr.io", runner), {
    username: "_token",
    password: "S",
  });
  assert.deepEqual(await credentialsFromConfig(config, "id.example", runner), {
    identityToken: "RT",
  });
  assert.equal(await credentialsFromConfig(config, "other.example", runner), undefined);
  assert.deepEqual(await credentialsFromConfig(config, "fallback.example", runner), {
    username: "f",
    password: "fpw",
  });
  assert.deepEqual(asked.slice(0, 3), [
    "gcr get gcr.io",
    "tokens get id.example",
    "desktop get other.example",
  ]);
  const err = await credentialsFromConfig(config, "bad.example", runner).catch((e) => e);
  assert.ok(err instanceof RegistryError);
  assert.equal(
    err.message,
    "Cannot get credentials for bad.example from docker-credential-broken: boom",
  );
  await credentialsFromConfig({ credsStore: "desktop" }, "docker.io", runner);
  assert.equal(asked.at(-1), "desktop get https://index.docker.io/v1/");
});

Deno.test("login() writes the docker config atomically and keeps other keys", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/sub/config.json`;
    await login("docker.io", "u", "p", path);
    await login("localhost:5000", "l", "lp", path);
    const config = await readDockerConfig(path);
    assert.deepEqual(config?.auths, {
      "https://index.docker.io/v1/": { auth: b64("u:p") },
      "localhost:5000": { auth: b64("l:lp") },
    });
    await Deno.writeTextFile(
      path,
      JSON.stringify({ ...config, credsStore: "", experimental: "enabled" }),
    );
    await login("localhost:5000", "l2", "lp2", path);
    const again = await readDockerConfig(path);
    assert.equal(again?.experimental, "enabled");
    assert.deepEqual(again?.auths?.["localhost:5000"], { auth: b64("l2:lp2") });
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual([...Deno.readDirSync(`${dir}/sub`)].map((e) => e.name), ["config.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("login() stores through a configured credential helper", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/config.json`;
    await Deno.writeTextFile(path, JSON.stringify({ credsStore: "pass" }));
    const stored: string[] = [];
    await login("reg.example", "u", "p", path, (name, action, input) => {
      stored.push(`${name} ${action} ${input}`);
      return Promise.resolve({ success: true, stdout: "", stderr: "" });
    });
    assert.deepEqual(stored, [
      'pass store {"ServerURL":"reg.example","Username":"u","Secret":"p"}',
    ]);
    const config = await readDockerConfig(path);
    assert.deepEqual(config?.auths, { "reg.example": {} });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readDockerConfig() returns undefined for a missing file and rejects non-JSON", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(await readDockerConfig(`${dir}/none.json`), undefined);
    await Deno.writeTextFile(`${dir}/bad.json`, "{nope");
    await assert.rejects(readDockerConfig(`${dir}/bad.json`), { name: "IoError" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
