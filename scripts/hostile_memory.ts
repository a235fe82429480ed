/**
 * Peak memory against a hostile registry (issue 17), measured the benchmark way: each command runs
 * as its own process (`deno run … cli/cosign.ts`, with V8's heap capped by
 * `--v8-flags=--max-old-space-size`), and its peak resident set size is read by GNU
 * `/usr/bin/time -v` (or, without it, by polling `/proc/<pid>/status` VmHWM).
 *
 *     deno run -A scripts/hostile_memory.ts                  # 20 layers, 260 bytes declared each
 *     deno run -A scripts/hostile_memory.ts --layers 50 --max-rss-mib 300
 *
 * The registry (tests/helpers/hostile_registry.ts, in this process) holds an image whose signature
 * and attestation images have `--layers` layers, each declaring `--declared` bytes and each served
 * as an endless body. Before issue 17 was fixed every layer was read up to the 128 MiB attachment
 * cap, 16 at a time: about 2.1 GiB for 20 layers before `verify` failed. Now each read stops at
 * byte `declared + 1`, and every command must fail with the size error, within `--max-rss-mib`
 * (default 400: Deno's own start-up is about 100 MiB).
 *
 * Prints a markdown table on stdout; exits 1 when a command did not fail cleanly with the size
 * error or went over the budget. tests/registry/hostile_memory_test.ts runs it.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { OCI_MANIFEST } from "../lib/registry/media_types.ts";
import { sha256Digest } from "../lib/registry/sha256_digest.ts";
import type { Descriptor, ImageManifest } from "../lib/registry/types.ts";
import { startHostileRegistry } from "../tests/helpers/hostile_registry.ts";
import { IMAGES, pushTestImages } from "../tests/helpers/oci_images.ts";
import { childEnv } from "../tests/peers/run.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const FIXTURES = `${ROOT}tests/fixtures/cosign-oci`;
const MiB = 1024 * 1024;
const SIZE_ERROR = "the content is longer than its declared size";

/** One measured command. */
export interface MemoryRow {
  command: string;
  exitCode: number;
  /** The last line of its standard error. */
  lastLine: string;
  /** Peak resident set size in bytes, or null when it cannot be measured here. */
  peakRss: number | null;
  /** Whether it failed with the size error (not an out-of-memory crash, not success). */
  clean: boolean;
}

/** What {@link measureHostileMemory} runs. */
export interface MemoryOptions {
  /** Endless layers in each attachment image (default 20). */
  layers?: number;
  /** The size each layer's descriptor declares (default 260). */
  declared?: number;
  /** V8's old-space cap for the children, MiB (default 256). */
  heapMib?: number;
}

/**
 * Starts the hostile registry, runs `verify`, `verify-attestation`, `download signature` and
 * `download attestation` against it, each in its own process, and measures each one's peak RSS.
 *
 * @param options layers, declared size, heap cap
 * @returns one row per command
 */
export async function measureHostileMemory(options: MemoryOptions = {}): Promise<MemoryRow[]> {
  const layers = options.layers ?? 20;
  const declared = options.declared ?? 260;
  const hostile = startHostileRegistry();
  const home = await Deno.makeTempDir({ prefix: "cosign-hostile-memory-" });
  try {
    const repo = hostile.repo("hostile/memory");
    await pushTestImages(hostile.store, repo);
    const golden = JSON.parse(
      await Deno.readTextFile(`${FIXTURES}/oci-two-signatures/manifest.json`),
    ) as ImageManifest;
    await hostile.store.putBlob(
      repo,
      await Deno.readFile(`${FIXTURES}/oci-two-signatures/config.json`),
    );
    const signature = golden.layers[0].annotations!["dev.cosignproject.cosign/signature"];
    for (
      const [suffix, mediaType] of [
        ["sig", "application/vnd.dev.cosign.simplesigning.v1+json"],
        ["att", "application/vnd.dsse.envelope.v1+json"],
      ]
    ) {
      const endless: Descriptor[] = [];
      for (let i = 0; i < layers; i++) {
        const digest = await sha256Digest(new TextEncoder().encode(`${suffix} layer ${i}`));
        hostile.store.setBlobUnchecked(repo, digest, new Uint8Array());
        hostile.faults.set(digest, { kind: "endless" });
        endless.push({
          mediaType,
          size: declared,
          digest,
          annotations: { "dev.cosignproject.cosign/signature": signature },
        });
      }
      const manifest = new TextEncoder().encode(JSON.stringify({ ...golden, layers: endless }));
      const tag = `sha256-${IMAGES.amd64.slice(7)}.${suffix}`;
      await hostile.store.putManifest(repo, tag, manifest, OCI_MANIFEST);
    }
    const ref = `${hostile.host}/hostile/memory@${IMAGES.amd64}`;
    const key = `${FIXTURES}/cosign.pub`;
    const commands: string[][] = [
      ["verify", "--key", key, "--insecure-ignore-tlog=true", ref],
      ["verify-attestation", "--key", key, "--insecure-ignore-tlog=true", ref],
      ["download", "signature", ref],
      ["download", "attestation", ref],
    ];
    const timeWorks = await works("/usr/bin/time", ["-v", "true"]);
    const rows: MemoryRow[] = [];
    for (const args of commands) {
      rows.push(await runMeasured(args, home, options.heapMib ?? 256, timeWorks));
    }
    return rows;
  } finally {
    await hostile.stop();
    await Deno.remove(home, { recursive: true });
  }
}

async function works(program: string, args: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(program, { args, stdout: "null", stderr: "null" })
      .output();
    return success;
  } catch {
    return false;
  }
}

async function runMeasured(
  args: string[],
  home: string,
  heapMib: number,
  timeWorks: boolean,
): Promise<MemoryRow> {
  const deno = [
    Deno.execPath(),
    "run",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-net",
    "--allow-run",
    "--allow-sys",
    `--v8-flags=--max-old-space-size=${heapMib}`,
    `${ROOT}cli/cosign.ts`,
    ...args,
  ];
  const timeFile = `${home}/time.txt`;
  const argv = timeWorks ? ["/usr/bin/time", "-v", "-o", timeFile, ...deno] : deno;
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: home,
    // The interop tests' sandbox: an empty HOME, no network but loopback.
    env: await childEnv({ cwd: home, home, env: { NO_PROXY: "127.0.0.1", no_proxy: "127.0.0.1" } }),
    clearEnv: true,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let polled = 0;
  let polling = !timeWorks;
  const poll = (async () => {
    while (polling) {
      const hwm = await vmHwm(child.pid);
      if (hwm !== null) polled = Math.max(polled, hwm);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const { code, stderr } = await child.output();
  polling = false;
  await poll;
  let peakRss: number | null = polled || null;
  if (timeWorks) {
    const report = await Deno.readTextFile(timeFile);
    const match = report.match(/Maximum resident set size \(kbytes\): (\d+)/);
    peakRss = match ? Number(match[1]) * 1024 : null;
  }
  const lines = new TextDecoder().decode(stderr).trimEnd().split("\n")
    .filter((l) => !l.startsWith("\tCommand being timed") && !l.startsWith("Command exited"));
  const lastLine = lines.at(-1) ?? "";
  const command = args[0] === "download" ? `download ${args[1]}` : args[0];
  return {
    command,
    exitCode: code,
    lastLine,
    peakRss,
    clean: (code === 1 || code === 12) && lastLine.startsWith("error: ") &&
      lastLine.includes(SIZE_ERROR),
  };
}

async function vmHwm(pid: number): Promise<number | null> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const match = status.match(/^VmHWM:\s+(\d+) kB/m);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * The rows as a markdown table.
 *
 * @param rows measured commands
 * @returns the table
 */
export function formatMemoryTable(rows: MemoryRow[]): string {
  const mib = (b: number | null) => b === null ? "n/a" : `${(b / MiB).toFixed(0)} MiB`;
  return [
    "| command | exit | peak RSS | failed cleanly with the size error |",
    "|---|---|---|---|",
    ...rows.map((r) =>
      `| ${r.command} | ${r.exitCode} | ${mib(r.peakRss)} | ${
        r.clean ? "yes" : `no: ${r.lastLine}`
      } |`
    ),
  ].join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      layers: { type: "string", default: "20" },
      declared: { type: "string", default: "260" },
      "heap-mib": { type: "string", default: "256" },
      "max-rss-mib": { type: "string", default: "400" },
    },
  });
  const budget = Number(values["max-rss-mib"]) * MiB;
  const rows = await measureHostileMemory({
    layers: Number(values.layers),
    declared: Number(values.declared),
    heapMib: Number(values["heap-mib"]),
  });
  console.log(formatMemoryTable(rows));
  const bad = rows.filter((r) => !r.clean || (r.peakRss !== null && r.peakRss > budget));
  if (bad.length) {
    console.error(`over budget or not failing cleanly: ${bad.map((r) => r.command).join(", ")}`);
    Deno.exit(1);
  }
}
