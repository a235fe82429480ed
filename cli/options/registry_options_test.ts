import assert from "node:assert/strict";
import type { Context } from "../command.ts";
import { fakeIo } from "../_test_io.ts";
import { UsageError } from "../exit_codes.ts";
import { RegistryClient } from "../../lib/registry/client.ts";
import { withRegistry } from "./registry_options.ts";

function context(flags: Record<string, unknown> = {}): Context {
  return {
    io: fakeIo({ env: { DOCKER_CONFIG: "/nonexistent" } }),
    flags: flags as Context["flags"],
    changed: new Set(),
    args: [],
    info: () => Promise.resolve(),
    warn: () => Promise.resolve(),
    signal: new AbortController().signal,
  };
}

/** Runs `fn` while counting the calls of RegistryClient's close(). */
async function countingCloses(fn: () => Promise<void>): Promise<number> {
  const close = RegistryClient.prototype.close;
  let closes = 0;
  RegistryClient.prototype.close = function (this: RegistryClient) {
    closes++;
    close.call(this);
  };
  try {
    await fn();
  } finally {
    RegistryClient.prototype.close = close;
  }
  return closes;
}

Deno.test("withRegistry() passes a registry client, returns fn's result and closes the client", async () => {
  const closes = await countingCloses(async () => {
    const result = await withRegistry(context(), (registry) => {
      assert.ok(registry instanceof RegistryClient);
      return Promise.resolve(42);
    });
    assert.equal(result, 42);
  });
  assert.equal(closes, 1);
});

Deno.test("withRegistry() closes the client when fn throws, and rethrows", async () => {
  const failure = new Error("boom");
  const closes = await countingCloses(async () => {
    await assert.rejects(withRegistry(context(), () => Promise.reject(failure)), failure);
  });
  assert.equal(closes, 1);
});

Deno.test("withRegistry() does not call fn for contradictory registry flags", async () => {
  let called = false;
  await assert.rejects(
    withRegistry(context({ "registry-username": "u" }), () => {
      called = true;
      return Promise.resolve();
    }),
    (e) =>
      e instanceof UsageError &&
      e.message === "--registry-username and --registry-password must be given together",
  );
  assert.equal(called, false);
});
