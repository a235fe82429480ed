/**
 * `deno task compile`: builds the standalone `cosign` and `sget` executables into `dist/`, with
 * the same permission flags as `deno task cosign` / `deno task sget`.
 *
 * `deno compile` needs a runtime (`denort`) that it downloads unless `DENORT_BIN` points at one;
 * where neither works this script says so and exits non-zero.
 *
 * @module
 */
const root = new URL("..", import.meta.url).pathname;
const targets = [
  {
    name: "cosign",
    entry: "cli/cosign.ts",
    perms: [
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net",
      "--allow-run",
      "--allow-sys",
      // PKCS#11 tokens (lib/pkcs11); only used when a module is named, see README.
      "--allow-ffi",
    ],
  },
  {
    name: "sget",
    entry: "cli/sget.ts",
    perms: [
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net",
      "--allow-sys",
    ],
  },
];

const only = Deno.args.find((a) => !a.startsWith("-"));
let failed = false;
for (const t of targets.filter((t) => !only || t.name === only)) {
  const args = ["compile", "--quiet", ...t.perms, "--output", `dist/${t.name}`, t.entry];
  console.error(`deno ${args.join(" ")}${Deno.env.get("DENORT_BIN") ? " (DENORT_BIN set)" : ""}`);
  const { code } = await new Deno.Command(Deno.execPath(), { args, cwd: root }).spawn().status;
  if (code !== 0) {
    failed = true;
    console.error(
      `compile: building ${t.name} failed; deno compile downloads its runtime (denort) unless ` +
        "DENORT_BIN names a local copy",
    );
  }
}
Deno.exit(failed ? 1 : 0);
