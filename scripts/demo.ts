/**
 * `deno task demo`: the quick start, offline. Creates a key pair in a temporary folder, signs a
 * file, verifies it and shows that a tampered file is rejected; then starts a registry on loopback
 * (Debian's `docker-registry`, installed with apt-get when missing), pushes a small image, signs it
 * and verifies it. Each step runs the real `cosign` entry point with the same permissions as
 * `deno task cosign`.
 *
 * @module
 */
import { join } from "node:path";
import { ensureRegistryPackages } from "./peers/install.ts";
import { startRegistry } from "./peers/registry.ts";
import { createRegistry } from "../lib/registry/client.ts";

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

/** Pushes a one-layer image and returns its digest reference. */
async function pushDemoImage(host: string): Promise<string> {
  const client = createRegistry({});
  try {
    const repo = { registry: host, repository: "demo/hello" };
    const enc = new TextEncoder();
    const config = await client.putBlob(repo, enc.encode('{"architecture":"amd64","os":"linux"}'));
    const layer = await client.putBlob(repo, enc.encode("hello from the cosign demo\n"));
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...layer }],
    });
    const digest = await client.putManifest(
      repo,
      "v1",
      enc.encode(manifest),
      "application/vnd.oci.image.manifest.v1+json",
    );
    return `${host}/demo/hello@${digest}`;
  } finally {
    client.close();
  }
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
  console.log(`(exit code ${code})`);

  console.log("\n# now an image, in a registry started on loopback");
  await ensureRegistryPackages();
  const registry = await startRegistry("http");
  try {
    const image = await pushDemoImage(registry.host);
    await cosign(["sign", "--key", "cosign.key", "--tlog-upload=false", "-a", "demo=true", image]);
    await cosign([
      "verify",
      "--key",
      "cosign.pub",
      "--insecure-ignore-tlog=true",
      "-a",
      "demo=true",
      image,
    ]);
  } finally {
    await registry.stop();
  }
  console.log(
    "\nDemo complete: a file and an image signed and verified, a tampered artifact rejected.",
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}
