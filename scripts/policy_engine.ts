/**
 * Builds the policy engine of `cosign verify-attestation --policy` (see lib/policy/policy_engine.ts
 * for why it is a Go build): a small Go `main` of ours over the real CUE (cuelang.org/go v0.14.1)
 * and Open Policy Agent (v1.8.0) — the versions cosign v2.6.4 links — compiled with GOOS=js
 * GOARCH=wasm, next to the toolchain's `wasm_exec.js`, into
 * `$COSIGN_DENO_CACHE/policy-engine-<revision>-cue-v0.14.1-opa-v1.8.0/` (default `~/.cache/cosign-deno`).
 *
 *     deno task policy-engine     # or: deno run -A scripts/policy_engine.ts
 *
 * Needs Go 1.24 or later (for `lib/wasm/wasm_exec.js`) and the Go module proxy; takes a few
 * minutes and ~55 MB. Idempotent: an installed engine is kept. The build goes to a temporary
 * folder renamed into place, so an interrupted build leaves nothing half-written.
 *
 * The Go program answers one request (argv[2], JSON: `dir`, `cue` and `rego` files, `inputs`) by
 * calling the JavaScript function named in argv[1] with `{"results":[{"cue":…,"rego":[…]}]}`:
 * for each input, what cosign's `cue.ValidateJSON` (load.Instances of the files, BuildInstance,
 * encoding/json Validate) and `rego.ValidateJSON` (query `data.signature.allow`, Rego v0 syntax,
 * input decoded with UseNumber, `ResultSet.Allowed`) return.
 *
 * @module
 */
import { dirname, join } from "node:path";
import {
  CUE_VERSION,
  OPA_VERSION,
  POLICY_ENGINE_GLUE,
  POLICY_ENGINE_WASM,
  policyEngineDir,
} from "../lib/policy/policy_engine.ts";

const MAIN_GO =
  `// Command policy-engine evaluates cosign verify-attestation policies (CUE and Rego).
package main

import (
\t"bytes"
\t"context"
\t"encoding/json"
\t"errors"
\t"fmt"
\t"io/fs"
\t"os"
\t"path"
\t"strings"
\t"syscall/js"
\t"time"

\t"cuelang.org/go/cue/cuecontext"
\t"cuelang.org/go/cue/load"
\tcuejson "cuelang.org/go/encoding/json"
\t"github.com/open-policy-agent/opa/v1/ast"
\t"github.com/open-policy-agent/opa/v1/loader"
\t"github.com/open-policy-agent/opa/v1/rego"
)

type file struct {
\tPath   string \`json:"path"\`
\tAbs    string \`json:"abs"\`
\tSource *string \`json:"source"\` // nil: the file does not exist
}

type request struct {
\tDir    string   \`json:"dir"\`
\tCue    []file   \`json:"cue"\`
\tRego   []file   \`json:"rego"\`
\tInputs []string \`json:"inputs"\`
}

type result struct {
\tCue  *string  \`json:"cue"\`
\tRego []string \`json:"rego"\`
}

// cueValidate: the files as one load of the paths given (an overlay holds their text), each
// instance built and the input validated against it.
func cueValidate(req *request, body []byte) error {
\toverlay := map[string]load.Source{}
\targs := make([]string, 0, len(req.Cue))
\tfor _, f := range req.Cue {
\t\tif f.Source == nil {
\t\t\t// What load.Instances says of a file missing on disk.
\t\t\treturn fmt.Errorf("stat %s: no such file or directory", f.Abs)
\t\t}
\t\toverlay[f.Abs] = load.FromString(*f.Source)
\t\targs = append(args, f.Path)
\t}
\tctx := cuecontext.New()
\tfor _, bi := range load.Instances(args, &load.Config{Dir: req.Dir, Overlay: overlay}) {
\t\tif bi.Err != nil {
\t\t\treturn bi.Err
\t\t}
\t\tv := ctx.BuildInstance(bi)
\t\tif v.Err() != nil {
\t\t\treturn v.Err()
\t\t}
\t\tif err := cuejson.Validate(body, v); err != nil {
\t\t\treturn err
\t\t}
\t}
\treturn nil
}

const query = "data.signature.allow"

// memFS serves the policy files under the exact paths the user gave (absolute ones too), so that
// OPA's file loader reads them as rego.Load would from disk: same parse options, same errors.
type memFS map[string]*string

// errNotExist is Linux's ENOENT text (GOOS=js words syscall.ENOENT "No such file or directory").
var errNotExist = errors.New("no such file or directory")

func (m memFS) Open(name string) (fs.File, error) {
\ts := m[name]
\tif s == nil {
\t\t// What os.Stat says of a file missing on disk (the loader stats each path first).
\t\treturn nil, &fs.PathError{Op: "stat", Path: name, Err: errNotExist}
\t}
\treturn &memFile{Reader: strings.NewReader(*s), name: name}, nil
}

type memFile struct {
\t*strings.Reader
\tname string
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f, nil }
func (f *memFile) Close() error               { return nil }
func (f *memFile) Name() string               { return path.Base(f.name) }
func (f *memFile) Mode() fs.FileMode          { return 0o444 }
func (f *memFile) ModTime() time.Time         { return time.Time{} }
func (f *memFile) IsDir() bool                { return false }
func (f *memFile) Sys() any                   { return nil }

// regoValidate: the files loaded as rego.Load loads them, Rego v0 syntax, one query.
func regoValidate(req *request, body []byte) []string {
\tctx := context.Background()
\tfiles := memFS{}
\tpaths := make([]string, 0, len(req.Rego))
\tfor _, f := range req.Rego {
\t\tfiles[f.Path] = f.Source
\t\tpaths = append(paths, f.Path)
\t}
\t// What rego.Load does (Rego.loadFiles), reading from files instead of the disk.
\tloaded, err := loader.NewFileLoader().
\t\tWithFS(files).
\t\tWithProcessAnnotation(true).
\t\tWithRegoVersion(ast.RegoV0).
\t\tFiltered(paths, nil)
\tif err != nil {
\t\treturn []string{err.Error()}
\t}
\topts := []func(*rego.Rego){rego.Query(query), rego.SetRegoVersion(ast.RegoV0)}
\tfor _, m := range loaded.Modules {
\t\topts = append(opts, rego.ParsedModule(m.Parsed))
\t}
\tprepared, err := rego.New(opts...).PrepareForEval(ctx)
\tif err != nil {
\t\treturn []string{err.Error()}
\t}
\tvar input any
\tdec := json.NewDecoder(bytes.NewReader(body))
\tdec.UseNumber()
\tif err := dec.Decode(&input); err != nil {
\t\treturn []string{err.Error()}
\t}
\trs, err := prepared.Eval(ctx, rego.EvalInput(input))
\tif err != nil {
\t\treturn []string{err.Error()}
\t}
\tif rs.Allowed() {
\t\treturn nil
\t}
\tvar errs []string
\tfor _, r := range rs {
\t\tfor _, e := range r.Expressions {
\t\t\terrs = append(errs, fmt.Sprintf("expression value, %v, is not true", e))
\t\t}
\t}
\tif len(errs) == 0 {
\t\terrs = append(errs, fmt.Sprintf("result is undefined for query '%s'", query))
\t}
\treturn errs
}

func main() {
\tif len(os.Args) != 3 {
\t\tfmt.Fprintln(os.Stderr, "usage: policy-engine CALLBACK REQUEST_JSON")
\t\tos.Exit(2)
\t}
\trespond := js.Global().Get(os.Args[1])
\tvar req request
\tif err := json.Unmarshal([]byte(os.Args[2]), &req); err != nil {
\t\tout, _ := json.Marshal(map[string]any{"error": "cannot parse request: " + err.Error()})
\t\trespond.Invoke(string(out))
\t\treturn
\t}
\tresults := make([]result, 0, len(req.Inputs))
\tfor _, in := range req.Inputs {
\t\tvar r result
\t\tif len(req.Cue) > 0 {
\t\t\tif err := cueValidate(&req, []byte(in)); err != nil {
\t\t\t\ts := err.Error()
\t\t\t\tr.Cue = &s
\t\t\t}
\t\t}
\t\tif len(req.Rego) > 0 {
\t\t\tr.Rego = regoValidate(&req, []byte(in))
\t\t}
\t\tresults = append(results, r)
\t}
\tout, _ := json.Marshal(map[string]any{"results": results})
\trespond.Invoke(string(out))
}
`;

const decoder = new TextDecoder();

function say(message: string): void {
  console.error(`policy-engine: ${message}`);
}

async function go(args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  say(`go ${args.join(" ")}`);
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("go", {
      args,
      cwd,
      env: { CGO_ENABLED: "0", GOFLAGS: "-trimpath", ...env },
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error("Cannot build the policy engine: `go` is not on PATH (install Go 1.24+)");
    }
    throw e;
  }
  if (!out.success) throw new Error(`Cannot build the policy engine: go ${args[0]} failed`);
  return decoder.decode(out.stdout).trim();
}

/**
 * Makes sure the policy engine is installed, building it when needed.
 *
 * @returns the engine's folder
 * @throws {Error} when neither COSIGN_DENO_CACHE nor HOME is set, `go` is missing, or the build
 *   fails
 */
export async function ensurePolicyEngine(): Promise<string> {
  const target = policyEngineDir({
    COSIGN_DENO_CACHE: Deno.env.get("COSIGN_DENO_CACHE"),
    HOME: Deno.env.get("HOME"),
  });
  if (!target) throw new Error("Cannot locate the cache: set HOME or COSIGN_DENO_CACHE");
  try {
    await Deno.stat(join(target, POLICY_ENGINE_WASM));
    await Deno.stat(join(target, POLICY_ENGINE_GLUE));
    say(`already installed at ${target}`);
    return target;
  } catch { /* build it */ }
  await Deno.mkdir(dirname(target), { recursive: true });
  const buildDir = await Deno.makeTempDir({ dir: dirname(target), prefix: "build-policy-" });
  try {
    const started = performance.now();
    await Deno.writeTextFile(join(buildDir, "main.go"), MAIN_GO);
    await go(["mod", "init", "cosign-deno/policy-engine"], buildDir);
    await go(
      ["get", `cuelang.org/go@${CUE_VERSION}`, `github.com/open-policy-agent/opa@${OPA_VERSION}`],
      buildDir,
    );
    await go(["mod", "tidy"], buildDir);
    const out = join(buildDir, "out");
    await Deno.mkdir(out);
    await go(
      ["build", "-ldflags=-s -w", "-o", join(out, POLICY_ENGINE_WASM), "."],
      buildDir,
      { GOOS: "js", GOARCH: "wasm" },
    );
    const goroot = await go(["env", "GOROOT"], buildDir);
    let glue = join(goroot, "lib", "wasm", "wasm_exec.js");
    try {
      await Deno.stat(glue);
    } catch {
      glue = join(goroot, "misc", "wasm", "wasm_exec.js"); // Go before 1.24
    }
    await Deno.copyFile(glue, join(out, POLICY_ENGINE_GLUE));
    await Deno.remove(target, { recursive: true }).catch(() => {});
    await Deno.rename(out, target);
    say(`built in ${((performance.now() - started) / 1000).toFixed(0)} s: ${target}`);
  } finally {
    await Deno.remove(buildDir, { recursive: true }).catch(() => {});
  }
  return target;
}

if (import.meta.main) {
  try {
    await ensurePolicyEngine();
  } catch (err) {
    console.error(`policy-engine: error: ${err instanceof Error ? err.message : String(err)}`);
    Deno.exit(1);
  }
}
