/**
 * The images a Dockerfile names, found as `cosign dockerfile verify` finds them
 * (cmd/cosign/cli/dockerfile/verify.go): line by line, `FROM` images (the last field once an
 * `AS <stage>` is cut off), `COPY --from=<image>` unless it names a stage, with `$VAR` / `${VAR}`
 * replaced from earlier `ENV` and `ARG` lines, then from the environment (Go's os.Expand).
 * `scratch` is skipped.
 *
 * cosign 3's fixes are followed where cosign 2.6.4 crashes or verifies the wrong thing: a `FROM`
 * naming an earlier stage is skipped (2.6.4 verifies it as an image), and `AS` without a stage
 * name or a `FROM` without an image are errors (2.6.4 panics).
 *
 * @module
 */
import { goFields as fields, goTrimSpace } from "../go_strings.ts";

/** bufio.Scanner's default limit: a longer line is an error. */
export const MAX_DOCKERFILE_LINE_BYTES = 64 * 1024 - 1;

/** What {@link dockerfileImages} found. */
export interface DockerfileImages {
  /** The images, in order of appearance. */
  images: string[];
  /** What was skipped, as cosign tells it: "- scratch image ignored", "- stage reference ignored: build". */
  notes: string[];
}

function isShellSpecial(c: string): boolean {
  return "*#$@!?-0123456789".includes(c);
}

function isAlphaNum(c: string): boolean {
  return /^[_0-9a-zA-Z]$/.test(c);
}

/** Go's os.getShellName. */
function shellName(s: string): [string, number] {
  if (s[0] === "{") {
    if (s.length > 2 && isShellSpecial(s[1]) && s[2] === "}") return [s[1], 3];
    for (let i = 1; i < s.length; i++) {
      if (s[i] === "}") return i === 1 ? ["", 2] : [s.slice(1, i), i + 1];
    }
    return ["", 1];
  }
  if (isShellSpecial(s[0])) return [s[0], 1];
  let i = 0;
  while (i < s.length && isAlphaNum(s[i])) i++;
  return [s.slice(0, i), i];
}

/**
 * Go's `os.Expand`: `$NAME`, `${NAME}` and the special one-character names are replaced by
 * `mapping(name)`; `${}` and an unclosed `${` are dropped; a `$` before anything else stays.
 *
 * @param s the text
 * @param mapping the value of a name ("" when unset)
 * @returns the expanded text
 */
export function goExpand(s: string, mapping: (name: string) => string): string {
  let out = "";
  let expanded = false;
  let i = 0;
  for (let j = 0; j < s.length; j++) {
    if (s[j] === "$" && j + 1 < s.length) {
      expanded = true;
      out += s.slice(i, j);
      const [name, w] = shellName(s.slice(j + 1));
      if (name === "" && w > 0) {
        // Bad syntax: the characters are eaten.
      } else if (name === "") {
        out += "$";
      } else {
        out += mapping(name);
      }
      j += w;
      i = j + 1;
    }
  }
  return expanded ? out + s.slice(i) : s;
}

/** Go's %q for the texts of our messages. */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
    else out += ch;
  }
  return out + '"';
}

/** strings.EqualFold(s, "AS"): Unicode simple folding makes "ſ" (U+017F) an "s". */
function isAs(s: string): boolean {
  return s.length === 2 && (s[0] === "a" || s[0] === "A") && "sSſ".includes(s[1]);
}

/**
 * Lists the images of a Dockerfile as cosign's `dockerfile verify` does.
 *
 * @param text the Dockerfile
 * @param getEnv the environment, read for variables no `ENV`/`ARG` line set
 * @returns the images in order and the notes on what was skipped
 * @throws {SyntaxError} "bufio.Scanner: token too long" for a line of 64 KiB or more, "expected
 *   stage name after "AS" in line <line>", "no image found in line <line> (is a build arg
 *   missing from the environment?)"
 * @example
 * ```ts
 * dockerfileImages("ARG V=3.20\nFROM alpine:${V} AS build\nFROM scratch\n", () => undefined);
 * // { images: ["alpine:3.20"], notes: ["- scratch image ignored"] }
 * ```
 */
export function dockerfileImages(
  text: string,
  getEnv: (name: string) => string | undefined,
): DockerfileImages {
  const env = new Map<string, string>();
  const stages: string[] = [];
  const images: string[] = [];
  const notes: string[] = [];
  const expand = (s: string) => goExpand(s, (k) => env.get(k) ?? getEnv(k) ?? "");
  const encoder = new TextEncoder();
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  for (const raw of lines) {
    if (
      raw.length * 3 > MAX_DOCKERFILE_LINE_BYTES &&
      encoder.encode(raw).length > MAX_DOCKERFILE_LINE_BYTES
    ) {
      throw new SyntaxError("bufio.Scanner: token too long");
    }
    const line = goTrimSpace(raw.endsWith("\r") ? raw.slice(0, -1) : raw);
    const upper = line.toUpperCase();
    if (upper.startsWith("FROM")) {
      const image = imageFromLine(line, expand, stages);
      if (image === "scratch") notes.push("- scratch image ignored");
      else if (stages.includes(image)) notes.push(`- stage reference ignored: ${image}`);
      else images.push(image);
    } else if (upper.startsWith("COPY")) {
      const image = imageFromCopyLine(line, expand, stages);
      if (image !== "") images.push(image);
    } else if (upper.startsWith("ENV") || upper.startsWith("ARG")) {
      let rest = line.startsWith("ENV") ? line.slice(3) : line;
      if (rest.startsWith("ARG")) rest = rest.slice(3);
      for (const f of fields(expand(rest))) {
        const kv = f.split("=");
        if (kv.length < 2) continue;
        env.set(trimSpaces(kv[0]), trimSpaces(kv[1]));
      }
    }
  }
  return { images, notes };
}

/** strings.Trim(s, " "). */
function trimSpaces(s: string): string {
  return s.replace(/^ +| +$/g, "");
}

function imageFromLine(line: string, expand: (s: string) => string, stages: string[]): string {
  const original = line;
  let f = fields(expand(line.startsWith("FROM") ? line.slice(4) : line));
  for (let i = f.length - 1; i > 0; i--) {
    if (isAs(f[i])) {
      if (i === f.length - 1) {
        throw new SyntaxError(`expected stage name after "AS" in line ${goQuote(original)}`);
      }
      stages.push(f[i + 1]);
      f = f.slice(0, i);
      break;
    }
  }
  if (f.length === 0) {
    throw new SyntaxError(
      `no image found in line ${goQuote(original)} (is a build arg missing from the environment?)`,
    );
  }
  return f[f.length - 1];
}

function imageFromCopyLine(line: string, expand: (s: string) => string, stages: string[]): string {
  for (const f of fields(expand(line.startsWith("COPY") ? line.slice(4) : line))) {
    if (!f.includes("--from=")) continue;
    const value = f.split("=")[1];
    if (stages.includes(value)) continue;
    return value;
  }
  return "";
}
