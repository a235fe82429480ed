/**
 * A fake {@link Io} for in-process CLI tests: captured stdout/stderr, a scripted stdin and an
 * explicit environment.
 *
 * @module
 */
import type { Io } from "./io.ts";
import { bytesReader, concatBytes } from "../lib/stream.ts";
import { cosignCommand } from "./commands/mod.ts";
import { run } from "./run.ts";

/** A fake Io and accessors for what was written. */
export interface FakeIo extends Io {
  out(): string;
  err(): string;
  outBytes(): Uint8Array;
}

/** Options for {@link fakeIo}. */
export interface FakeIoOptions {
  env?: Record<string, string>;
  stdin?: Uint8Array | string;
  stdinIsTerminal?: boolean;
}

function sink() {
  const chunks: Uint8Array[] = [];
  return {
    chunks,
    write(p: Uint8Array) {
      chunks.push(p.slice());
      return Promise.resolve(p.length);
    },
  };
}

/** Creates a fake Io. */
export function fakeIo(options: FakeIoOptions = {}): FakeIo {
  const stdout = sink();
  const stderr = sink();
  const env = options.env ?? {};
  const input = typeof options.stdin === "string"
    ? new TextEncoder().encode(options.stdin)
    : options.stdin ?? new Uint8Array();
  return {
    stdin: bytesReader(input),
    stdout,
    stderr,
    getEnv: (name) => env[name],
    envObject: () => ({ ...env }),
    isTerminal: { stdin: options.stdinIsTerminal ?? false, stdout: false, stderr: false },
    setRaw: options.stdinIsTerminal ? () => {} : undefined,
    out: () => new TextDecoder().decode(concatBytes(stdout.chunks)),
    err: () => new TextDecoder().decode(concatBytes(stderr.chunks)),
    outBytes: () => concatBytes(stdout.chunks),
  };
}

/** Runs `cosign <argv>` in-process; returns the exit code and the fake Io. */
export async function cosign(
  argv: string[],
  options: FakeIoOptions = {},
): Promise<{ code: number; io: FakeIo }> {
  const io = fakeIo(options);
  const code = await run(cosignCommand, argv, io, { normalize: true });
  return { code, io };
}
