/**
 * The process boundary of the CLI: standard streams, environment, terminal detection and
 * prompts. Commands receive an {@link Io}; tests pass a fake one (`cli/_test_io.ts`).
 *
 * Password source order is exactly cosign's (cmd/cosign/cli/generate/generate_key_pair.go
 * readPasswordFn): `COSIGN_PASSWORD` if set (empty allowed), else a no-echo prompt when stdin is
 * a terminal (asked twice when creating a key), else all of stdin, as piped.
 *
 * @module
 */
import { KeyError, PromptDeclinedError } from "../lib/errors.ts";
import { type ByteReader, readAllBounded } from "../lib/stream.ts";

/** Deno's writer shape (`Deno.stdout`, `Deno.FsFile`). */
export interface Writer {
  write(p: Uint8Array): Promise<number>;
}

/** Everything a command may touch outside the library. */
export interface Io {
  stdin: ByteReader;
  stdout: Writer;
  stderr: Writer;
  /** Reads one environment variable. */
  getEnv(name: string): string | undefined;
  /** Every environment variable (for `cosign env`). */
  envObject(): Record<string, string>;
  isTerminal: { stdin: boolean; stdout: boolean; stderr: boolean };
  /** Turns terminal echo off (raw mode) or on; absent when stdin is no terminal. */
  setRaw?(raw: boolean): void;
}

const encoder = new TextEncoder();

/** Writes all of `data` to `w`. */
export async function writeAll(w: Writer, data: Uint8Array | string): Promise<void> {
  let bytes = typeof data === "string" ? encoder.encode(data) : data;
  while (bytes.length > 0) {
    const n = await w.write(bytes);
    bytes = bytes.subarray(n);
  }
}

/** The real process streams and environment. */
export function denoIo(): Io {
  const stdinTty = safeIsTerminal(() => Deno.stdin.isTerminal());
  return {
    stdin: Deno.stdin,
    stdout: Deno.stdout,
    stderr: Deno.stderr,
    getEnv: (name) => Deno.env.get(name),
    envObject: () => Deno.env.toObject(),
    isTerminal: {
      stdin: stdinTty,
      stdout: safeIsTerminal(() => Deno.stdout.isTerminal()),
      stderr: safeIsTerminal(() => Deno.stderr.isTerminal()),
    },
    setRaw: stdinTty ? (raw) => Deno.stdin.setRaw(raw) : undefined,
  };
}

function safeIsTerminal(f: () => boolean): boolean {
  try {
    return f();
  } catch {
    return false;
  }
}

/** Most bytes accepted as a password from a pipe. */
const PIPED_PASSWORD_LIMIT = 64 * 1024;

/**
 * Reads a line from a terminal in raw mode without echoing it.
 *
 * @returns the bytes typed, without the line ending
 */
async function readHidden(io: Io): Promise<Uint8Array> {
  const typed: number[] = [];
  const buf = new Uint8Array(1);
  io.setRaw?.(true);
  try {
    for (;;) {
      const n = await io.stdin.read(buf);
      if (n === null) break;
      const c = buf[0];
      if (c === 0x0d || c === 0x0a) break; // Enter
      if (c === 0x03) throw new PromptDeclinedError("Interrupted"); // Ctrl-C
      if (c === 0x04 && typed.length === 0) break; // Ctrl-D on an empty line
      if (c === 0x7f || c === 0x08) typed.pop(); // Backspace
      else typed.push(c);
    }
  } finally {
    io.setRaw?.(false);
    await writeAll(io.stderr, "\n");
  }
  const out = new Uint8Array(typed);
  typed.fill(0);
  return out;
}

/**
 * Gets the password for a private key, in cosign's order of sources.
 *
 * @param confirm ask twice on a terminal (when a key is being created)
 * @returns the password bytes; a piped password keeps its trailing newline, as in cosign
 * @throws {KeyError} `KEY_PASSWORDS_DIFFER` when the two entries differ
 */
export async function readPassword(io: Io, confirm: boolean): Promise<Uint8Array> {
  const fromEnv = io.getEnv("COSIGN_PASSWORD");
  if (fromEnv !== undefined) return encoder.encode(fromEnv);
  if (io.isTerminal.stdin) {
    await writeAll(io.stderr, "Enter password for private key: ");
    const first = await readHidden(io);
    if (!confirm) return first;
    await writeAll(io.stderr, "Enter password for private key again: ");
    const second = await readHidden(io);
    const same = first.length === second.length && first.every((b, i) => b === second[i]);
    second.fill(0);
    if (!same) {
      first.fill(0);
      throw new KeyError("KEY_PASSWORDS_DIFFER", "Cannot read password: passwords do not match");
    }
    return first;
  }
  return await readAllBounded(io.stdin, PIPED_PASSWORD_LIMIT, "password from standard input");
}

/**
 * Asks for a secret other than a key password (a token PIN) on the terminal, without echo.
 *
 * @param prompt the question, written to stderr as is
 * @returns what was typed
 */
export async function readSecret(io: Io, prompt: string): Promise<string> {
  await writeAll(io.stderr, prompt);
  const bytes = await readHidden(io);
  try {
    return new TextDecoder().decode(bytes);
  } finally {
    bytes.fill(0);
  }
}

/**
 * Asks "Are you sure you would like to continue? [y/N]" on stderr and reads one line of stdin,
 * as cosign's ui.ConfirmContinue does.
 *
 * @throws {PromptDeclinedError} unless the answer is "y" or "Y"
 */
export async function confirmContinue(io: Io): Promise<void> {
  await writeAll(io.stderr, "Are you sure you would like to continue? [y/N] ");
  const line: number[] = [];
  const buf = new Uint8Array(1);
  for (;;) {
    const n = await io.stdin.read(buf);
    if (n === null || buf[0] === 0x0a) break;
    if (line.length < 256) line.push(buf[0]);
  }
  const answer = new TextDecoder().decode(new Uint8Array(line)).replace(/\r$/, "");
  if (!io.isTerminal.stdin) await writeAll(io.stderr, "\n");
  if (answer.toLowerCase() === "y") return;
  throw new PromptDeclinedError();
}
