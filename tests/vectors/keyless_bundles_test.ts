/**
 * The keyless Sigstore bundles of other implementations (tests/fixtures/vectors/bundles/<source>/
 * cases.json), verified end to end by our steps: the transparency log material (lib/bundle),
 * then the certificate step (lib/verify `verifyCertificateMaterial`: signing time from a verified
 * SET or RFC 3161 timestamp, path validation to the case's trusted root at that time, the embedded
 * SCT, the identity the case names), then the signature with the leaf's key over the artifact (or
 * the DSSE pre-authentication encoding). Every case ends as its implementation says, or as the
 * table below explains.
 *
 * Times are accepted as sigstore-go's `WithObserverTimestamps(1)` does (a SET-signed integrated
 * time or a verified RFC 3161 timestamp), the policy these implementations apply to bundles.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { parseBundle, type SigstoreBundle } from "../../lib/bundle/bundle.ts";
import { verifyBundleTlog } from "../../lib/bundle/verify_bundle_tlog.ts";
import { VerificationError } from "../../lib/errors.ts";
import type { PublicKey } from "../../lib/keys/public_key.ts";
import { pae } from "../../lib/payload/dsse.ts";
import { type VerifyHash, verifySignature } from "../../lib/signature/verify_signature.ts";
import { bytesReader } from "../../lib/stream.ts";
import { ctLogKeys, parseTrustedRoot, timestampAuthorities } from "../../lib/trust/trusted_root.ts";
import { verifyCertificateMaterial } from "../../lib/verify/verify_certificate_material.ts";
import { parseCertificate } from "../../lib/x509/certificate.ts";
import type { CertificateIdentityOptions } from "../../lib/x509/match_identity.ts";
import { VECTORS } from "../_vectors.ts";

interface Case {
  bundle: string;
  expected: string;
  trusted_root: string;
  artifact?: string | null;
  artifact_sha256?: string;
  artifact_sha512?: string;
  bundle_info: { material?: string };
}

type Outcome = "pass" | "parse" | VerificationError["code"];

/** The identity each case's policy names (cases.json `policy`), checked as sigstore-go does. */
const IDENTITIES: Record<
  string,
  { ok: CertificateIdentityOptions; wrong: CertificateIdentityOptions }
> = {
  "othername.sigstore.json": {
    ok: { certificateIdentity: "foo!oidc.local", certificateOidcIssuer: "http://oidc.local:8080" },
    // sigstore-go TestEntityWithOthernameSan: the e-mail form must not match.
    wrong: {
      certificateIdentity: "foo@oidc.local",
      certificateOidcIssuer: "http://oidc.local:8080",
    },
  },
  "bundle-provenance.json": {
    ok: {
      certificateIdentityRegexp: "^https://github.com/sigstore/sigstore-js/",
      certificateOidcIssuer: "https://token.actions.githubusercontent.com",
    },
    wrong: {
      certificateIdentityRegexp: "^https://github.com/sigstore/sigstore-go/",
      certificateOidcIssuer: "https://token.actions.githubusercontent.com",
    },
  },
  "oci-attestation.sigstore.json": {
    ok: { certificateIdentityRegexp: ".*", certificateOidcIssuerRegexp: ".*" },
    // cosign TestVerifyImageAttestationsSigstoreBundle: SubjectRegExp "wrong" fails.
    wrong: { certificateIdentityRegexp: "wrong", certificateOidcIssuerRegexp: ".*" },
  },
  "bundle.sigstore": {
    ok: {
      certificateIdentity: "appu@google.com",
      certificateOidcIssuer: "https://accounts.google.com",
    },
    wrong: {
      certificateIdentity: "appu@google.com",
      certificateOidcIssuer: "https://github.com/login/oauth",
    },
  },
  "appcast-sigstore.xml.sigstore.bundle": {
    ok: {
      certificateIdentity: "rob.caelers@gmail.com",
      certificateOidcIssuer: "https://github.com/login/oauth",
    },
    wrong: {
      certificateIdentity: "rob.caelers@gmail.com",
      certificateOidcIssuerRegexp: "^https://accounts\\.google\\.com$",
    },
  },
};

/** Cases whose outcome here is not "pass" or the tlog failure bundles_test.ts already asserts. */
const OUTCOMES: Record<string, { outcome: Outcome; why: string }> = {
  "bundle-with-expired-cert.sigstore": {
    outcome: "CERT_EXPIRED",
    why: "the SET's integrated time is after the certificate's notAfter",
  },
  "bundle_v3_no_signed_time.txt.sigstore.json": {
    outcome: "SIGNING_TIME_MISSING",
    why: "no SET and no RFC 3161 timestamp: nothing says when it was signed",
  },
  "dsse-2sigs.sigstore.json": {
    outcome: "TLOG_ENTRY_MISMATCH",
    why:
      "two DSSE signatures: the entry is bound to exactly one (sigstore-go ErrDSSEInvalidSignatureCount)",
  },
  "bundle.dsse.bad-signature.sigstore": {
    outcome: "TLOG_ENTRY_MISMATCH",
    why: "the envelope's signature is not the logged one",
  },
  "bundle.dsse.mismatched-envelope.sigstore": {
    outcome: "TLOG_ENTRY_MISMATCH",
    why: "payload hash in the entry is not the envelope's",
  },
  "bundle.dsse.mismatched-signature.sigstore": {
    outcome: "TLOG_ENTRY_MISMATCH",
    why: "signature in the entry is not the envelope's",
  },
  "bundle-with-wrong-tlog-entry.sigstore": {
    outcome: "TLOG_ENTRY_MISMATCH",
    why: "entry from another artifact signed with the same certificate",
  },
  "bundle_cve_2022_36056.txt.sigstore": {
    outcome: "TLOG_ENTRY_MISMATCH",
    why: "CVE-2022-36056: a valid entry for another signature",
  },
  "bundle-with-mismatched-set.sigstore": {
    outcome: "TLOG_SET_INVALID",
    why: "SET of another entry",
  },
  "bundle-with-bad-checkpoint-signature.sigstore": {
    outcome: "TLOG_CHECKPOINT_INVALID",
    why: "bad checkpoint signature",
  },
  "bundle_no_log_entry.txt.sigstore": { outcome: "TLOG_ENTRY_NOT_FOUND", why: "no log entry" },
  "bundle.v1.no.inclusion.sigstore": {
    outcome: "pass",
    why: "v0.1 allows a SET alone (sigstore-go); sigstore-java insists on a proof",
  },
  "dsse.sigstore.json": {
    outcome: "pass",
    why: "sigstore-go only summarizes it; it verifies (the full chain up to the trusted root)",
  },
  "bundle-no-digest.sigstore": {
    outcome: "parse",
    why:
      "a v0.3 bundle with a certificate chain: sigstore-go (so cosign) refuses it, sigstore-java not",
  },
};

/** The hash sigstore-go pairs with a key (its default `PublicKeyDetails`). */
function hashOf(key: PublicKey): VerifyHash {
  if (key.kind !== "ecdsa") return "sha256";
  return key.curve === "P-384" ? "sha384" : key.curve === "P-521" ? "sha512" : "sha256";
}

async function verifyCase(
  dir: string,
  c: Case,
  bundle: SigstoreBundle,
  identity?: CertificateIdentityOptions,
): Promise<void> {
  const root = parseTrustedRoot(await Deno.readFile(join(dir, c.trusted_root)));
  const vm = bundle.verificationMaterial;
  const [leafDer, ...chainDer] = vm.certificate ? [vm.certificate] : vm.x509CertificateChain!;
  const ms = bundle.messageSignature;
  const env = bundle.dsseEnvelope;
  const signature = ms ? ms.signature : env!.signatures[0].sig;
  let artifact: Uint8Array | undefined;
  if (c.artifact && !c.artifact.includes(" ")) {
    artifact = await Deno.readFile(join(dir, c.artifact));
  }
  let artifactDigest: { algorithm: string; value: Uint8Array } | undefined;
  if (ms && artifact) {
    const algorithm = (ms.messageDigest?.algorithm ?? "SHA2_256").replace(/^SHA2_/, "sha");
    artifactDigest = {
      algorithm,
      value: new Uint8Array(createHash(algorithm).update(artifact).digest()),
    };
  } else if (ms && c.artifact_sha256) {
    artifactDigest = { algorithm: "sha256", value: Uint8Array.fromHex(c.artifact_sha256) };
  }
  const entries = await verifyBundleTlog(bundle, { trustedRoot: root, artifactDigest });
  const verified = await verifyCertificateMaterial({
    material: {
      leaf: parseCertificate(leafDer),
      chain: chainDer.map(parseCertificate),
      chainSource: "bundle",
    },
    trust: {
      kind: "trusted-root",
      authorities: root.certificateAuthorities,
      ctLogs: ctLogKeys(root),
      timestampAuthorities: timestampAuthorities(root),
    },
    evidence: {
      policy: "observer",
      logTimes: entries.filter((e) => e.integratedTime).map((e) => ({
        time: e.integratedTime! * 1000,
        uri: e.log.baseUrl,
      })),
      unsignedLogTimes: entries.filter((e) => !e.integratedTime).map((e) =>
        e.entry.integratedTime * 1000
      ),
      timestamps: vm.rfc3161Timestamps,
      timestampedBytes: signature,
    },
    policy: { identity, identityMode: "sigstore-go" },
  });
  const publicKey = verified.publicKey;
  if (env) {
    // sigstore-go's compatibility mode for v0.1-v0.3 bundles: the key's own hash, else SHA-256.
    const reader = () => bytesReader(pae(env.payloadType, env.payload));
    try {
      await verifySignature({ publicKey, hash: hashOf(publicKey), signature, reader: reader() });
    } catch {
      await verifySignature({ publicKey, hash: "sha256", signature, reader: reader() });
    }
  } else if (artifact) {
    // The message digest's algorithm is the one signed (a P-384 key over SHA-256, sigstore-python).
    const named = ms!.messageDigest?.algorithm.replace(/^SHA2_/, "sha") as VerifyHash | undefined;
    await verifySignature({
      publicKey,
      hash: named ?? hashOf(publicKey),
      signature,
      reader: bytesReader(artifact),
    });
  }
}

const sources = [...Deno.readDirSync(join(VECTORS, "bundles"))].filter((d) => d.isDirectory)
  .map((d) => d.name).sort();
let count = 0;
for (const source of sources) {
  const dir = join(VECTORS, "bundles", source);
  const { cases } = JSON.parse(Deno.readTextFileSync(join(dir, "cases.json"))) as { cases: Case[] };
  for (const c of cases) {
    const material = c.bundle_info.material;
    if (material !== "certificate" && material !== "x509CertificateChain") continue;
    const known = OUTCOMES[c.bundle];
    let bundle: SigstoreBundle | undefined;
    try {
      bundle = parseBundle(await Deno.readFile(join(dir, c.bundle)));
    } catch (e) {
      if (!(e instanceof TypeError || e instanceof SyntaxError)) throw e;
    }
    const outcome: Outcome = known?.outcome ??
      (bundle ? (c.expected.startsWith("pass") ? "pass" : "?") as Outcome : "parse");
    const why = known?.why ?? c.expected;
    count++;
    Deno.test(`${source} ${c.bundle}: keyless ${outcome} (${why})`, async () => {
      if (outcome === "parse") {
        assert.equal(bundle, undefined, "the bundle should not parse");
        assert.ok(
          c.expected.startsWith("fail") || known?.outcome === "parse",
          "only failing cases may fail to parse",
        );
        return;
      }
      assert.ok(bundle, "the bundle parses");
      assert.notEqual(outcome, "?", `${c.bundle}: a failing case without an expected outcome`);
      const ids = IDENTITIES[c.bundle];
      if (outcome === "pass") {
        await verifyCase(dir, c, bundle, ids?.ok);
        if (ids) {
          await assert.rejects(verifyCase(dir, c, bundle, ids.wrong), {
            code: "CERT_IDENTITY_MISMATCH",
          });
        }
      } else {
        await assert.rejects(verifyCase(dir, c, bundle, ids?.ok), (e: unknown) => {
          assert.ok(e instanceof VerificationError, String(e));
          assert.equal(e.code, outcome, e.message);
          return true;
        });
      }
    });
  }
}

Deno.test("every keyless bundle vector was visited", () => {
  assert.ok(count >= 40, `only ${count} cases`);
});
