/**
 * `--trusted-root` with cosign's old bundles, against a real local Rekor and registry: `verify`
 * and `verify-attestation` take the log key for the `dev.sigstore.cosign/bundle` annotation from
 * the trusted root (the log with the entry's log ID, valid at its integrated time) instead of
 * SIGSTORE_REKOR_PUBLIC_KEY, as cosign 2.6.4 does (VerifyBundle with TrustedMaterial). A root
 * without that log, or whose log is not valid at the entry's time, is refused by both.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { generateKeyPairSync } from "node:crypto";
import { createRegistry } from "../../lib/registry/client.ts";
import { parsePublicKeyPem } from "../../lib/keys/public_key.ts";
import { startRegistry } from "../peers/registry.ts";
import { startRekor } from "../peers/rekor.ts";
import { pushImage } from "../registry/_helpers.ts";
import {
  describe,
  expectSameFailure,
  expectSuccess,
  run,
  suiteDir,
  suiteOptions,
  TOOLS,
  writeTrustedRoot,
} from "./_run.ts";

const registry = await startRegistry({ mode: "http" });
const rekor = await startRekor();
const client = createRegistry({});
const dir = await suiteDir("cosign-interop-trusted-root-old-");
addEventListener("unload", () => client.close());
globalThis.addEventListener("unload", () => void rekor.stop().then(() => registry.stop()));

const opts = suiteOptions(dir);

/** A trusted root with one log: this key (SPKI DER), its log ID, valid from `start`. */
const writeRoot = (name: string, spki: Uint8Array, start?: string) =>
  writeTrustedRoot(join(dir, name), { baseUrl: rekor.url, spki, start });
const logSpki = parsePublicKeyPem(rekor.publicKeyPem).spki;
await writeRoot("root.json", logSpki);
await writeRoot("future.json", logSpki, "2099-01-01T00:00:00Z");
const other = generateKeyPairSync("ec", { namedCurve: "P-256" });
const otherSpki = new Uint8Array(other.publicKey.export({ type: "spki", format: "der" }));
await writeRoot("other.json", otherSpki);
await Deno.writeTextFile(
  join(dir, "other.pub"),
  other.publicKey.export({ type: "spki", format: "pem" }) as string,
);
await Deno.writeTextFile(join(dir, "predicate.json"), '{"builder":{"id":"https://example.com"}}');
expectSuccess(await run("go", ["generate-key-pair"], opts), "keys");

let n = 0;
async function image(): Promise<string> {
  const repo = `trusted-root-old/app${++n}`;
  const { digest } = await pushImage(client, { registry: registry.host, repository: repo }, "v1");
  return `${registry.host}/${repo}@${digest}`;
}

// One image signed and attested with a log entry by each tool.
const refs: Record<string, string> = {};
for (const tool of TOOLS) {
  const ref = refs[tool] = await image();
  const upload = ["--rekor-url", rekor.url, "--yes"];
  expectSuccess(await run(tool, ["sign", "--key", "cosign.key", ...upload, ref], opts), tool);
  expectSuccess(
    await run(tool, [
      "attest",
      "--key",
      "cosign.key",
      "--predicate",
      "predicate.json",
      ...upload,
      ref,
    ], opts),
    `${tool} attests`,
  );
}

const verify = (
  tool: "go" | "ours",
  command: "verify" | "verify-attestation",
  ref: string,
  root: string,
  env: Record<string, string> = {},
) =>
  run(tool, [
    command,
    "--key",
    "cosign.pub",
    "--rekor-url",
    rekor.url,
    "--trusted-root",
    root,
    ref,
  ], { ...opts, env: { ...opts.env, ...env } });

const COMMANDS = ["verify", "verify-attestation"] as const;

Deno.test("verify and verify-attestation check old bundles with the trusted root's log key", async () => {
  for (const signer of TOOLS) {
    for (const command of COMMANDS) {
      for (const verifier of TOOLS) {
        const r = await verify(verifier, command, refs[signer], "root.json");
        expectSuccess(r, `${verifier} ${command} ${signer}'s image`);
        assert.match(
          r.stderr,
          /The claims were validated|Existence of the claims in the transparency log was verified offline/,
          describe(r),
        );
        assert.match(r.stderr, /transparency log was verified offline/, describe(r));
      }
    }
  }
});

Deno.test("--trusted-root replaces SIGSTORE_REKOR_PUBLIC_KEY (a wrong key there is not used)", async () => {
  for (const command of COMMANDS) {
    for (const tool of TOOLS) {
      expectSuccess(
        await verify(tool, command, refs.go, "root.json", {
          SIGSTORE_REKOR_PUBLIC_KEY: join(dir, "other.pub"),
        }),
        `${tool} ${command}`,
      );
    }
  }
});

Deno.test("a trusted root without the entry's log, or not valid at its time: refused by both", async () => {
  for (
    const [root, ours] of [
      ["other.json", /rekor log public key not found for payload/],
      ["future.json", /rekor log public key not valid at payload integrated time/],
    ] as const
  ) {
    for (const command of COMMANDS) {
      const results = await Promise.all(TOOLS.map((t) => verify(t, command, refs.ours, root)));
      expectSameFailure(results, `${command} ${root}`);
      assert.match(results[1].stderr, ours, describe(results[1]));
    }
  }
});
