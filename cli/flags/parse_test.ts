import assert from "node:assert/strict";
import { bindEnv, type Flag, normalizeArgs, parseDuration, parseFlags } from "./parse.ts";
import { UsageError } from "../exit_codes.ts";

const flags: Flag[] = [
  { name: "key", type: "string", help: "" },
  { name: "b64", type: "bool", default: true, help: "" },
  { name: "yes", short: "y", type: "bool", help: "" },
  { name: "output", short: "o", type: "string", default: "json", help: "" },
  { name: "annotations", short: "a", type: "strings", help: "" },
  { name: "max-workers", type: "int", default: 10, help: "" },
  { name: "timeout", short: "t", type: "duration", default: 180_000, help: "" },
];

Deno.test("parseFlags() accepts --name=value, --name value and booleans with =false", () => {
  const p = parseFlags(["--key=k.key", "--b64=false", "blob", "--output", "text", "-y"], flags);
  assert.equal(p.values.key, "k.key");
  assert.equal(p.values.b64, false);
  assert.equal(p.values.output, "text");
  assert.equal(p.values.yes, true);
  assert.deepEqual(p.args, ["blob"]);
  assert.deepEqual([...p.changed].sort(), ["b64", "key", "output", "yes"]);
});

Deno.test("parseFlags() fills defaults for flags not given", () => {
  const p = parseFlags([], flags);
  assert.equal(p.values.b64, true);
  assert.equal(p.values["max-workers"], 10);
  assert.equal(p.values.timeout, 180_000);
  assert.deepEqual(p.values.annotations, []);
  assert.equal(p.changed.size, 0);
});

Deno.test("parseFlags() handles shorthand values attached, separated and with =", () => {
  assert.equal(parseFlags(["-otext"], flags).values.output, "text");
  assert.equal(parseFlags(["-o", "text"], flags).values.output, "text");
  assert.equal(parseFlags(["-o=text"], flags).values.output, "text");
  assert.equal(parseFlags(["-y=false"], flags).values.yes, false);
});

Deno.test("parseFlags() appends repeated and comma-separated slice values", () => {
  const p = parseFlags(["-a", "a=1,b=2", "--annotations", "c=3"], flags);
  assert.deepEqual(p.values.annotations, ["a=1", "b=2", "c=3"]);
});

Deno.test("parseFlags() stops at -- and keeps - as an argument", () => {
  const p = parseFlags(["-", "--", "--key", "x"], flags);
  assert.deepEqual(p.args, ["-", "--key", "x"]);
  assert.equal(p.values.key, "");
});

Deno.test("parseFlags() rejects bad input with pflag's messages", () => {
  const cases: [string[], string][] = [
    [["--nope"], "unknown flag: --nope"],
    [["-x"], "unknown shorthand flag: 'x' in -x"],
    [["--key"], "flag needs an argument: --key"],
    [
      ["--b64=maybe"],
      `invalid argument "maybe" for "--b64" flag: strconv.ParseBool: parsing "maybe": invalid syntax`,
    ],
    [
      ["--max-workers=ten"],
      `invalid argument "ten" for "--max-workers" flag: strconv.ParseInt: parsing "ten": invalid syntax`,
    ],
    [
      ["--timeout=soon"],
      `invalid argument "soon" for "--timeout" flag: time: invalid duration "soon"`,
    ],
  ];
  for (const [argv, message] of cases) {
    assert.throws(
      () => parseFlags(argv, flags),
      (e) => e instanceof UsageError && e.message === message,
    );
  }
});

Deno.test("parseDuration() reads Go durations", () => {
  assert.equal(parseDuration("3m0s"), 180_000);
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("250ms"), 250);
  assert.equal(parseDuration("1.5s"), 1500);
  assert.equal(parseDuration("0"), 0);
  assert.throws(() => parseDuration("5"), SyntaxError);
});

Deno.test("bindEnv() fills unset flags from COSIGN_<FLAG>, ignoring empty values", () => {
  const p = parseFlags(["--key", "cli.key"], flags);
  const env: Record<string, string> = {
    COSIGN_KEY: "env.key",
    COSIGN_B64: "false",
    COSIGN_MAX_WORKERS: "3",
    COSIGN_OUTPUT: "",
  };
  bindEnv(p, flags, (n) => env[n]);
  assert.equal(p.values.key, "cli.key", "the command line wins");
  assert.equal(p.values.b64, false);
  assert.equal(p.values["max-workers"], 3);
  assert.equal(p.values.output, "json", "an empty variable counts as unset, as in viper");
});

Deno.test("bindEnv() names the variable when its value is malformed", () => {
  const p = parseFlags([], flags);
  assert.throws(
    () => bindEnv(p, flags, (n) => (n === "COSIGN_YES" ? "sure" : undefined)),
    (e) => e instanceof UsageError && e.message.includes("for COSIGN_YES"),
  );
});

Deno.test("normalizeArgs() rewrites single-dash long flags like cosign's main.go", () => {
  const r = normalizeArgs(["-key", "k", "--o", "json", "-y", "--key", "-", "--", "-x"]);
  assert.deepEqual(r.argv, ["--key", "k", "-o", "json", "-y", "--key", "-", "--", "-x"]);
  assert.equal(r.warnings.length, 2);
  assert.match(r.warnings[0], /the -key flag is deprecated.*Please use the --key flag instead\./);
  assert.deepEqual(normalizeArgs(["-version"]).argv, ["version"]);
});
