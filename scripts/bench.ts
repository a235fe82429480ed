/**
 * Benchmark: our cosign against the real Go cosign v2.6.4, in the same run.
 *
 *     deno task bench                   # 1 MiB (5 runs) and 1 GiB (3 runs)
 *     deno task bench --quick           # 1 MiB only, 1 run (the CI smoke test)
 *     deno task bench --runs 9 --large-runs 1 --large-mib 256
 *     deno task bench --no-sget         # without the sget download row
 *     deno task bench --no-tlog         # without the rows that use the local Rekor
 *     deno task bench --quick --sget --sget-mib 64
 *
 * Environment equivalents: BENCH_RUNS, BENCH_LARGE_RUNS, BENCH_LARGE_MIB, BENCH_SGET_MIB.
 * `--rss time|proc|none` forces how peak RSS is measured.
 *
 * Measures start-up (`version`, `verify --help`, and an empty Deno script for reference),
 * generate-key-pair, sign-blob and verify-blob (also with a local Rekor), image sign and
 * verify: the median wall time of each side, the
 * ratio ours/Go, and each side's peak resident set size (the maximum over the runs). Ours runs as
 * `deno run --allow-read --allow-write --allow-env --allow-net --allow-run --allow-sys
 * cli/cosign.ts`, so Deno's start-up is part of its time, exactly as a user pays it. Both tools run
 * with the same sandboxed environment as the interop tests (tests/peers/run.ts): no network.
 * Both sign with the same Go-made key (scrypt N=65536) and verify the same Go-made signature.
 *
 * Peak RSS comes from GNU `/usr/bin/time -v` ("Maximum resident set size"); when it is missing the
 * script installs Debian's `time` package if it runs as root (not in --quick mode), else it polls
 * /proc/<pid>/status VmHWM every few milliseconds, else it prints n/a.
 *
 * sget (not with --quick unless --sget; never with --no-sget): a 1 GiB single-layer artifact
 * pushed by the Go `cosign upload blob` to a local registry (Debian's distribution, plain HTTP) is
 * fetched by digest with our sget to a file, against `curl -s -o` of the blob URL (raw
 * throughput, no verification); same runs, median wall time and peak RSS, in a second table.
 *
 * Prints markdown tables on stdout, for the README's Performance section; progress on stderr.
 * Writes the run's JSON record (every sample's wall time, CPU time and peak RSS, with the medians
 * and ratios) to `--record FILE`, by default `bench/records/<UTC time>.json`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, join } from "node:path";
import { ensureCosign } from "./peers/install.ts";
import { COSIGN_VERSION } from "../tests/peers/cosign.ts";
import { childEnv, commandLine, OURS_RUN_FLAGS, REPO_ROOT, type Tool } from "../tests/peers/run.ts";
import { startRegistry } from "./peers/registry.ts";
import { createRegistry } from "../lib/registry/client.ts";

const MiB = 1024 * 1024;
const decoder = new TextDecoder();

type RssMethod = "time" | "proc" | "none";

interface Sample {
  seconds: number;
  /** Peak RSS in bytes, or null when it could not be measured. */
  rss: number | null;
  /** User + system CPU seconds (from /usr/bin/time -v), or null. Steadier than wall time on a
   * busy machine. */
  cpu: number | null;
}

interface Row {
  operation: string;
  input: string;
  runs: number;
  ours: Sample[];
  go: Sample[];
}

function say(message: string): void {
  console.error(`bench: ${message}`);
}

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`"${name}" expected a positive integer, got ${value}`);
  }
  return n;
}

async function commandWorks(program: string, args: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(program, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

/** Picks how to measure peak RSS, installing GNU time when allowed. */
async function rssMethod(mayInstall: boolean): Promise<RssMethod> {
  const gnuTime = () => commandWorks("/usr/bin/time", ["-v", "true"]);
  if (await gnuTime()) return "time";
  if (mayInstall && Deno.uid() === 0 && (await commandWorks("apt-get", ["--version"]))) {
    say("installing Debian package `time` for /usr/bin/time -v");
    const env = { DEBIAN_FRONTEND: "noninteractive" };
    const install = () =>
      new Deno.Command("apt-get", {
        args: ["install", "-y", "-q", "time"],
        env,
        stdin: "null",
        stdout: "null",
      })
        .output();
    if (!(await install()).success) {
      await new Deno.Command("apt-get", {
        args: ["update", "-q"],
        env,
        stdin: "null",
        stdout: "null",
      }).output();
      await install();
    }
    if (await gnuTime()) return "time";
  }
  try {
    await Deno.readTextFile("/proc/self/status");
    return "proc";
  } catch {
    return "none";
  }
}

/** VmHWM of a running process, in bytes, or null once it is gone. */
async function vmHwm(pid: number): Promise<number | null> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const match = status.match(/^VmHWM:\s+(\d+) kB/m);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Runs one cosign command once, timing it and measuring its peak RSS. */
async function measure(
  tool: Tool,
  args: string[],
  cwd: string,
  home: string,
  method: RssMethod,
  extraEnv: Record<string, string> = {},
): Promise<Sample> {
  const [program, programArgs] = await commandLine(tool, args);
  const env = { ...(await childEnv({ cwd, home, password: "" })), ...extraEnv };
  return await measureCommand(
    `${tool} cosign ${args.join(" ")}`,
    program,
    programArgs,
    cwd,
    home,
    env,
    method,
  );
}

/** Runs one program once, timing it and measuring its peak RSS. */
async function measureCommand(
  label: string,
  program: string,
  programArgs: string[],
  cwd: string,
  home: string,
  env: Record<string, string>,
  method: RssMethod,
): Promise<Sample> {
  const timeFile = join(home, `time-${crypto.randomUUID()}.txt`);
  const wrapped: [string, string[]] = method === "time"
    ? ["/usr/bin/time", ["-v", "-o", timeFile, program, ...programArgs]]
    : [program, programArgs];
  const started = performance.now();
  const child = new Deno.Command(wrapped[0], {
    args: wrapped[1],
    cwd,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let peak: number | null = null;
  let cpu: number | null = null;
  let done = false;
  const poller = method === "proc"
    ? (async () => {
      while (!done) {
        const hwm = await vmHwm(child.pid);
        if (hwm !== null) peak = Math.max(peak ?? 0, hwm);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })()
    : Promise.resolve();
  const out = await child.output();
  const seconds = (performance.now() - started) / 1000;
  done = true;
  await poller;
  if (!out.success) {
    throw new Error(`${label} exited with ${out.code}:\n${decoder.decode(out.stderr)}`);
  }
  if (method === "time") {
    const report = await Deno.readTextFile(timeFile);
    await Deno.remove(timeFile);
    const match = report.match(/Maximum resident set size \(kbytes\): (\d+)/);
    peak = match ? Number(match[1]) * 1024 : null;
    const user = report.match(/User time \(seconds\): ([\d.]+)/);
    const system = report.match(/System time \(seconds\): ([\d.]+)/);
    cpu = user && system ? Number(user[1]) + Number(system[1]) : null;
  }
  return { seconds, rss: peak, cpu };
}

/** Like `interleaved` in main(), with extra environment for the children. */
function interleavedIn(rows: Row[], root: string, home: string, method: RssMethod) {
  return async (
    operation: string,
    input: string,
    n: number,
    args: (tool: Tool, i: number) => string[],
    env: Record<string, string>,
  ) => {
    const row: Row = { operation, input, runs: n, ours: [], go: [] };
    for (let i = 0; i < n; i++) {
      say(`${operation} ${input} run ${i + 1}/${n}`);
      row.go.push(await measure("go", args("go", i), root, home, method, env));
      row.ours.push(await measure("ours", args("ours", i), root, home, method, env));
    }
    rows.push(row);
  };
}

/**
 * The image rows, against Debian's distribution registry on loopback: `sign` of one image (a
 * fresh image for every run), `verify` of an image with one signature, and `verify` of an image
 * carrying 100 signatures (made in-process with our library, which is not what is measured).
 */
async function benchImages(
  root: string,
  home: string,
  method: RssMethod,
  runs: number,
  interleaved: ReturnType<typeof interleavedIn>,
): Promise<void> {
  const registry = await startRegistry("http");
  const client = createRegistry({});
  try {
    const env = { NO_PROXY: "127.0.0.1,localhost", no_proxy: "127.0.0.1,localhost" };
    const enc = new TextEncoder();
    const push = async (repository: string, tag: string) => {
      const repo = { registry: registry.host, repository };
      const config = await client.putBlob(
        repo,
        enc.encode('{"architecture":"amd64","os":"linux"}'),
      );
      const layer = await client.putBlob(repo, enc.encode(`bench ${repository}:${tag}`));
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...layer }],
      });
      const digest = await client.putManifest(
        repo,
        tag,
        enc.encode(manifest),
        "application/vnd.oci.image.manifest.v1+json",
      );
      return `${registry.host}/${repository}@${digest}`;
    };
    say("pushing images for the image rows");
    const fresh: Record<string, string[]> = { go: [], ours: [] };
    for (const tool of ["go", "ours"]) {
      for (let i = 0; i < runs; i++) fresh[tool].push(await push(`bench/sign-${tool}`, `t${i}`));
    }
    await interleaved("sign", "1 image", runs, (tool, i) => [
      "sign",
      "--key",
      "shared.key",
      "--tlog-upload=false",
      "--yes",
      fresh[tool][i],
    ], env);
    const once = await push("bench/verify-1", "v1");
    await measure(
      "go",
      ["sign", "--key", "shared.key", "--tlog-upload=false", "--yes", once],
      root,
      home,
      method,
      env,
    );
    const verify = (image: string) => () => [
      "verify",
      "--key",
      "shared.pub",
      "--insecure-ignore-tlog=true",
      image,
    ];
    await interleaved("verify", "1 signature", runs, verify(once), env);
    const many = await push("bench/verify-100", "v1");
    say("adding 100 signatures");
    const { loadSigner } = await import("../lib/sign/load_signer.ts");
    const { signImage } = await import("../lib/sign/sign_image.ts");
    const { parseReference } = await import("../lib/registry/reference.ts");
    const signer = await loadSigner(join(root, "shared.key"), {
      getEnv: () => undefined,
      getPassword: () => Promise.resolve(new Uint8Array()),
    });
    for (let i = 0; i < 100; i++) {
      await signImage({
        registry: client,
        ref: parseReference(many),
        signer,
        annotations: { n: `${i}` },
      });
    }
    await interleaved("verify", "100 signatures", runs, verify(many), env);
  } finally {
    client.close();
    await registry.stop();
  }
}

/**
 * The transparency-log rows, against a real local Rekor (tests/peers/rekor.ts): `sign-blob` that
 * uploads a hashedrekord entry and writes cosign's `--bundle`, and `verify-blob --bundle` of the
 * same Go-made bundle, checked offline with SIGSTORE_REKOR_PUBLIC_KEY (SET, log key, time and the
 * entry's binding to the signature, key and blob).
 */
async function benchTlog(
  root: string,
  home: string,
  method: RssMethod,
  runs: number,
  interleaved: ReturnType<typeof interleavedIn>,
): Promise<void> {
  const { startRekor } = await import("../tests/peers/rekor.ts");
  say("starting the local Rekor for the tlog rows");
  const rekor = await startRekor();
  try {
    const env = {
      NO_PROXY: "127.0.0.1,localhost",
      no_proxy: "127.0.0.1,localhost",
      SIGSTORE_REKOR_PUBLIC_KEY: rekor.publicKeyPath,
    };
    const blob = join(root, "tlog-blob");
    await makeBlob(blob, MiB);
    const reference = join(root, "tlog-blob.go.bundle");
    await measure(
      "go",
      [
        "sign-blob",
        "--key",
        "shared.key",
        "--rekor-url",
        rekor.url,
        "--yes",
        "--bundle",
        reference,
        blob,
      ],
      root,
      home,
      method,
      env,
    );
    await interleaved("sign-blob + tlog", "1 MiB", runs, (tool, i) => [
      "sign-blob",
      "--key",
      "shared.key",
      "--rekor-url",
      rekor.url,
      "--yes",
      "--bundle",
      join(root, `tlog-blob.${tool}-${i}.bundle`),
      blob,
    ], env);
    await interleaved("verify-blob + tlog bundle", "1 MiB", runs, () => [
      "verify-blob",
      "--key",
      "shared.pub",
      "--bundle",
      reference,
      blob,
    ], env);
  } finally {
    await rekor.stop();
  }
}

/**
 * The sget row: our sget against curl fetching the same blob from a local registry, interleaved.
 *
 * @returns the row (ours = sget, go = curl), or null when curl is missing
 */
async function benchSget(
  root: string,
  home: string,
  method: RssMethod,
  size: number,
  runs: number,
): Promise<Row | null> {
  if (!(await commandWorks("curl", ["--version"]))) {
    say("curl not found: skipping the sget row");
    return null;
  }
  const registry = await startRegistry("http");
  try {
    const blob = join(root, "sget-artifact");
    say(`writing ${formatSize(size)} artifact for sget`);
    await makeBlob(blob, size);
    const env = {
      ...(await childEnv({ cwd: root, home })),
      NO_PROXY: "127.0.0.1,localhost",
      no_proxy: "127.0.0.1,localhost",
    };
    const [goProgram, goArgs] = await commandLine("go", [
      "upload",
      "blob",
      "-f",
      blob,
      `${registry.host}/bench/sget:v1`,
    ]);
    const upload = await new Deno.Command(goProgram, {
      args: goArgs,
      cwd: root,
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const ref = decoder.decode(upload.stdout).match(/^(\S+@sha256:[0-9a-f]{64})$/m)?.[1];
    if (!upload.success || !ref) {
      throw new Error(`go cosign upload blob failed:\n${decoder.decode(upload.stderr)}`);
    }
    await Deno.remove(blob);
    const manifest = await fetch(
      `http://${registry.host}/v2/bench/sget/manifests/${ref.split("@")[1]}`,
      { headers: { accept: "application/vnd.oci.image.manifest.v1+json" } },
    ).then((r) => r.json()) as { layers: { digest: string }[] };
    const blobUrl = `http://${registry.host}/v2/bench/sget/blobs/${manifest.layers[0].digest}`;
    const sget: [string, string[]] = [Deno.execPath(), [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net",
      "--allow-sys",
      ...OURS_RUN_FLAGS,
      join(REPO_ROOT, "cli", "sget.ts"),
    ]];
    const out = join(root, "sget-out");
    // Warm-up (Deno's module and code caches), not counted.
    await measureCommand("sget", sget[0], [...sget[1], "version"], root, home, env, "none");
    const row: Row = {
      operation: "sget by digest",
      input: formatSize(size),
      runs,
      ours: [],
      go: [],
    };
    for (let i = 0; i < runs; i++) {
      say(`sget ${formatSize(size)} run ${i + 1}/${runs}`);
      row.go.push(
        await measureCommand("curl", "curl", ["-s", "-o", out, blobUrl], root, home, env, method),
      );
      await Deno.remove(out);
      row.ours.push(
        await measureCommand(
          "sget",
          sget[0],
          [...sget[1], "-o", out, ref],
          root,
          home,
          env,
          method,
        ),
      );
      await Deno.remove(out);
    }
    return row;
  } finally {
    await registry.stop();
  }
}

/** Writes `size` bytes of fast, non-repeating content: one random MiB, re-stamped per MiB. */
async function makeBlob(path: string, size: number): Promise<void> {
  const chunk = new Uint8Array(Math.min(size, MiB));
  for (let i = 0; i < chunk.length; i += 65536) {
    crypto.getRandomValues(chunk.subarray(i, i + 65536));
  }
  const view = new DataView(chunk.buffer);
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  for (let written = 0, n = 0; written < size; n++) {
    if (chunk.length >= 8) view.setFloat64(0, n);
    const part = chunk.subarray(0, Math.min(chunk.length, size - written));
    for (let off = 0; off < part.length;) off += await file.write(part.subarray(off));
    written += part.length;
  }
}

/** What one run of the benchmark measured, as written to its JSON record. */
interface BenchRecord {
  machine: string;
  versions: string;
  quick: boolean;
  rssMethod: RssMethod;
  /** `deno run` of an empty script: Deno's own start-up. */
  emptyScript: Sample[];
  /** ours/go rows, as in the first table. */
  rows: Row[];
  /** The sget row: `ours` is sget, `go` is curl. */
  sget: (Row & { sizeBytes: number }) | null;
}

/**
 * Writes the record of a run: every sample (wall seconds, peak RSS, CPU seconds) with the medians
 * and ratios the tables print, so that runs can be compared later.
 */
async function writeRecord(path: string, record: BenchRecord): Promise<void> {
  const summary = (samples: Sample[]) => ({
    medianSeconds: median(samples.map((s) => s.seconds)),
    medianCpuSeconds: samples.every((s) => s.cpu !== null)
      ? median(samples.map((s) => s.cpu!))
      : null,
    peakRss: samples.every((s) => s.rss !== null) ? Math.max(...samples.map((s) => s.rss!)) : null,
    samples,
  });
  const row = (r: Row) => {
    const ours = summary(r.ours);
    const go = summary(r.go);
    return {
      operation: r.operation,
      input: r.input,
      runs: r.runs,
      ours,
      go,
      ratio: ours.medianSeconds / go.medianSeconds,
      cpuRatio: ours.medianCpuSeconds !== null && go.medianCpuSeconds !== null
        ? ours.medianCpuSeconds / go.medianCpuSeconds
        : null,
    };
  };
  const json = {
    schema: 1,
    date: new Date().toISOString(),
    machine: record.machine,
    versions: record.versions,
    quick: record.quick,
    rssMethod: record.rssMethod,
    emptyScript: summary(record.emptyScript),
    rows: record.rows.map(row),
    sget: record.sget && {
      ...row(record.sget),
      sizeBytes: record.sget.sizeBytes,
      // Throughput of sget relative to curl's (curl's time over sget's).
      throughputRatio: median(record.sget.go.map((s) => s.seconds)) /
        median(record.sget.ours.map((s) => s.seconds)),
    },
  };
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeTextFile(path, JSON.stringify(json, null, 2) + "\n");
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function formatSeconds(s: number): string {
  return s < 10 ? s.toFixed(3) : s.toFixed(2);
}

function formatRss(samples: Sample[]): string {
  const values = samples.map((s) => s.rss).filter((v): v is number => v !== null);
  if (values.length !== samples.length) return "n/a";
  return `${(Math.max(...values) / MiB).toFixed(0)} MiB`;
}

function formatSize(bytes: number): string {
  return bytes >= 1024 * MiB ? `${bytes / (1024 * MiB)} GiB` : `${bytes / MiB} MiB`;
}

async function machine(): Promise<string> {
  let cpu = "unknown CPU";
  try {
    const info = await Deno.readTextFile("/proc/cpuinfo");
    cpu = info.match(/^model name\s*:\s*(.+)$/m)?.[1].trim() ?? cpu;
  } catch { /* not Linux */ }
  const memory = Deno.systemMemoryInfo().total / (1024 * MiB);
  return `${cpu}, nproc ${navigator.hardwareConcurrency}, ` +
    `${memory.toFixed(1)} GiB RAM, ${Deno.build.os} ${Deno.osRelease()}`;
}

async function versions(goBinary: string): Promise<string> {
  const out = await new Deno.Command(goBinary, { args: ["version"], stdin: "null" }).output();
  const goVersion = decoder.decode(out.stdout).match(/GoVersion:\s+(\S+)/)?.[1] ?? "unknown Go";
  const config = JSON.parse(await Deno.readTextFile(join(REPO_ROOT, "deno.json"))) as {
    version?: string;
  };
  return `ours ${
    config.version ?? "(unversioned)"
  } on Deno ${Deno.version.deno} (V8 ${Deno.version.v8}); ` +
    `Go cosign ${COSIGN_VERSION} built with ${goVersion} (CGO_ENABLED=0)`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      runs: { type: "string" },
      "large-runs": { type: "string" },
      "large-mib": { type: "string" },
      rss: { type: "string" },
      sget: { type: "boolean" },
      "no-sget": { type: "boolean", default: false },
      "no-tlog": { type: "boolean", default: false },
      "sget-mib": { type: "string" },
      record: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.error(
      "usage: deno task bench [--quick] [--runs N] [--large-runs N] [--large-mib M] " +
        "[--rss time|proc|none] [--sget | --no-sget] [--sget-mib M] [--no-tlog] [--record FILE]",
    );
    return;
  }
  const quick = values.quick;
  const runs = positiveInt(values.runs ?? Deno.env.get("BENCH_RUNS"), "--runs", quick ? 1 : 5);
  const largeRuns = positiveInt(
    values["large-runs"] ?? Deno.env.get("BENCH_LARGE_RUNS"),
    "--large-runs",
    3,
  );
  const largeMib = positiveInt(
    values["large-mib"] ?? Deno.env.get("BENCH_LARGE_MIB"),
    "--large-mib",
    1024,
  );

  const withSget = !values["no-sget"] && (values.sget ?? !quick);
  const sgetMib = positiveInt(
    values["sget-mib"] ?? Deno.env.get("BENCH_SGET_MIB"),
    "--sget-mib",
    1024,
  );

  const goBinary = await ensureCosign();
  const forced = values.rss;
  if (forced !== undefined && !["time", "proc", "none"].includes(forced)) {
    throw new RangeError(`"--rss" expected time, proc or none, got ${forced}`);
  }
  const method = (forced as RssMethod | undefined) ?? await rssMethod(!quick);
  say(
    `peak RSS via ${
      { time: "/usr/bin/time -v", proc: "/proc/<pid>/status VmHWM", none: "nothing (n/a)" }[method]
    }`,
  );

  const root = await Deno.makeTempDir({ prefix: "cosign-bench-" });
  try {
    const home = join(root, "home");
    await Deno.mkdir(home);
    const at = (tool: Tool, args: string[]) => measure(tool, args, root, home, method);

    // The shared key and a Go-made signature for each file; these runs also warm up both tools
    // (Deno's module and code caches), and are not counted.
    say("preparing key and warming up");
    await at("go", ["generate-key-pair", "--output-key-prefix", "shared"]);
    await at("ours", ["public-key", "--key", "shared.key", "--outfile", "warm.pub"]);

    const files: { size: number; runs: number }[] = [{ size: MiB, runs }];
    if (!quick) files.push({ size: largeMib * MiB, runs: largeRuns });

    const rows: Row[] = [];
    const interleaved = async (
      operation: string,
      input: string,
      n: number,
      args: (tool: Tool, i: number) => string[],
    ) => {
      const row: Row = { operation, input, runs: n, ours: [], go: [] };
      for (let i = 0; i < n; i++) {
        say(`${operation} ${input} run ${i + 1}/${n}`);
        row.go.push(await at("go", args("go", i)));
        row.ours.push(await at("ours", args("ours", i)));
      }
      rows.push(row);
    };

    // Start-up: commands that do (almost) nothing, and an empty Deno script for reference.
    await interleaved("version", "—", runs, () => ["version"]);
    await interleaved("verify --help", "—", runs, () => ["verify", "--help"]);
    const emptyScript = join(root, "empty.ts");
    await Deno.writeTextFile(emptyScript, "");
    const env = await childEnv({ cwd: root, home });
    const empty: Sample[] = [];
    for (let i = 0; i < runs; i++) {
      const args = ["run", ...OURS_RUN_FLAGS, emptyScript];
      empty.push(
        await measureCommand("empty script", Deno.execPath(), args, root, home, env, method),
      );
    }

    await interleaved(
      "generate-key-pair",
      "—",
      runs,
      (tool, i) => ["generate-key-pair", "--output-key-prefix", `gen-${tool}-${i}`],
    );
    for (const { size, runs: n } of files) {
      const name = formatSize(size);
      const blob = join(root, `blob-${size}`);
      say(`writing ${name} file`);
      await makeBlob(blob, size);
      const reference = `${blob}.go.sig`;
      await at("go", [
        "sign-blob",
        "--key",
        "shared.key",
        "--tlog-upload=false",
        "--yes",
        "--output-signature",
        reference,
        blob,
      ]);
      await interleaved("sign-blob", name, n, (tool, i) => [
        "sign-blob",
        "--key",
        "shared.key",
        "--tlog-upload=false",
        "--yes",
        "--output-signature",
        `${blob}.${tool}-${i}.sig`,
        blob,
      ]);
      await interleaved("verify-blob", name, n, () => [
        "verify-blob",
        "--key",
        "shared.pub",
        "--signature",
        reference,
        "--insecure-ignore-tlog=true",
        blob,
      ]);
      await Deno.remove(blob);
    }

    await benchImages(root, home, method, runs, interleavedIn(rows, root, home, method));
    if (!values["no-tlog"]) {
      await benchTlog(root, home, method, runs, interleavedIn(rows, root, home, method));
    }

    const sgetRow = withSget
      ? await benchSget(root, home, method, sgetMib * MiB, quick ? runs : largeRuns)
      : null;

    const lines = [
      `Machine: ${await machine()}.`,
      `Versions: ${await versions(goBinary)}.`,
      `Median wall time of ${runs} run(s) per operation${
        quick ? "" : ` (${largeRuns} for ${formatSize(largeMib * MiB)})`
      }, ` +
      `including process start-up; peak RSS is the maximum over those runs${
        method === "time" ? " (/usr/bin/time -v)" : method === "proc" ? " (polled VmHWM)" : ""
      }. Both sign with the same scrypt N=65536 key; nothing leaves the machine (the registry ` +
      "and Rekor are local peers on loopback). An empty Deno script takes " +
      `${formatSeconds(median(empty.map((e) => e.seconds)))} s here (${formatRss(empty)}).`,
      "",
      "| operation | input | ours (s) | Go cosign (s) | ours/Go | ours peak RSS | Go peak RSS |",
      "|---|---|--:|--:|--:|--:|--:|",
    ];
    for (const row of rows) {
      const ours = median(row.ours.map((s) => s.seconds));
      const go = median(row.go.map((s) => s.seconds));
      lines.push(
        `| ${row.operation} | ${row.input} | ${formatSeconds(ours)} | ${formatSeconds(go)} | ${
          (ours / go).toFixed(2)
        }× | ` +
          `${formatRss(row.ours)} | ${formatRss(row.go)} |`,
      );
    }
    if (sgetRow) {
      const sget = median(sgetRow.ours.map((s) => s.seconds));
      const curl = median(sgetRow.go.map((s) => s.seconds));
      const mibps = (seconds: number) => (sgetMib / seconds).toFixed(0);
      lines.push(
        "",
        `sget: ${sgetRow.runs} run(s), median wall time; the artifact comes from a local registry ` +
          "(distribution 2.8, plain HTTP) and goes to a file. curl only downloads; sget checks " +
          "the digest, writes to a temporary file and renames it into place (no fsync, like curl).",
        "",
        "| operation | input | sget (s) | curl (s) | sget/curl throughput | sget MiB/s | curl MiB/s | sget peak RSS | curl peak RSS |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
        `| ${sgetRow.operation} | ${sgetRow.input} | ${formatSeconds(sget)} | ${
          formatSeconds(curl)
        } | ${(curl / sget).toFixed(2)}× | ${mibps(sget)} | ${mibps(curl)} | ${
          formatRss(sgetRow.ours)
        } | ${formatRss(sgetRow.go)} |`,
      );
    }
    console.log(lines.join("\n"));

    const recordPath = values.record ??
      join(REPO_ROOT, "bench", "records", `${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
    await writeRecord(recordPath, {
      machine: await machine(),
      versions: await versions(goBinary),
      quick,
      rssMethod: method,
      emptyScript: empty,
      rows,
      sget: sgetRow === null ? null : { sizeBytes: sgetMib * MiB, ...sgetRow },
    });
    say(`record written to ${recordPath}`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

if (import.meta.main) {
  try {
    await main();
  } catch (err) {
    console.error(`bench: error: ${err instanceof Error ? err.message : String(err)}`);
    Deno.exit(1);
  }
}
