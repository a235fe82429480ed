import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { FIXTURES } from "../../tests/interop/_run.ts";
import { VerificationError } from "../errors.ts";
import { parsePublicKeyPem } from "../keys/public_key.ts";
import { parseTrustedRoot } from "../trust/trusted_root.ts";
import {
  verifyBlobAttestationBundle,
  type VerifyBlobAttestationBundleOptions,
} from "./verify_blob_attestation_bundle.ts";

const DIR = join(FIXTURES, "new_bundle_attest");
const blob = await Deno.readFile(join(DIR, "a.txt"));
const sha256 = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());
const bundleText = await Deno.readTextFile(join(DIR, "a.sigstore.json"));
/** The options, with the policy's parts given flat (`keyRef` undefined: a certificate policy). */
type Flat = Partial<Omit<VerifyBlobAttestationBundleOptions, "policy">> & {
  keyRef?: string;
  type?: string;
  ignoreTlog?: boolean;
};
const options = async (over: Flat = {}): Promise<VerifyBlobAttestationBundleOptions> => {
  const o = {
    keyRef: join(DIR, "cosign.pub"),
    type: "custom",
    ignoreTlog: false,
    bundle: new TextEncoder().encode(bundleText),
    artifactDigest: { algorithm: "sha256", value: sha256(blob) },
    ...over,
  };
  const trustedRoot = parseTrustedRoot(await Deno.readFile(join(DIR, "trusted_root.json")));
  return {
    bundle: o.bundle,
    artifactDigest: o.artifactDigest,
    policy: {
      signer: o.keyRef
        ? { key: [parsePublicKeyPem(await Deno.readFile(o.keyRef))] }
        : { certificate: { identities: [] } },
      tlog: o.ignoreTlog ? { ignore: true } : { trustedRoot },
      claims: { type: o.type },
    },
  };
};
// deno-lint-ignore no-explicit-any
const changed = (f: (b: any) => void) => {
  const b = JSON.parse(bundleText);
  f(b);
  return new TextEncoder().encode(JSON.stringify(b));
};
const fails = async (o: Flat, code: string, re?: RegExp) =>
  await assert.rejects(
    async () => verifyBlobAttestationBundle(await options(o)),
    (e) => e instanceof VerificationError && e.code === code && (!re || re.test(e.message)),
  );

Deno.test("verifyBlobAttestationBundle() verifies a Go cosign attestation bundle", async () => {
  const s = await verifyBlobAttestationBundle(await options());
  assert.equal(s.predicateType, "https://cosign.sigstore.dev/attestation/v1");
  // Without claims, any blob; without the log, no entry needed.
  await verifyBlobAttestationBundle(await options({ artifactDigest: undefined }));
  await verifyBlobAttestationBundle(
    await options({
      bundle: changed((b) => (b.verificationMaterial.tlogEntries = [])),
      ignoreTlog: true,
    }),
  );
});

Deno.test("verifyBlobAttestationBundle() refuses another blob, type, statement, signature or entry", async () => {
  await fails(
    { artifactDigest: { algorithm: "sha256", value: sha256(new Uint8Array(1)) } },
    "CLAIMS_MISMATCH",
    /provided artifact digest does not match any digest in statement/,
  );
  await fails(
    { artifactDigest: { algorithm: "sha512", value: new Uint8Array(64) } },
    "CLAIMS_MISMATCH",
    /provided artifact digests does not match digests in statement/,
  );
  await fails({ type: "slsaprovenance" }, "CLAIMS_MISMATCH", /invalid predicate type/);
  const statement = changed((b) => {
    const s = JSON.parse(new TextDecoder().decode(Uint8Array.fromBase64(b.dsseEnvelope.payload)));
    s.predicate.Data = "{}";
    b.dsseEnvelope.payload = new TextEncoder().encode(JSON.stringify(s)).toBase64();
  });
  await fails({ bundle: statement }, "TLOG_ENTRY_MISMATCH", /DSSE payload does not match/);
  await fails({ bundle: statement, ignoreTlog: true }, "SIGNATURE_INVALID");
  const sig = changed((b) => {
    const s = Uint8Array.fromBase64(b.dsseEnvelope.signatures[0].sig);
    s[10] ^= 1;
    b.dsseEnvelope.signatures[0].sig = s.toBase64();
  });
  await fails({ bundle: sig }, "TLOG_ENTRY_MISMATCH", /signature does not match/);
  await fails({ bundle: sig, ignoreTlog: true }, "SIGNATURE_INVALID");
  await fails(
    { bundle: changed((b) => (b.verificationMaterial.tlogEntries = [])) },
    "TLOG_ENTRY_NOT_FOUND",
  );
  await fails({ keyRef: undefined }, "UNSUPPORTED", /pass it with --key/);
  // A message-signature bundle (sign-blob's) is not an attestation.
  await fails(
    { bundle: await Deno.readFile(join(FIXTURES, "new_bundle", "a.sigstore.json")) },
    "UNSUPPORTED",
    /does not contain a DSSE envelope/,
  );
});
