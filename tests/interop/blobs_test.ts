/**
 * Blob signatures made by one cosign verify in the other, both ways: base64 and raw (--b64=false)
 * signatures, files and stdin, empty and multi-chunk blobs, both S values of an ECDSA signature.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { otherS, parseEcdsaSignature } from "./_ecdsa.ts";
import {
  checkAll,
  describe,
  expectSuccess,
  expectVerified,
  other,
  randomBlob,
  run,
  type Tool,
  TOOLS,
  withTempDir,
} from "./_run.ts";

interface BlobCase {
  name: string;
  size: number;
  /** Sign with --b64=false (raw DER signature). */
  raw?: boolean;
  /** Sign and verify "-" with the blob on stdin. */
  stdin?: boolean;
  /** No --output-signature: the signature is printed on stdout. */
  sigOnStdout?: boolean;
}

const MiB = 1024 * 1024;

const CASES: BlobCase[] = [
  { name: "4 KiB blob", size: 4096 },
  { name: "0-byte blob", size: 0 },
  { name: "5 MiB blob (several read chunks)", size: 5 * MiB },
  { name: "--b64=false raw signature", size: 4096, raw: true },
  { name: "--b64=false raw signature of a 0-byte blob", size: 0, raw: true },
  { name: "blob on stdin (-)", size: 300_000, stdin: true },
  { name: "0-byte blob on stdin (-)", size: 0, stdin: true },
  { name: "signature printed on stdout", size: 4096, sigOnStdout: true },
];

/** cosign writes a base64 signature file without a newline, and prints it with one. */
const B64_FILE = /^[A-Za-z0-9+/]+={0,2}$/;
const B64_STDOUT = /^[A-Za-z0-9+/]+={0,2}\n$/;

/** Makes a key pair with `tool` in `dir` (password ""), returning the paths. */
async function keyPair(tool: Tool, dir: string): Promise<{ key: string; pub: string }> {
  expectSuccess(
    await run(tool, ["generate-key-pair"], { cwd: dir, password: "" }),
    `${tool} generate-key-pair`,
  );
  return { key: join(dir, "cosign.key"), pub: join(dir, "cosign.pub") };
}

function signArgs(key: string, c: BlobCase): string[] {
  return [
    "sign-blob",
    "--key",
    key,
    "--tlog-upload=false",
    "--yes",
    ...(c.raw ? ["--b64=false"] : []),
    ...(c.sigOnStdout ? [] : ["--output-signature", "blob.sig"]),
    c.stdin ? "-" : "blob",
  ];
}

function crossSign(signer: Tool): Promise<void> {
  const verifier = other(signer);
  return withTempDir(async (root) => {
    const { key, pub } = await keyPair(signer, root);
    await checkAll(CASES, (c) => c.name, async (c) => {
      const dir = await Deno.makeTempDir({ dir: root });
      const blob = randomBlob(c.size);
      await Deno.writeFile(join(dir, "blob"), blob);
      const signed = expectSuccess(
        await run(signer, signArgs(key, c), {
          cwd: dir,
          home: root,
          password: "",
          stdin: c.stdin ? blob : undefined,
        }),
        `${signer} sign-blob`,
      );
      const sigPath = join(dir, "blob.sig");
      if (c.sigOnStdout) {
        assert.match(signed.stdout, B64_STDOUT, `signature on stdout\n${describe(signed)}`);
        await Deno.writeFile(sigPath, signed.stdoutBytes);
      }
      const sig = await Deno.readFile(sigPath);
      if (c.raw) {
        assert.doesNotThrow(
          () => parseEcdsaSignature(sig),
          `raw signature is not DER\n${describe(signed)}`,
        );
      } else if (!c.sigOnStdout) {
        assert.match(
          new TextDecoder().decode(sig),
          B64_FILE,
          `signature file\n${describe(signed)}`,
        );
      }
      expectVerified(
        await run(verifier, [
          "verify-blob",
          "--key",
          pub,
          "--signature",
          sigPath,
          "--insecure-ignore-tlog=true",
          c.stdin ? "-" : "blob",
        ], { cwd: dir, home: root, stdin: c.stdin ? blob : undefined }),
        `${verifier} verify-blob of ${signer}'s signature`,
      );
    });
  });
}

Deno.test("interop: Go sign-blob signatures verify in ours", async () => {
  await crossSign("go");
});

Deno.test("interop: our sign-blob signatures verify in Go", async () => {
  await crossSign("ours");
});

Deno.test("interop: verify-blob accepts both S values (high-S and low-S) of a signature", async () => {
  await withTempDir(async (root) => {
    await checkAll(TOOLS, (signer) => `signed by ${signer}`, async (signer) => {
      const dir = join(root, signer);
      await Deno.mkdir(dir);
      const { key, pub } = await keyPair(signer, dir);
      await Deno.writeFile(join(dir, "blob"), randomBlob(1000));
      expectSuccess(
        await run(signer, signArgs(key, { name: "", size: 0 }), { cwd: dir, password: "" }),
        `${signer} sign-blob`,
      );
      const der = Uint8Array.fromBase64(await Deno.readTextFile(join(dir, "blob.sig")));
      const flipped = otherS(der);
      await Deno.writeTextFile(join(dir, "other.sig"), flipped.der.toBase64());
      for (const sig of ["blob.sig", "other.sig"]) {
        for (const verifier of TOOLS) {
          expectVerified(
            await run(verifier, [
              "verify-blob",
              "--key",
              pub,
              "--signature",
              sig,
              "--insecure-ignore-tlog=true",
              "blob",
            ], { cwd: dir }),
            `${verifier} verify-blob, ${sig === "blob.sig" ? "original" : "other-S"} signature ` +
              `(${(sig === "other.sig") === flipped.highS ? "high" : "low"}-S)`,
          );
        }
      }
    });
  });
});
