import assert from "node:assert/strict";
import { keyProvider, readFileBounded, readKeyRef } from "./key_ref.ts";

const te = new TextEncoder();
const env = (vars: Record<string, string>) => ({ getEnv: (name: string) => vars[name] });

Deno.test("readKeyRef() reads env://VAR", async () => {
  assert.deepEqual(await readKeyRef("env://KEY", env({ KEY: "pem" })), te.encode("pem"));
  assert.deepEqual(await readKeyRef("env://EMPTY", env({ EMPTY: "" })), new Uint8Array());
});

Deno.test("readKeyRef() rejects an unset env var", async () => {
  await assert.rejects(readKeyRef("env://NOPE", env({})), {
    name: "KeyError",
    code: "KEY_NOT_FOUND",
    message: "Cannot load key: env var $NOPE not found",
  });
});

Deno.test("readKeyRef() rejects unknown schemes like cosign", async () => {
  for (const [ref, scheme] of [["ftp://x/y", "ftp://"], ["./a://b", "./a://"]]) {
    await assert.rejects(readKeyRef(ref, env({})), {
      name: "KeyError",
      code: "KEY_UNSUPPORTED",
      message: `Cannot load key: unrecognized scheme: ${scheme}`,
    });
  }
});

Deno.test("readKeyRef() reads files and reports missing files and directories", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/k.pub`, "key");
    assert.deepEqual(await readKeyRef(`${dir}/k.pub`, env({})), te.encode("key"));
    await assert.rejects(readKeyRef(`${dir}/missing`, env({})), {
      name: "KeyError",
      code: "KEY_NOT_FOUND",
      message: `Cannot read key file ${dir}/missing: no such file or directory`,
    });
    await assert.rejects(readKeyRef(dir, env({})), {
      name: "KeyError",
      code: "KEY_INVALID",
      message: `Cannot read key file ${dir}: is a directory`,
    });
    await Deno.writeFile(`${dir}/big`, new Uint8Array(1024 * 1024 + 1));
    await assert.rejects(readKeyRef(`${dir}/big`, env({})), {
      name: "RangeError",
      message: `Cannot read key file ${dir}/big: larger than 1048576 bytes`,
    });
    assert.equal((await readFileBounded(`${dir}/k.pub`)).length, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readKeyRef() maps errors of an injected readFile", async () => {
  const deps = {
    getEnv: () => undefined,
    readFile: () => Promise.reject(Object.assign(new Error("EACCES"), { code: "EACCES" })),
  };
  await assert.rejects(readKeyRef("k", deps), {
    name: "IoError",
    code: "INPUT_UNREADABLE",
    message: "Cannot read key file k: EACCES",
  });
});

Deno.test("readKeyRef() fetches http(s) URLs, bounded, and fails on non-2xx", async () => {
  const responses: Record<string, () => Response> = {
    "https://k/ok": () => new Response("pem"),
    "https://k/404": () => new Response("nope", { status: 404 }),
    "http://k/big": () => new Response(new Uint8Array(1024 * 1024 + 1)),
  };
  const deps = {
    getEnv: () => undefined,
    fetch: ((url: string) => Promise.resolve(responses[url]())) as typeof fetch,
  };
  assert.deepEqual(await readKeyRef("https://k/ok", deps), te.encode("pem"));
  await assert.rejects(readKeyRef("https://k/404", deps), {
    name: "IoError",
    code: "NETWORK",
    message: "Cannot load key: GET https://k/404 returned HTTP 404",
  });
  await assert.rejects(readKeyRef("http://k/big", deps), {
    name: "RangeError",
    message: "Cannot load key: http://k/big is larger than 1048576 bytes",
  });
  const failing = {
    getEnv: () => undefined,
    fetch: (() => Promise.reject(new TypeError("dns"))) as typeof fetch,
  };
  await assert.rejects(readKeyRef("https://k/x", failing), {
    name: "IoError",
    code: "NETWORK",
    message: "Cannot load key: GET https://k/x: dns",
  });
});

Deno.test("keyProvider() recognises cosign's provider prefixes, case-sensitively", () => {
  const cases: [string, string | undefined][] = [
    ["pkcs11:token=t;object=k", "pkcs11"],
    ["awskms:///alias/cosign", "kms"],
    ["gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k", "kms"],
    ["azurekms://vault.vault.azure.net/key", "kms"],
    ["hashivault://cosign", "kms"],
    ["k8s://ns/secret", "k8s"],
    ["gitlab://group/project", "gitlab"],
    ["github://owner/repo", undefined],
    ["PKCS11:token=t;object=k", undefined],
    ["cosign.pub", undefined],
    ["env://KEY", undefined],
    ["https://example.test/cosign.pub", undefined],
  ];
  for (const [ref, provider] of cases) assert.equal(keyProvider(ref), provider, ref);
});

Deno.test("readKeyRef() hands provider references to resolveProviderKey, else refuses them", async () => {
  const asked: string[] = [];
  const deps = {
    getEnv: () => undefined,
    resolveProviderKey: (ref: string) => (asked.push(ref), Promise.resolve(te.encode("PEM"))),
  };
  assert.deepEqual(await readKeyRef("awskms:///alias/k", deps), te.encode("PEM"));
  assert.deepEqual(asked, ["awskms:///alias/k"]);
  await assert.rejects(readKeyRef("pkcs11:token=t;id=%01", { getEnv: () => undefined }), {
    name: "KeyError",
    code: "KEY_UNSUPPORTED",
    message: "Cannot load key: pkcs11 keys are not supported here",
  });
});
