/**
 * Signing with a transparency log that lies (issue 11, hardening): the real local Rekor behind a
 * fault proxy that answers uploads with an unrelated entry, a 409 pointing at another entry, or
 * the right entry with an invalid SET. Every signing command that uploads (`sign-blob`, with and
 * without `--new-bundle-format`, `sign`, `sign --new-bundle-format`, `attest`, `attest-blob`) must
 * then fail with nothing written or pushed.
 *
 * The Go cosign v2.6.4 is the oracle where it checks: after a 409 it verifies the fetched entry's
 * SET and inclusion proof with the key the log serves, so a 409 leading to an entry with an
 * invalid SET fails in both. It takes a 201 answer as it comes and does not compare the entry
 * with what it uploaded, so it writes bundles for the other lies: those cases assert that ours
 * refuses them and that Go (a known, documented difference) does not.
 *
 * Online lookups (a signature without a bundle): a checkpoint re-signed with the log's own key
 * whose origin is not `<log name> - <tree ID of the entry>` is refused, the origin compared as
 * text (regular-expression characters are data). Go does not check checkpoints online.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { generateKeyPairSync, sign } from "node:crypto";
import { createRegistry } from "../../lib/registry/client.ts";
import { RekorClient } from "../../lib/rekor/client.ts";
import { sha256 } from "../../lib/digest.ts";
import { flipBase64, loadLogSigner, withCheckpointOrigin } from "../helpers/lying_log.ts";
import type { RekorEntry } from "../../lib/rekor/verify_entry.ts";
import { type FaultRule, startFaultProxy } from "../peers/fault_proxy.ts";
import { startRegistry } from "../peers/registry.ts";
import { startRekor } from "../peers/rekor.ts";
import { pushImage } from "../registry/_helpers.ts";
import {
  describe,
  expectSameFailure,
  expectSuccess,
  expectVerified,
  run,
  type RunResult,
  suiteDir,
  suiteOptions,
  type Tool,
  TOOLS,
} from "./_run.ts";

const registry = await startRegistry({ mode: "http" });
const rekor = await startRekor();
const proxy = startFaultProxy(rekor.url);
const client = createRegistry({});
const dir = await suiteDir("cosign-interop-lying-log-");
addEventListener("unload", () => client.close());
globalThis.addEventListener(
  "unload",
  () => void proxy.stop().then(() => rekor.stop()).then(() => registry.stop()),
);

const opts = suiteOptions(dir, { SIGSTORE_REKOR_PUBLIC_KEY: rekor.publicKeyPath });
expectSuccess(await run("go", ["generate-key-pair"], opts), "keys");
await Deno.writeTextFile(join(dir, "predicate.json"), '{"hello":"world"}\n');
const selfCheck = Deno.env.get("INTEROP_SELF_CHECK") === "go";

// An unrelated entry, logged by someone else with another key.
const unrelated = await (async () => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const blob = new TextEncoder().encode(`unrelated ${crypto.randomUUID()}`);
  const entry = await new RekorClient(rekor.url).createEntry({
    algorithm: "sha256",
    digest: sha256(blob),
    signature: new Uint8Array(sign("sha256", blob, privateKey)),
    publicKeyPem: new TextEncoder().encode(
      publicKey.export({ type: "spki", format: "pem" }) as string,
    ),
  });
  const res = await fetch(`${rekor.url}/api/v1/log/entries/${entry.uuid}`);
  return { uuid: entry.uuid, json: await res.text() };
})();

const ENTRIES = /^\/api\/v1\/log\/entries$/;
const ENTRY = /^\/api\/v1\/log\/entries\/[0-9a-f]+$/;

/** Flips the SET of every entry of a `{uuid: entry}` answer. */
function flipSets(body: string): string {
  const v = JSON.parse(body);
  for (const e of Object.values(v) as { verification: { signedEntryTimestamp: string } }[]) {
    e.verification.signedEntryTimestamp = flipBase64(e.verification.signedEntryTimestamp);
  }
  return JSON.stringify(v);
}

/** The lies, as proxy rules; `goAgrees`: the Go cosign refuses it too. */
const LIES: { name: string; rules: () => FaultRule[]; goAgrees: boolean }[] = [
  {
    name: "201 with an unrelated entry",
    goAgrees: false,
    rules: () => [{
      method: "POST",
      path: ENTRIES,
      action: {
        status: 201,
        headers: {
          "content-type": "application/json",
          location: `/api/v1/log/entries/${unrelated.uuid}`,
        },
        body: unrelated.json,
      },
    }],
  },
  {
    name: "409 pointing at an unrelated entry",
    goAgrees: false,
    rules: () => [{
      method: "POST",
      path: ENTRIES,
      action: {
        status: 409,
        headers: {
          "content-type": "application/json",
          location: `/api/v1/log/entries/${unrelated.uuid}`,
        },
        body: '{"code":409,"message":"An equivalent entry already exists"}',
      },
    }],
  },
  {
    name: "201 with the entry but an invalid SET",
    goAgrees: false,
    rules: () => [{ method: "POST", path: ENTRIES, action: { kind: "rewrite", fn: flipSets } }],
  },
  {
    name: "409, then the entry with an invalid SET",
    goAgrees: true,
    rules: () => [
      {
        method: "POST",
        path: ENTRIES,
        action: {
          kind: "rewrite",
          status: 409,
          fn: () => '{"code":409,"message":"An equivalent entry already exists"}',
        },
      },
      { method: "GET", path: ENTRY, action: { kind: "rewrite", fn: flipSets } },
    ],
  },
];

let n = 0;
async function image(): Promise<{ ref: string; repo: { registry: string; repository: string } }> {
  const repository = `lying/app${++n}`;
  const repo = { registry: registry.host, repository };
  const { digest } = await pushImage(client, repo, "v1");
  return { ref: `${registry.host}/${repository}@${digest}`, repo };
}

/** What a signing command left behind: files written, or anything pushed next to the image. */
async function leftovers(
  files: string[],
  img?: { ref: string; repo: { registry: string; repository: string } },
): Promise<string[]> {
  const found: string[] = [];
  for (const f of files) {
    try {
      await Deno.stat(join(dir, f));
      found.push(f);
    } catch { /* not written */ }
  }
  if (img) {
    const digest = img.ref.split("@")[1];
    for (const suffix of [".sig", ".att", ""]) {
      const tag = `${digest.replace(":", "-")}${suffix}`;
      if (await client.headManifest(img.repo, tag)) found.push(`tag ${tag}`);
    }
  }
  return found;
}

/** One signing command: run it through the proxy, report what it left behind. */
type Command = {
  name: string;
  run(tool: Tool, url: string): Promise<{ result: RunResult; left: string[] }>;
};

const COMMANDS: Command[] = [
  ...[false, true].map((newFormat): Command => ({
    name: `sign-blob${newFormat ? " --new-bundle-format" : ""}`,
    async run(tool, url) {
      const id = `${++n}`;
      await Deno.writeTextFile(join(dir, `blob${id}`), `blob ${crypto.randomUUID()}\n`);
      const files = [`blob${id}.bundle`, `blob${id}.sig`];
      const result = await run(tool, [
        "sign-blob",
        "--key",
        "cosign.key",
        "--rekor-url",
        url,
        "--yes",
        ...(newFormat ? ["--new-bundle-format"] : []),
        "--bundle",
        files[0],
        "--output-signature",
        files[1],
        `blob${id}`,
      ], opts);
      return { result, left: await leftovers(files) };
    },
  })),
  ...[false, true].map((newFormat): Command => ({
    name: `sign${newFormat ? " --new-bundle-format" : ""}`,
    async run(tool, url) {
      const img = await image();
      const result = await run(tool, [
        "sign",
        "--key",
        "cosign.key",
        "--rekor-url",
        url,
        "--yes",
        ...(newFormat ? ["--new-bundle-format"] : []),
        img.ref,
      ], opts);
      return { result, left: await leftovers([], img) };
    },
  })),
  {
    name: "attest",
    async run(tool, url) {
      const img = await image();
      const result = await run(tool, [
        "attest",
        "--key",
        "cosign.key",
        "--rekor-url",
        url,
        "--yes",
        "--predicate",
        "predicate.json",
        "--type",
        "custom",
        img.ref,
      ], opts);
      return { result, left: await leftovers([], img) };
    },
  },
  {
    name: "attest-blob",
    async run(tool, url) {
      const id = `${++n}`;
      await Deno.writeTextFile(join(dir, `att${id}`), `blob ${crypto.randomUUID()}\n`);
      const files = [`att${id}.bundle`, `att${id}.sig`];
      const result = await run(tool, [
        "attest-blob",
        "--key",
        "cosign.key",
        "--rekor-url",
        url,
        "--yes",
        "--predicate",
        "predicate.json",
        "--type",
        "custom",
        "--bundle",
        files[0],
        "--output-signature",
        files[1],
        `att${id}`,
      ], opts);
      return { result, left: await leftovers(files) };
    },
  },
];

/** Runs `fn` with the proxy lying as `rules` say. */
async function lying<T>(rules: FaultRule[], fn: () => Promise<T>): Promise<T> {
  proxy.rules.splice(0, proxy.rules.length, ...rules);
  try {
    return await fn();
  } finally {
    proxy.rules.length = 0;
  }
}

Deno.test("every signing command works through the proxy when the log tells the truth", async () => {
  for (const cmd of COMMANDS) {
    for (const tool of TOOLS) {
      const { result, left } = await cmd.run(tool, proxy.url);
      expectSuccess(result, `${tool} ${cmd.name} through an honest proxy`);
      assert.ok(left.length > 0, `${tool} ${cmd.name} wrote nothing\n${describe(result)}`);
    }
  }
});

Deno.test("a 409 whose entry has an invalid SET fails in both, with nothing written or pushed", async () => {
  const lie = LIES.find((l) => l.goAgrees)!;
  for (const cmd of COMMANDS) {
    const results = [];
    for (const tool of TOOLS) {
      const { result, left } = await lying(lie.rules(), () => cmd.run(tool, proxy.url));
      assert.deepEqual(left, [], `${tool} ${cmd.name}: ${lie.name} left\n${describe(result)}`);
      results.push(result);
    }
    expectSameFailure(results, `${cmd.name}: ${lie.name}`);
  }
});

Deno.test({
  name: "ours refuses every lie the Go cosign takes, with nothing written or pushed",
  ignore: selfCheck,
  async fn() {
    for (const lie of LIES.filter((l) => !l.goAgrees)) {
      for (const cmd of COMMANDS) {
        const ours = await lying(lie.rules(), () => cmd.run("ours", proxy.url));
        assert.equal(ours.result.code, 1, `${cmd.name}: ${lie.name}\n${describe(ours.result)}`);
        assert.match(
          ours.result.stderr,
          /cannot use the transparency log's answer to the upload: /i,
          describe(ours.result),
        );
        assert.deepEqual(ours.left, [], `${cmd.name}: ${lie.name}\n${describe(ours.result)}`);
        // The documented difference: Go writes or pushes what the lie gave it.
        const go = await lying(lie.rules(), () => cmd.run("go", proxy.url));
        expectSuccess(go.result, `go ${cmd.name}: ${lie.name} (known difference)`);
      }
    }
  },
});

Deno.test({
  name:
    "online lookups refuse a checkpoint of another form than `<log> - <tree ID>` (Go: accepted)",
  ignore: selfCheck,
  async fn() {
    await Deno.writeTextFile(join(dir, "online.txt"), `online ${crypto.randomUUID()}\n`);
    expectSuccess(
      await run("go", [
        "sign-blob",
        "--key",
        "cosign.key",
        "--rekor-url",
        rekor.url,
        "--yes",
        "--output-signature",
        "online.sig",
        "online.txt",
      ], opts),
      "go signs and logs",
    );
    const log = await loadLogSigner(rekor.privateKeyPath);
    const verify = (tool: Tool) =>
      run(tool, [
        "verify-blob",
        "--key",
        "cosign.pub",
        "--signature",
        "online.sig",
        "--rekor-url",
        proxy.url,
        "online.txt",
      ], opts);
    for (const r of await Promise.all(TOOLS.map(verify))) expectVerified(r, "honest lookup");
    // The log's answers with the checkpoint's origin replaced and re-signed with the log's key:
    // regular-expression characters are data, compared as text.
    const origins = [
      `rekor.local - ${BigInt(rekor.treeId) + 1n}`,
      "rekor.local - .*",
      `rekor.local - ${rekor.treeId.slice(0, -1)}.`,
      "rekor.local - [0-9]+",
      ".*",
    ];
    for (const origin of origins) {
      const rules: FaultRule[] = [{
        method: "POST",
        path: /^\/api\/v1\/log\/entries\/retrieve$/,
        action: {
          kind: "rewrite",
          fn: (body) =>
            JSON.stringify(
              (JSON.parse(body) as Record<string, RekorEntry>[]).map((m) =>
                Object.fromEntries(
                  Object.entries(m).map((
                    [uuid, e],
                  ) => [uuid, withCheckpointOrigin(e, origin, log)]),
                )
              ),
            ),
        },
      }];
      const [go, ours] = await lying(rules, () => Promise.all(TOOLS.map(verify)));
      // Go cosign's online verification (VerifyTLogEntryOffline) checks the SET and the
      // inclusion proof's root, not the checkpoint.
      expectVerified(go, `go ignores the checkpoint ${origin} (known difference)`);
      assert.equal(ours.code, 1, `${origin}\n${describe(ours)}`);
      assert.match(ours.stderr, /is not the tree head of tree/, describe(ours));
    }
  },
});
