/**
 * Bad signatures are rejected by both cosigns with the same exit code: a tampered blob, a
 * tampered signature, the wrong key, and malformed or missing signature files. Each case runs
 * against a signature made by Go and one made by ours.
 */
import { join } from "node:path";
import { flipLastByte } from "./_ecdsa.ts";
import {
  checkAll,
  expectSameFailure,
  expectSuccess,
  other,
  randomBlob,
  run,
  type Tool,
  TOOLS,
  withTempDir,
} from "./_run.ts";

interface Signed {
  /** The folder holding this signer's cosign.key, cosign.pub and blob.sig. */
  dir: string;
  pub: string;
  sig: string;
}

/** Each tool makes a key pair and signs the same blob: `root/blob`, `root/<tool>/…`. */
async function signWithBoth(root: string): Promise<Record<Tool, Signed>> {
  await Deno.writeFile(join(root, "blob"), randomBlob(2048));
  const entries = await Promise.all(TOOLS.map(async (tool) => {
    const dir = join(root, tool);
    await Deno.mkdir(dir);
    const opts = { cwd: dir, password: "" };
    expectSuccess(await run(tool, ["generate-key-pair"], opts), `${tool} generate-key-pair`);
    expectSuccess(
      await run(tool, [
        "sign-blob",
        "--key",
        "cosign.key",
        "--tlog-upload=false",
        "--yes",
        "--output-signature",
        "blob.sig",
        join(root, "blob"),
      ], opts),
      `${tool} sign-blob`,
    );
    const signed: Signed = { dir, pub: join(dir, "cosign.pub"), sig: join(dir, "blob.sig") };
    return [tool, signed] as const;
  }));
  return Object.fromEntries(entries) as Record<Tool, Signed>;
}

/** Both tools verify `blob` against `sig` with `pub`; both must fail with the same exit code. */
async function bothReject(root: string, pub: string, sig: string, blob: string, what: string) {
  const results = await Promise.all(TOOLS.map((verifier) =>
    run(verifier, [
      "verify-blob",
      "--key",
      pub,
      "--signature",
      sig,
      "--insecure-ignore-tlog=true",
      blob,
    ], { cwd: root })
  ));
  expectSameFailure(results, what);
}

Deno.test("interop: both reject a tampered blob with the same exit code", async () => {
  await withTempDir(async (root) => {
    const signed = await signWithBoth(root);
    const blob = await Deno.readFile(join(root, "blob"));
    blob[blob.length - 1] ^= 0x01;
    await Deno.writeFile(join(root, "tampered"), blob);
    await checkAll(
      TOOLS,
      (s) => `signed by ${s}`,
      (signer) =>
        bothReject(root, signed[signer].pub, signed[signer].sig, "tampered", "tampered blob"),
    );
  });
});

Deno.test("interop: both reject a tampered signature with the same exit code", async () => {
  await withTempDir(async (root) => {
    const signed = await signWithBoth(root);
    await checkAll(TOOLS, (s) => `signed by ${s}`, async (signer) => {
      const { dir, pub, sig } = signed[signer];
      const der = Uint8Array.fromBase64(await Deno.readTextFile(sig));
      await Deno.writeTextFile(join(dir, "tampered.sig"), flipLastByte(der).toBase64());
      await bothReject(root, pub, join(dir, "tampered.sig"), "blob", "tampered signature");
    });
  });
});

Deno.test("interop: both reject a signature checked with the wrong key, same exit code", async () => {
  await withTempDir(async (root) => {
    const signed = await signWithBoth(root);
    await checkAll(TOOLS, (s) => `signed by ${s}`, (signer) =>
      bothReject(
        root,
        signed[other(signer)].pub,
        signed[signer].sig,
        "blob",
        `signature by ${signer}'s key, checked with ${other(signer)}'s key`,
      ));
  });
});

Deno.test("interop: both reject malformed and missing signature files with the same exit code", async () => {
  await withTempDir(async (root) => {
    const signed = await signWithBoth(root);
    const files: [string, string | null][] = [
      ["base64 of text, not DER", new TextEncoder().encode("not a signature").toBase64()],
      ["empty signature file", ""],
      ["missing signature file", null],
    ];
    await checkAll(files, ([name]) => name, async ([name, content]) => {
      const path = join(root, `${name.replace(/\W/g, "_")}.sig`);
      if (content !== null) await Deno.writeTextFile(path, content);
      await bothReject(root, signed.go.pub, path, "blob", name);
    });
  });
});
