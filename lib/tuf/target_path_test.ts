import assert from "node:assert/strict";
import {
  checkTargetPath,
  isDelegatedPath,
  MAX_TARGET_PATH,
  targetCacheFileName,
  targetRemotePath,
} from "./target_path.ts";
import { sha256 } from "../digest.ts";

Deno.test("checkTargetPath() accepts ordinary names", () => {
  for (const name of ["trusted_root.json", "a/b/c.pem", "x..y", "...", "ä ö.txt", "a.b-c_d~e"]) {
    checkTargetPath(name);
  }
});

Deno.test("checkTargetPath() refuses names that could leave the targets folder", () => {
  const cases: [string, string][] = [
    ["", "empty name"],
    ["x".repeat(MAX_TARGET_PATH + 1), `name longer than ${MAX_TARGET_PATH} characters`],
    ["/etc/passwd", "absolute path"],
    ["C:x", "absolute path"],
    ["a\\..\\b", "backslash in name"],
    ["a\u0000b", "control character in name"],
    ["a\nb", "control character in name"],
    ["..", "empty, '.' or '..' path segment"],
    ["../x", "empty, '.' or '..' path segment"],
    ["a/../../x", "empty, '.' or '..' path segment"],
    ["a/..", "empty, '.' or '..' path segment"],
    ["./x", "empty, '.' or '..' path segment"],
    ["a//b", "empty, '.' or '..' path segment"],
    ["a/", "empty, '.' or '..' path segment"],
  ];
  for (const [name, why] of cases) {
    assert.throws(() => checkTargetPath(name), {
      name: "VerificationError",
      code: "TUF_TARGET_PATH_INVALID",
      message: `Cannot use target ${JSON.stringify(name.slice(0, 200))}: ${why}`,
    }, JSON.stringify(name));
  }
});

Deno.test("targetCacheFileName() escapes like Go's url.PathEscape", () => {
  const cases: [string, string][] = [
    ["trusted_root.json", "trusted_root.json"],
    ["a/b.pem", "a%2Fb.pem"],
    ["x y", "x%20y"],
    ["a;b,c?d#e%f", "a%3Bb%2Cc%3Fd%23e%25f"],
    ["$&+:=@~-_.", "$&+:=@~-_."],
    ["é", "%C3%A9"],
  ];
  for (const [name, want] of cases) assert.equal(targetCacheFileName(name), want, name);
});

Deno.test("targetRemotePath() prefixes the file name with its hash (consistent snapshots)", () => {
  assert.equal(targetRemotePath("trusted_root.json", "ab12"), "ab12.trusted_root.json");
  assert.equal(targetRemotePath("dir/sub/f.txt", "ab12"), "dir/sub/ab12.f.txt");
  assert.equal(targetRemotePath("dir/f.txt"), "dir/f.txt");
  assert.equal(targetRemotePath("a b/c#d", "00"), "a%20b/00.c%23d");
});

Deno.test("isDelegatedPath() matches paths segment by segment, and hash prefixes", () => {
  const cases: [string[], string, boolean][] = [
    [["deleg/*"], "deleg/file.txt", true],
    [["deleg/*"], "deleg/sub/file.txt", false],
    [["*"], "a", true],
    [["*"], "a/b", false],
    [["*/*.pem"], "x/key.pem", true],
    [["*/*.pem"], "x/key.pub", false],
    [["f?le"], "file", true],
    [["f?le"], "fle", false],
    [["[a-c]x"], "bx", true],
    [["[^a-c]x"], "bx", false],
    [["[^a-c]x"], "dx", true],
    [["a\\*"], "a*", true],
    [["a\\*"], "ab", false],
    [["x/y", "deleg/*"], "deleg/q", true],
  ];
  for (const [paths, name, want] of cases) {
    assert.equal(isDelegatedPath({ paths }, name), want, `${paths} ${name}`);
  }
  const hex = sha256(new TextEncoder().encode("some/target")).toHex();
  assert.equal(isDelegatedPath({ pathHashPrefixes: [hex.slice(0, 2)] }, "some/target"), true);
  assert.equal(
    isDelegatedPath({ pathHashPrefixes: [hex[0] === "0" ? "1" : "0"] }, "some/target"),
    false,
  );
  assert.equal(isDelegatedPath({}, "x"), false);
});
