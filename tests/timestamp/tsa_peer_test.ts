/**
 * Timestamps from the real timestamp authority (sigstore timestamp-authority v2.1.3 on loopback),
 * checked by our verifier, by OpenSSL and by Go cosign v2.6.4.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { VerificationError } from "../../lib/errors.ts";
import {
  marshalRfc3161Timestamp,
  parseRfc3161Timestamp,
  requestTimestamp,
  type TimestampAuthority,
  verifyTimestamp,
} from "../../lib/timestamp/mod.ts";
import { runGo } from "../peers/run.ts";
import { startTsa, type TsaKey, type TsaPeer } from "../peers/tsa.ts";

function authority(tsa: TsaPeer): TimestampAuthority {
  return { certChain: tsa.certChain, validFor: { start: 0 }, uri: tsa.timestampUrl };
}

async function withTsa<T>(
  opts: Parameters<typeof startTsa>[0],
  fn: (tsa: TsaPeer) => Promise<T>,
): Promise<T> {
  const tsa = await startTsa(opts);
  try {
    return await fn(tsa);
  } finally {
    await tsa.stop();
  }
}

Deno.test("timestamps of the real TSA verify, for every signer and with the chain embedded", async () => {
  const keys: [TsaKey, "sha256" | "sha384", string][] = [
    ["memory", "sha256", "1.2.840.10045.4.3.2"],
    ["ecdsa-p384", "sha384", "1.2.840.10045.4.3.3"],
    ["rsa", "sha256", "1.2.840.113549.1.1.11"],
    ["ed25519", "sha256", "1.3.101.112"],
  ];
  for (const [key, hash, signatureAlgorithm] of keys) {
    for (const includeChain of [false, true]) {
      await withTsa({ key, includeChain, hash }, async (tsa) => {
        const name = `${key}${includeChain ? " with chain" : ""}`;
        const signature = crypto.getRandomValues(new Uint8Array(71));
        const before = Date.now() - 2000;
        const got = await requestTimestamp({ url: tsa.timestampUrl, signature });
        assert.equal(got.token.signer.signatureAlgorithm, signatureAlgorithm, name);
        assert.equal(
          got.token.certificates.length,
          includeChain ? tsa.certChain.length : 1,
          name,
        );
        const v = await verifyTimestamp({
          timestamp: got.response,
          signature,
          authorities: [authority(tsa)],
          nonce: got.request.nonce,
          policy: "1.3.6.1.4.1.57264.2",
        });
        assert.equal(v.genTime, got.genTime, name);
        assert.ok(v.genTime >= before && v.genTime <= Date.now() + 2000, name);
        assert.deepEqual(v.signer, tsa.certChain[0], name);
        // A token for another signature.
        await assert.rejects(
          verifyTimestamp({
            timestamp: got.response,
            signature: signature.subarray(1),
            authorities: [authority(tsa)],
          }),
          { name: "VerificationError", code: "TIMESTAMP_IMPRINT_MISMATCH" },
          name,
        );
      });
    }
  }
});

Deno.test("a second TSA's chain does not verify the first one's timestamps", async () => {
  // Two peers at once (each on its own port, nothing fixed): the chains differ.
  await withTsa({}, (a) =>
    withTsa({}, async (b) => {
      const signature = crypto.getRandomValues(new Uint8Array(64));
      const got = await requestTimestamp({ url: a.timestampUrl, signature });
      for (const certChain of [b.certChain, b.certChain.slice(1)]) {
        await assert.rejects(
          verifyTimestamp({
            timestamp: got.response,
            signature,
            authorities: [{ certChain, validFor: { start: 0 } }],
          }),
          (e: unknown) => e instanceof VerificationError && e.code === "TIMESTAMP_UNTRUSTED",
        );
      }
      const v = await verifyTimestamp({
        timestamp: got.response,
        signature,
        authorities: [authority(b), authority(a)],
      });
      assert.equal(v.authority.uri, a.timestampUrl);
    }));
});

Deno.test("OpenSSL reads and verifies a response our client got", async () => {
  await withTsa({}, async (tsa) => {
    const dir = await Deno.makeTempDir({ prefix: "tsa-openssl-" });
    try {
      const signature = crypto.getRandomValues(new Uint8Array(70));
      const got = await requestTimestamp({ url: tsa.timestampUrl, signature });
      const pem = (der: Uint8Array) =>
        `-----BEGIN CERTIFICATE-----\n${der.toBase64()}\n-----END CERTIFICATE-----\n`;
      await Deno.writeFile(join(dir, "resp.tsr"), got.response);
      await Deno.writeFile(join(dir, "sig.bin"), signature);
      await Deno.writeTextFile(join(dir, "root.pem"), pem(tsa.certChain[2]));
      await Deno.writeTextFile(join(dir, "inter.pem"), pem(tsa.certChain[1]));
      const openssl = async (...args: string[]) => {
        const out = await new Deno.Command("openssl", { args, cwd: dir, stdin: "null" }).output();
        return { ok: out.success, text: new TextDecoder().decode(out.stdout) };
      };
      const text = await openssl("ts", "-reply", "-in", "resp.tsr", "-text");
      assert.ok(text.ok);
      assert.match(text.text, /Status: Granted\./);
      const nonce = got.request.nonce.toString(16).toUpperCase();
      assert.match(text.text, new RegExp(`Nonce: 0x0*${nonce}\\n`));
      assert.match(text.text, /Policy OID: 1\.3\.6\.1\.4\.1\.57264\.2\n/);
      const verified = await openssl(
        "ts",
        "-verify",
        "-in",
        "resp.tsr",
        "-data",
        "sig.bin",
        "-CAfile",
        "root.pem",
        "-untrusted",
        "inter.pem",
      );
      assert.equal(verified.text.trim(), "Verification: OK");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("Go cosign and we agree on timestamps, both ways", async () => {
  await withTsa({}, async (tsa) => {
    const dir = await Deno.makeTempDir({ prefix: "tsa-cosign-" });
    try {
      await Deno.writeTextFile(join(dir, "blob.txt"), "timestamp me\n");
      await Deno.writeTextFile(join(dir, "tsa-chain.pem"), tsa.certChainPem);
      const run = (args: string[]) => runGo(args, { cwd: dir, password: "" });
      assert.equal((await run(["generate-key-pair"])).code, 0);
      // 1. Go cosign asks the TSA; we verify what it wrote.
      const signed = await run([
        "sign-blob",
        "--yes",
        "--key=cosign.key",
        "--tlog-upload=false",
        `--timestamp-server-url=${tsa.timestampUrl}`,
        "--rfc3161-timestamp=go.timestamp.json",
        "--output-signature=blob.sig",
        "blob.txt",
      ]);
      assert.equal(signed.code, 0, signed.stderr);
      const signature = Uint8Array.fromBase64(
        (await Deno.readTextFile(join(dir, "blob.sig"))).trim(),
      );
      const goTimestamp = parseRfc3161Timestamp(
        await Deno.readTextFile(join(dir, "go.timestamp.json")),
      );
      const v = await verifyTimestamp({
        timestamp: goTimestamp,
        signature,
        authorities: [authority(tsa)],
      });
      assert.ok(v.genTime > 0);
      // 2. We ask the TSA for the same signature; Go cosign verifies what we wrote.
      const ours = await requestTimestamp({ url: tsa.timestampUrl, signature });
      await Deno.writeTextFile(
        join(dir, "ours.timestamp.json"),
        marshalRfc3161Timestamp(ours.response),
      );
      const verify = (file: string) =>
        run([
          "verify-blob",
          "--key=cosign.pub",
          "--insecure-ignore-tlog",
          "--use-signed-timestamps",
          "--timestamp-certificate-chain=tsa-chain.pem",
          `--rfc3161-timestamp=${file}`,
          "--signature=blob.sig",
          "blob.txt",
        ]);
      const accepted = await verify("ours.timestamp.json");
      assert.equal(accepted.code, 0, accepted.stderr);
      assert.match(accepted.stderr, /Verified OK/);
      // 3. A timestamp of another signature: Go cosign refuses it, and so do we.
      const other = await requestTimestamp({
        url: tsa.timestampUrl,
        signature: signature.subarray(1),
      });
      await Deno.writeTextFile(
        join(dir, "other.timestamp.json"),
        marshalRfc3161Timestamp(other.response),
      );
      const refused = await verify("other.timestamp.json");
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /hashed messages don't match/);
      await assert.rejects(
        verifyTimestamp({
          timestamp: other.response,
          signature,
          authorities: [authority(tsa)],
        }),
        {
          name: "VerificationError",
          code: "TIMESTAMP_IMPRINT_MISMATCH",
          message: "Cannot verify timestamp: hashed messages don't match",
        },
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
