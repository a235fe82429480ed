/**
 * Sigstore bundles from other implementations (tests/fixtures/vectors/bundles/<source>/cases.json):
 * for every case, our bundle parser and transparency-log verifier give the expected result
 * against the case's trusted root — the SET, the inclusion proof and checkpoint (Rekor v1 and
 * Rekor v2 signed notes), the log's validity, and the binding of the entry to the bundle's
 * signature, key or certificate, and digest or DSSE payload.
 *
 * Scope: only the transparency log material and its binding. Certificate chains, SCTs, RFC 3161
 * timestamps and identity policies are NOT checked here, so a case that the other
 * implementation rejects for one of those reasons (an expired certificate, a chain without a
 * root, two DSSE signatures, a missing signed time) is expected to PASS our tlog check; the
 * table below says which, and why.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { parseBundle, parseTlogEntry } from "../../lib/bundle/bundle.ts";
import { verifyBundleTlog, verifyTlogEntryMaterial } from "../../lib/bundle/verify_bundle_tlog.ts";
import { VerificationError } from "../../lib/errors.ts";
import { decodePem } from "../../lib/keys/pem.ts";
import { findLog, logKeyId, logOrigin, parseTrustedRoot } from "../../lib/trust/trusted_root.ts";
import { VECTORS } from "../_vectors.ts";

interface Case {
  bundle: string;
  expected: string;
  trusted_root: string;
  artifact?: string | null;
  artifact_sha256?: string;
  bundle_info: { tlog?: string[] };
  tlog_check_by_collector:
    | string
    | { kind: string; SET?: boolean; inclusion?: boolean; checkpoint?: boolean }[];
}

type Expectation = "pass" | "parse" | VerificationError["code"];

/** Cases whose expected tlog result is not what the collector's tlog check alone says. */
const OVERRIDES: Record<string, { expect: Expectation; why: string }> = {
  "bundle_cve_2022_36056.txt.sigstore": {
    expect: "TLOG_ENTRY_MISMATCH",
    why: "CVE-2022-36056: a valid entry for another signature",
  },
  "bundle-with-wrong-tlog-entry.sigstore": {
    expect: "TLOG_ENTRY_MISMATCH",
    why: "entry from another artifact signed with the same certificate",
  },
  "bundle.dsse.mismatched-envelope.sigstore": {
    expect: "TLOG_ENTRY_MISMATCH",
    why: "payload hash in the entry is not the envelope's",
  },
  "bundle.dsse.mismatched-signature.sigstore": {
    expect: "TLOG_ENTRY_MISMATCH",
    why: "signature in the entry is not the envelope's",
  },
  "bundle_invalid_version.txt.sigstore": { expect: "parse", why: "unknown media type" },
  "bundle.v2.no.inclusion.sigstore": {
    expect: "parse",
    why: "v0.2+ entries need an inclusion proof (sigstore-go validate)",
  },
  "bundle.v3.no.inclusion.sigstore": {
    expect: "parse",
    why: "v0.2+ entries need an inclusion proof (sigstore-go validate)",
  },
  "bundle-no-digest.sigstore": {
    expect: "parse",
    why:
      "a v0.3 bundle with a certificate chain: sigstore-go (so cosign) refuses it, sigstore-java not",
  },
  "bundle_no_cert_v1.txt.sigstore": {
    expect: "parse",
    why: "an inclusion proof without checkpoint (sigstore-go refuses it)",
  },
  "bundle.dsse.bad-signature.sigstore": {
    expect: "TLOG_ENTRY_MISMATCH",
    why: "the envelope's signature was altered, so it is not the logged one",
  },
  "dsse-2sigs.sigstore.json": {
    expect: "TLOG_ENTRY_MISMATCH",
    why: "a Sigstore bundle's log entry binds exactly one DSSE signature; two are refused",
  },
  "bundle.v1.no.inclusion.sigstore": {
    expect: "pass",
    why: "v0.1 allows a SET alone (sigstore-go); sigstore-java insists on a proof",
  },
};

/** Failing cases whose failure lies outside the tlog material (their tlog must verify). */
const NOT_TLOG: Record<string, string> = {
  "bundle-with-expired-cert.sigstore": "certificate validity",
  "bundle_v3_no_signed_time.txt.sigstore.json": "no SET or RFC 3161 time (keyless policy)",
};

/** Keys for bundles whose verification material is a public key hint. */
const KEYS: Record<string, string> = {
  "bundle-publish.json": "publish_key.pub",
  "public-key-validity.sigstore.json": "public-key-validity.pem",
};

function expectationOf(c: Case): { expect: Expectation; why: string } {
  const o = OVERRIDES[c.bundle];
  if (o) return o;
  const t = c.tlog_check_by_collector;
  if (typeof t === "string") return { expect: "parse", why: t };
  if (t.length === 0) return { expect: "TLOG_ENTRY_NOT_FOUND", why: "no log entry" };
  if (t.some((x) => x.SET === false)) return { expect: "TLOG_SET_INVALID", why: "bad SET" };
  if (t.some((x) => x.checkpoint === false)) {
    return { expect: "TLOG_CHECKPOINT_INVALID", why: "bad checkpoint" };
  }
  if (t.some((x) => x.inclusion === false)) {
    return { expect: "TLOG_INCLUSION_INVALID", why: "bad inclusion proof" };
  }
  if (c.expected.startsWith("fail") && !NOT_TLOG[c.bundle]) {
    throw new Error(`${c.bundle}: failing case without a tlog expectation`);
  }
  return { expect: "pass", why: NOT_TLOG[c.bundle] ?? "valid" };
}

const sources = [...Deno.readDirSync(join(VECTORS, "bundles"))].filter((d) => d.isDirectory)
  .map((d) => d.name).sort();
let count = 0;
for (const source of sources) {
  const dir = join(VECTORS, "bundles", source);
  const { cases } = JSON.parse(Deno.readTextFileSync(join(dir, "cases.json"))) as {
    cases: Case[];
  };
  for (const c of cases) {
    const { expect, why } = expectationOf(c);
    count++;
    Deno.test(`${source} ${c.bundle}: tlog material ${expect} (${why})`, async () => {
      const root = parseTrustedRoot(await Deno.readFile(join(dir, c.trusted_root)));
      const bytes = await Deno.readFile(join(dir, c.bundle));
      if (expect === "parse") {
        assert.throws(
          () => parseBundle(bytes),
          (e) => e instanceof TypeError || e instanceof SyntaxError,
        );
        return;
      }
      const bundle = parseBundle(bytes);
      let artifactDigest: { algorithm: string; value: Uint8Array } | undefined;
      const named = bundle.messageSignature?.messageDigest?.algorithm ?? "SHA2_256";
      const algorithm = named.replace(/^SHA2_/, "sha");
      if (c.artifact && !c.artifact.includes(" ")) {
        const blob = await Deno.readFile(join(dir, c.artifact));
        artifactDigest = {
          algorithm,
          value: new Uint8Array(createHash(algorithm).update(blob).digest()),
        };
      } else if (c.artifact_sha256) {
        artifactDigest = { algorithm: "sha256", value: Uint8Array.fromHex(c.artifact_sha256) };
      }
      if (!bundle.messageSignature) artifactDigest = undefined;
      let keyDer: Uint8Array | undefined;
      if (KEYS[c.bundle]) {
        keyDer = decodePem(await Deno.readFile(join(dir, KEYS[c.bundle])))!.bytes;
      }
      const run = () => verifyBundleTlog(bundle, { trustedRoot: root, keyDer, artifactDigest });
      if (expect === "pass") {
        const verified = await run();
        assert.ok(verified.length >= 1);
        for (const v of verified) {
          // Rekor v2 logs are found by their C2SP signed-note key ID.
          if (v.entry.kind === "hashedrekord" && v.entry.version === "0.0.2") {
            assert.deepEqual(logKeyId(v.log.publicKey, logOrigin(v.log.baseUrl)), v.log.keyId);
          }
        }
      } else {
        await assert.rejects(run, (e) => e instanceof VerificationError && e.code === expect);
      }
    });
  }
}

Deno.test("every bundle vector was visited", () => {
  assert.ok(count >= 50, `only ${count} cases`);
});

Deno.test("every Rekor v2 log of the vector roots has the C2SP key ID, every v1 log SHA-256(SPKI)", async () => {
  const roots = [
    join(VECTORS, "roots", "public-good_trusted_root.json"),
    join(VECTORS, "roots", "staging_trusted_root.conformance-rekor2-dsse.json"),
    join(VECTORS, "bundles", "sigstore-python", "trusted_root.staging.json"),
  ];
  let v2 = 0;
  for (const path of roots) {
    const root = parseTrustedRoot(await Deno.readFile(path));
    for (const log of root.tlogs) {
      const id = logKeyId(log.publicKey, logOrigin(log.baseUrl));
      assert.deepEqual(id, log.keyId, `${dirname(path)} ${log.baseUrl}`);
      assert.equal(findLog(root.tlogs, id), log);
      if (log.publicKey.kind === "ed25519") v2++;
    }
  }
  assert.ok(v2 >= 3);
});

Deno.test("a real Rekor v2 entry (sigstore-java) verifies with the v2 key ID; its negatives fail", async () => {
  const root = parseTrustedRoot(
    await Deno.readFile(join(VECTORS, "roots", "staging_trusted_root.sigstore-java-snapshot.json")),
  );
  const json = JSON.parse(
    await Deno.readTextFile(
      join(VECTORS, "rekor", "staging-rekor-v2-hashedrekord-tle.sigstore-java.json"),
    ),
  );
  const entry = parseTlogEntry(json);
  const log = findLog(root.tlogs, entry.logId)!;
  assert.equal(log.keyDetails, "PKIX_ED25519");
  assert.deepEqual(logKeyId(log.publicKey, logOrigin(log.baseUrl)), entry.logId);
  await verifyTlogEntryMaterial(entry, log);
  // sigstore-java's negatives: another origin in the checkpoint; no inclusion proof; unknown log.
  const moved = parseTlogEntry(json);
  moved.inclusionProof!.checkpoint = moved.inclusionProof!.checkpoint.replaceAll(
    "sigstage",
    "github",
  );
  await assert.rejects(() => verifyTlogEntryMaterial(moved, log), {
    code: "TLOG_CHECKPOINT_INVALID",
  });
  const noProof = parseTlogEntry(json);
  delete noProof.inclusionProof;
  await assert.rejects(() => verifyTlogEntryMaterial(noProof, log), {
    code: "TLOG_INCLUSION_INVALID",
  });
  assert.equal(findLog(root.tlogs, new TextEncoder().encode("invalid")), undefined);
  const hash = parseTlogEntry(json);
  hash.inclusionProof!.hashes[0][0] ^= 1;
  await assert.rejects(() => verifyTlogEntryMaterial(hash, log), {
    code: "TLOG_INCLUSION_INVALID",
  });
});
