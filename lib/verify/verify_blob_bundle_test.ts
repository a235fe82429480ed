import assert from "node:assert/strict";
import { join } from "node:path";
import { FIXTURES } from "../../tests/interop/_run.ts";
import { VerificationError } from "../errors.ts";
import { bytesReader } from "../stream.ts";
import { parsePublicKeyPem } from "../keys/public_key.ts";
import { parseTrustedRoot } from "../trust/trusted_root.ts";
import { verifyBlobBundle, type VerifyBlobBundleOptions } from "./verify_blob_bundle.ts";

const DIR = join(FIXTURES, "new_bundle");
const blob = await Deno.readFile(join(DIR, "a.txt"));
/** The options, with the policy's parts given flat (`keyRef` undefined: a certificate policy). */
type Flat = Partial<Omit<VerifyBlobBundleOptions, "policy">> & {
  keyRef?: string;
  ignoreTlog?: boolean;
};
const options = async (over: Flat = {}): Promise<VerifyBlobBundleOptions> => {
  const o = {
    keyRef: join(DIR, "cosign.pub"),
    ignoreTlog: false,
    bundle: await Deno.readFile(join(DIR, "a.sigstore.json")),
    input: bytesReader(blob),
    ...over,
  };
  const trustedRoot = parseTrustedRoot(await Deno.readFile(join(DIR, "trusted_root.json")));
  return {
    bundle: o.bundle,
    input: o.input,
    policy: {
      signer: o.keyRef
        ? { key: [parsePublicKeyPem(await Deno.readFile(o.keyRef))] }
        : { certificate: { identities: [] } },
      tlog: o.ignoreTlog ? { ignore: true } : { trustedRoot },
    },
  };
};

Deno.test("verifyBlobBundle() verifies a Go cosign bundle with the key and the trusted root", async () => {
  const b = await verifyBlobBundle(await options());
  assert.equal(b.verificationMaterial.tlogEntries.length, 1);
});

Deno.test("verifyBlobBundle() refuses another blob, a lying digest, no entry, and keyless bundles", async () => {
  const fails = async (o: Flat, code: string, message?: RegExp) =>
    await assert.rejects(
      async () => verifyBlobBundle(await options(o)),
      (e) =>
        e instanceof VerificationError && e.code === code && (!message || message.test(e.message)),
    );
  await fails(
    { input: bytesReader(new TextEncoder().encode("artifact b\n")) },
    "SIGNATURE_INVALID",
  );
  const v = JSON.parse(await Deno.readTextFile(join(DIR, "a.sigstore.json")));
  v.messageSignature.messageDigest.digest = new Uint8Array(32).toBase64();
  await fails(
    { bundle: new TextEncoder().encode(JSON.stringify(v)) },
    "SIGNATURE_INVALID",
    /artifact does not match digest/,
  );
  const none = await Deno.readFile(join(DIR, "n.sigstore.json"));
  await fails({ bundle: none }, "TLOG_ENTRY_NOT_FOUND");
  // n's signature is over a.txt too: fine without the log.
  await verifyBlobBundle(await options({ bundle: none, ignoreTlog: true }));
  await fails({ keyRef: undefined }, "UNSUPPORTED", /pass it with --key/);
});
