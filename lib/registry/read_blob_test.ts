import assert from "node:assert/strict";
import { RegistryError } from "../errors.ts";
import { startHostileRegistry } from "../../tests/helpers/hostile_registry.ts";
import { createRegistry } from "./client.ts";
import { MemoryRegistry } from "./memory_registry.ts";
import { readBlob } from "./read_blob.ts";
import { sha256Digest } from "./sha256_digest.ts";
import type { Registry, Repository } from "./types.ts";

const MiB = 1024 * 1024;
const payload = new TextEncoder().encode(
  '{"critical":{"identity":{"docker-reference":"hostile/app"},"image":{"docker-manifest-digest":' +
    `"sha256:${"ab".repeat(32)}"},"type":"cosign container image signature"},"optional":null}`,
);
const digest = await sha256Digest(payload);
const N = payload.length;

Deno.test("readBlob() over HTTP bounds every read by the declared size (hostile registry)", async (t) => {
  const hostile = startHostileRegistry();
  const client = createRegistry({ retry: { attempts: 1 } });
  const repo: Repository = { registry: hostile.host, repository: "test/app" };
  const blobGets = () =>
    hostile.requests.filter((r) => r.method === "GET" && r.path.includes("/blobs/")).length;
  const what = `Cannot fetch blob ${hostile.host}/test/app@${digest}`;
  try {
    // [name, fault, declared size, code, message, whether the client hangs up before the end
    // (a body of a few hundred bytes is written whole before the client can)]
    const cases: Array<
      [string, Parameters<typeof hostile.faults.set>[1], number, string, string, boolean]
    > = [
      [
        "an endless body (no Content-Length) stops at byte size + 1",
        { kind: "endless" },
        260,
        "TOO_LARGE",
        `${what}: the content is longer than its declared size 260`,
        true,
      ],
      [
        "a longer body without Content-Length stops at byte size + 1",
        { kind: "body", bytes: payload, contentLength: null },
        N - 1,
        "TOO_LARGE",
        `${what}: the content is longer than its declared size ${N - 1}`,
        false,
      ],
      [
        "a longer body with its Content-Length is refused before the body is read",
        { kind: "body", bytes: payload },
        N - 1,
        "TOO_LARGE",
        `${what}: Content-Length ${N} does not match the declared size ${N - 1}`,
        false,
      ],
      [
        "a shorter body without Content-Length fails at its end",
        { kind: "body", bytes: payload, contentLength: null },
        N + 1,
        "DIGEST_MISMATCH",
        `${what}: the content has ${N} bytes, its descriptor declares ${N + 1}`,
        false,
      ],
      [
        "a shorter body with its Content-Length is refused before the body is read",
        { kind: "body", bytes: payload },
        N + 1,
        "DIGEST_MISMATCH",
        `${what}: Content-Length ${N} does not match the declared size ${N + 1}`,
        false,
      ],
    ];
    for (const [name, fault, size, code, message, cancelled] of cases) {
      await t.step(name, async () => {
        hostile.faults.set(digest, fault);
        const before = hostile.served.length;
        await assert.rejects(readBlob(client, repo, { digest, size }, 128 * MiB), (e) => {
          assert.ok(e instanceof RegistryError, String(e));
          assert.equal(e.code, code);
          assert.equal(e.message, message);
          return true;
        });
        const served = hostile.served.slice(before);
        assert.equal(served.length, 1);
        // Give the server a moment to see the hang-up.
        for (let i = 0; i < 50 && served[0].cancelled !== cancelled; i++) {
          await new Promise((r) => setTimeout(r, 10));
        }
        if (cancelled) assert.equal(served[0].cancelled, true, "the client hung up");
        // Bounded on the server side too: the client stopped reading, so the server did not get
        // to write more than what socket buffers hold (an unbounded read would go on for 128 MiB).
        assert.ok(served[0].bytes < 32 * MiB, `${served[0].bytes} bytes written`);
      });
    }
    await t.step("a declared size above the cap is refused without a request", async () => {
      hostile.faults.set(digest, { kind: "endless" });
      const before = blobGets();
      await assert.rejects(readBlob(client, repo, { digest, size: 200 * MiB }, 128 * MiB), {
        code: "TOO_LARGE",
        message: `${what}: the descriptor declares ${200 * MiB} bytes, more than the limit of ${
          128 * MiB
        }`,
      });
      assert.equal(blobGets(), before);
    });
    await t.step("an honest body of the declared size is read", async () => {
      hostile.faults.set(digest, { kind: "body", bytes: payload, contentLength: null });
      assert.deepEqual(await readBlob(client, repo, { digest, size: N }, 128 * MiB), payload);
      hostile.faults.set(digest, { kind: "body", bytes: payload });
      assert.deepEqual(await readBlob(client, repo, { digest, size: N }, N), payload);
    });
  } finally {
    client.close();
    await hostile.stop();
  }
});

Deno.test("readBlob() on the memory registry: lying sizes, and no fetch beyond the cap", async () => {
  let gets = 0;
  const reg: Registry = new MemoryRegistry({
    hook: (op) => {
      if (op === "getBlob") gets++;
    },
  });
  const repo: Repository = { registry: "mem", repository: "app" };
  await reg.putBlob(repo, payload);
  const what = `Cannot fetch blob mem/app@${digest}`;
  const cases: Array<[unknown, string, string]> = [
    [N - 1, "TOO_LARGE", `${what}: the content is longer than its declared size ${N - 1}`],
    [
      N + 1,
      "DIGEST_MISMATCH",
      `${what}: the content has ${N} bytes, its descriptor declares ${N + 1}`,
    ],
    [1000, "TOO_LARGE", `${what}: the descriptor declares 1000 bytes, more than the limit of 999`],
    [-5, "REGISTRY", `${what}: the descriptor declares an invalid size -5`],
    ["12", "REGISTRY", `${what}: the descriptor declares an invalid size "12"`],
  ];
  for (const [size, code, message] of cases) {
    await assert.rejects(
      readBlob(reg, repo, { digest, size: size as number }, 999),
      { code, message },
      String(size),
    );
  }
  assert.equal(gets, 2, "only the first two reached the registry");
  assert.deepEqual(await readBlob(reg, repo, { digest, size: N }, N), payload);
});
