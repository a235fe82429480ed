/**
 * Keyless signing with the interactive OIDC flows, through the CLI end to end: our `cosign
 * sign-blob` runs as a subprocess with `--oidc-issuer` naming a loopback OpenID provider
 * (tests/helpers/oidc_provider.ts: login form, token and device endpoints) that the real Fulcio
 * trusts (tests/peers/keyless.ts); the test plays the browser (reads the URL the CLI printed,
 * logs in, follows the redirect to the CLI's loopback listener) or approves the device code the
 * CLI printed. Go cosign v2.6.4 verifies the bundles. A wrong `state` on the redirect and a wrong
 * `nonce` in the ID token are refused: exit 1, nothing written.
 *
 * Flow selection as cosign's internal/auth GetOAuthFlow: `--fulcio-auth-flow normal` asks for the
 * browser flow; with no flow and no token, a standard input that is not a terminal (as here)
 * means the device flow.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startKeylessPeers } from "../peers/keyless.ts";
import { startTestOidcProvider } from "../helpers/oidc_provider.ts";
import { childEnv, commandLine } from "../peers/run.ts";
import { expectVerified, runGo, suiteDir, suiteOptions } from "./_run.ts";

const provider = await startTestOidcProvider();
const peers = await startKeylessPeers({ issuers: [{ url: provider.issuer, type: "email" }] });
const dir = await suiteDir("cosign-interop-keyless-flows-");
globalThis.addEventListener("unload", () => void Promise.all([peers.stop(), provider.stop()]));

const ALICE = { sub: "alice-1", email: "alice@example.com", email_verified: true };
const opts = suiteOptions(dir);
await Deno.writeTextFile(join(dir, "blob.txt"), `flows ${crypto.randomUUID()}\n`);
const exists = (name: string) => Deno.stat(join(dir, name)).then(() => true, () => false);

/** Our cosign running, its output read as it comes. */
interface Running {
  /** Resolves with the first match of `pattern` in stderr+stdout so far (waits for more). */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  /** Exit code and the whole output. */
  done: Promise<{ code: number; stderr: string; stdout: string }>;
}

function spawnOurs(args: string[]): Running {
  let stderr = "";
  let stdout = "";
  const waiters: { pattern: RegExp; resolve(m: RegExpMatchArray): void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      const m = (stderr + stdout).match(w.pattern);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  const read = async (stream: ReadableStream<Uint8Array>, onText: (t: string) => void) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      onText(text);
      check();
    }
  };
  const done = (async () => {
    const [program, fullArgs] = await commandLine("ours", args);
    const child = new Deno.Command(program, {
      args: fullArgs,
      cwd: dir,
      env: await childEnv(opts),
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    await Promise.all([
      read(child.stderr, (t) => stderr += t),
      read(child.stdout, (t) => stdout += t),
    ]);
    const { code } = await child.status;
    return { code, stderr, stdout };
  })();
  return {
    waitFor: (pattern) =>
      Promise.race([
        new Promise<RegExpMatchArray>((resolve) => {
          waiters.push({ pattern, resolve });
          check();
        }),
        done.then((r) => {
          throw new Error(`exited ${r.code} before printing ${pattern}\n${r.stderr}\n${r.stdout}`);
        }),
      ]),
    done,
  };
}

/** Our keyless sign-blob against the local Fulcio and Rekor, identity from `provider`. */
const signBlob = (bundle: string, extra: string[]) =>
  spawnOurs([
    "sign-blob",
    "--fulcio-url",
    peers.fulcio.url,
    "--rekor-url",
    peers.rekor.url,
    "--trusted-root",
    peers.trustedRootPath,
    "--oidc-issuer",
    provider.issuer,
    "--yes",
    ...extra,
    "--new-bundle-format",
    "--bundle",
    bundle,
    "blob.txt",
  ]);

const goVerify = (bundle: string) =>
  runGo([
    "verify-blob",
    "--new-bundle-format",
    "--bundle",
    bundle,
    "--certificate-identity",
    ALICE.email,
    "--certificate-oidc-issuer",
    provider.issuer,
    "--trusted-root",
    peers.trustedRootPath,
    "blob.txt",
  ], opts);

/** The authorization URL the browser flow prints (sigstore's "Go to the following link"). */
const AUTH_URL = /Go to the following link in a browser:\n\n\t (\S+)\n/;

Deno.test("browser flow: the test logs in and follows the redirect to the CLI's listener; Go verifies the bundle", async () => {
  const run = signBlob("browser.bundle", ["--fulcio-auth-flow", "normal"]);
  const [, url] = await run.waitFor(AUTH_URL);
  const authUrl = new URL(url);
  assert.equal(authUrl.origin + authUrl.pathname, `${provider.issuer}/auth`);
  assert.equal(authUrl.searchParams.get("code_challenge_method"), "S256");
  assert.match(
    authUrl.searchParams.get("redirect_uri")!,
    /^http:\/\/localhost:\d+\/auth\/callback$/,
  );
  const page = await provider.browse(url, ALICE);
  assert.match(page, /Sigstore Auth Successful/);
  const r = await run.done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Successfully verified SCT\.\.\./);
  expectVerified(await goVerify("browser.bundle"), "Go verify-blob of the browser-flow bundle");
});

Deno.test("browser flow refusals: a wrong state on the redirect, a wrong nonce in the ID token", async () => {
  const cases: [string, "wrongState" | "wrongNonce", string][] = [
    ["wrong state", "wrongState", "error: cannot get identity token: invalid state token"],
    ["wrong nonce", "wrongNonce", "error: cannot verify ID token: nonce does not match value sent"],
  ];
  for (const [name, fault, message] of cases) {
    provider.faults[fault] = true;
    try {
      const bundle = `${fault}.bundle`;
      const run = signBlob(bundle, ["--fulcio-auth-flow", "normal"]);
      const [, url] = await run.waitFor(AUTH_URL);
      await provider.browse(url, ALICE).catch(() => "");
      const r = await run.done;
      assert.equal(r.code, 1, `${name}\n${r.stderr}`);
      assert.equal(r.stderr.trimEnd().split("\n").at(-1), message, `${name}\n${r.stderr}`);
      assert.ok(!r.stderr.includes("Retrieving signed certificate..."), `${name}\n${r.stderr}`);
      assert.equal(await exists(bundle), false, name);
    } finally {
      provider.faults[fault] = false;
    }
  }
});

Deno.test("device flow (no terminal, no token): the test approves the printed code; Go verifies the bundle", async () => {
  const run = signBlob("device.bundle", []);
  const [, userCode] = await run.waitFor(/Enter the verification code (\S+) in your browser at: /);
  provider.approveDevice(userCode, ALICE);
  const r = await run.done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Non-interactive mode detected, using device flow\./);
  assert.match(r.stdout + r.stderr, /Token received!/);
  expectVerified(await goVerify("device.bundle"), "Go verify-blob of the device-flow bundle");
});

Deno.test("browser flow with --signing-config: the OIDC issuer, Fulcio and Rekor come from Go's signing config", async () => {
  const spec = (url: string) =>
    `url=${url},api-version=1,start-time=2020-01-01T00:00:00Z,operator=local`;
  const made = await runGo([
    "signing-config",
    "create",
    `--fulcio=${spec(peers.fulcio.url)}`,
    `--rekor=${spec(peers.rekor.url)}`,
    "--rekor-config=ANY",
    `--oidc-provider=${spec(provider.issuer)}`,
    "--out",
    "flows.signing_config.json",
  ], opts);
  assert.equal(made.code, 0, made.stderr);
  const run = spawnOurs([
    "sign-blob",
    "--signing-config",
    "flows.signing_config.json",
    "--trusted-root",
    peers.trustedRootPath,
    "--fulcio-auth-flow",
    "normal",
    "--yes",
    "--bundle",
    "config.bundle",
    "blob.txt",
  ]);
  const [, url] = await run.waitFor(AUTH_URL);
  assert.ok(url.startsWith(`${provider.issuer}/auth?`), url);
  await provider.browse(url, ALICE);
  const r = await run.done;
  assert.equal(r.code, 0, r.stderr);
  expectVerified(await goVerify("config.bundle"), "Go verify-blob of the signing-config bundle");
});
