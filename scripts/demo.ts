/**
 * `deno task demo`: the quick start, offline. Creates a key pair in a temporary folder, signs a
 * file, verifies it, then shows that a tampered file is rejected. Each step runs the real `cosign`
 * entry point with the same permissions as `deno task cosign`.
 *
 * @module
 */
import { join } from "node:path";

const entry = new URL("../cli/cosign.ts", import.meta.url).pathname;
const perms = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net",
  "--allow-run",
  "--allow-sys",
];
const dir = await Deno.makeTempDir({ prefix: "cosign-demo-" });
const env = { COSIGN_PASSWORD: Deno.env.get("COSIGN_PASSWORD") ?? "demo-password" };

async function cosign(args: string[], expectOk = true): Promise<number> {
  console.log(`\n$ cosign ${args.join(" ")}`);
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...perms, entry, ...args],
    cwd: dir,
    env,
    stdin: "null",
  }).output();
  await Deno.stdout.write(stdout);
  await Deno.stdout.write(stderr);
  if (expectOk !== (code === 0)) {
    console.error(`demo: unexpected exit code ${code}`);
    Deno.exit(1);
  }
  return code;
}

try {
  console.log(`Working in ${dir} (COSIGN_PASSWORD is set for the demo)`);
  await Deno.writeTextFile(join(dir, "release.tar.gz"), "pretend this is a release artifact\n");
  await cosign(["generate-key-pair"]);
  await cosign([
    "sign-blob",
    "--key",
    "cosign.key",
    "--tlog-upload=false",
    "--output-signature",
    "release.sig",
    "release.tar.gz",
  ]);
  await cosign([
    "verify-blob",
    "--key",
    "cosign.pub",
    "--signature",
    "release.sig",
    "--insecure-ignore-tlog=true",
    "release.tar.gz",
  ]);
  await Deno.writeTextFile(join(dir, "release.tar.gz"), "tampered\n", { append: true });
  console.log("\n# the artifact is modified: verification must fail");
  const code = await cosign([
    "verify-blob",
    "--key",
    "cosign.pub",
    "--signature",
    "release.sig",
    "--insecure-ignore-tlog=true",
    "release.tar.gz",
  ], false);
  console.log(
    `(exit code ${code})\n\nDemo complete: signed, verified, and a tampered artifact rejected.`,
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}
