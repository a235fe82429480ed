import assert from "node:assert/strict";
import { VerificationError } from "../errors.ts";
import { parsePublicKeyPem } from "../keys/public_key.ts";
import {
  type EntryBinding,
  parseHashedRekordBody,
  parseRekorEntry,
  type RekorEntry,
  verifyTlogEntry,
} from "./verify_entry.ts";
import { VECTORS } from "../../tests/_vectors.ts";

const dir = VECTORS + "rekor/";

const publicGood = parsePublicKeyPem(Deno.readTextFileSync(dir + "public-good-rekor.pub"));
const staging = parsePublicKeyPem(Deno.readTextFileSync(dir + "staging-rekor.pub"));

function load(name: string): RekorEntry {
  const json = JSON.parse(Deno.readTextFileSync(dir + name));
  return parseRekorEntry(Object.values(json)[0]);
}

const FULL = [
  ["public-good-hashedrekord-entry-270584577.json", publicGood],
  ["public-good-jar-entry.sigstore-java.json", publicGood],
  ["staging-hashedrekord-entry.sigstore-java.json", staging],
  [
    "derived-from-bundles/public-good-hashedrekord-rsa4096-from-sigstore-java-PKIX_RSA_PKCS1V15_4096.json",
    publicGood,
  ],
  ["derived-from-bundles/public-good-intoto-from-sigstore-js-bundleV02-intoto.json", publicGood],
] as const;

for (const [name, key] of FULL) {
  Deno.test(`verifyTlogEntry() accepts ${name} (SET, inclusion proof, checkpoint)`, async () => {
    await verifyTlogEntry(load(name), { logKey: key, requireInclusionProof: true });
  });
}

Deno.test("verifyTlogEntry() accepts a SET-only staging entry and requires a proof when asked", async () => {
  const e = load("staging-hashedrekord-entry-no-inclusion-proof.sigstore-java.json");
  await verifyTlogEntry(e, { logKey: staging });
  await assert.rejects(
    verifyTlogEntry(e, { logKey: staging, requireInclusionProof: true }),
    (x: unknown) => x instanceof VerificationError && x.code === "TLOG_INCLUSION_INVALID",
  );
});

Deno.test("verifyTlogEntry() accepts cosign's SIGNATURE_SPEC rekorBundle payload", async () => {
  const b = JSON.parse(
    Deno.readTextFileSync(dir + "cosign-SIGNATURE_SPEC-example-rekorBundle.json"),
  );
  await verifyTlogEntry({
    ...b.Payload,
    verification: { signedEntryTimestamp: b.SignedEntryTimestamp },
  }, { logKey: publicGood });
});

Deno.test("a cosign 1.x rekord entry (SIGNATURE_SPEC) binds to its signature, certificate and digest", async () => {
  const b = JSON.parse(
    Deno.readTextFileSync(dir + "cosign-SIGNATURE_SPEC-example-rekorBundle.json"),
  );
  const entry = { ...b.Payload, verification: { signedEntryTimestamp: b.SignedEntryTimestamp } };
  const body = parseHashedRekordBody(entry.body);
  const binding: EntryBinding = {
    signature: body.signature,
    keyDer: body.keyDer,
    digest: { algorithm: "sha256", value: Uint8Array.fromHex(body.digest) },
  };
  await verifyTlogEntry(entry, { logKey: publicGood, binding });
  const { parseEntryBody } = await import("./entry_body.ts");
  assert.equal(parseEntryBody(entry.body).digest?.value.toHex(), body.digest);
  const other = new Uint8Array(binding.digest.value);
  other[0] ^= 1;
  await assert.rejects(
    verifyTlogEntry(entry, {
      logKey: publicGood,
      binding: { ...binding, digest: { algorithm: "sha256", value: other } },
    }),
    (x: unknown) => x instanceof VerificationError && x.code === "TLOG_ENTRY_MISMATCH",
  );
});

Deno.test("verifyInclusionProof() follows rekor's TestInclusion vectors", async () => {
  const v = JSON.parse(Deno.readTextFileSync(dir + "rekor-verify_test-inclusion-vectors.json"));
  const { hashLeaf, verifyInclusion } = await import("./merkle.ts");
  for (const c of v.cases.filter((c: { entry?: unknown }) => c.entry)) {
    const e = parseRekorEntry(c.entry);
    const p = e.verification!.inclusionProof!;
    const run = () =>
      verifyInclusion(
        BigInt(p.logIndex),
        BigInt(p.treeSize),
        hashLeaf(Uint8Array.fromBase64(e.body)),
        p.hashes.map((h) => Uint8Array.fromHex(h)),
        Uint8Array.fromHex(p.rootHash),
      );
    if (String(c.expected).includes("fails")) {
      assert.throws(
        run,
        (x: unknown) => x instanceof VerificationError && x.code === "TLOG_INCLUSION_INVALID",
      );
    } else run();
  }
});

/** Flips one character of a base64/hex/decimal string, keeping it well-formed. */
function flip(s: string, i = 10): string {
  const c = s[i];
  const r = /[0-9]/.test(c)
    ? String((Number(c) + 1) % 10)
    : c === "A"
    ? "B"
    : c === "a"
    ? "b"
    : "A";
  return s.slice(0, i) + r + s.slice(i + 1);
}

type Mut = [string, (e: RekorEntry) => void, string];
const MUTATIONS: Mut[] = [
  ["body", (e) => e.body = flip(e.body, 40), "TLOG_SET_INVALID"],
  ["integratedTime", (e) => e.integratedTime += 1, "TLOG_SET_INVALID"],
  ["logIndex", (e) => e.logIndex += 1, "TLOG_SET_INVALID"],
  ["logID", (e) => e.logID = flip(e.logID, 5), "TLOG_LOG_KEY_UNKNOWN"],
  [
    "signedEntryTimestamp",
    (e) => e.verification!.signedEntryTimestamp = flip(e.verification!.signedEntryTimestamp!, 20),
    "TLOG_SET_INVALID",
  ],
  [
    "inclusion proof hash",
    (e) =>
      e.verification!.inclusionProof!.hashes[3] = flip(e.verification!.inclusionProof!.hashes[3]),
    "TLOG_INCLUSION_INVALID",
  ],
  [
    "inclusion proof rootHash",
    (e) =>
      e.verification!.inclusionProof!.rootHash = flip(e.verification!.inclusionProof!.rootHash),
    "TLOG_INCLUSION_INVALID",
  ],
  [
    "inclusion proof logIndex",
    (e) => e.verification!.inclusionProof!.logIndex += 1,
    "TLOG_INCLUSION_INVALID",
  ],
  // The audit path of this index is the same in a tree one larger: the checkpoint catches it.
  [
    "inclusion proof treeSize",
    (e) => e.verification!.inclusionProof!.treeSize += 1,
    "TLOG_CHECKPOINT_INVALID",
  ],
  [
    "checkpoint signature",
    (e) => {
      const cp = e.verification!.inclusionProof!.checkpoint!;
      e.verification!.inclusionProof!.checkpoint = flip(cp, cp.length - 10);
    },
    "TLOG_CHECKPOINT_INVALID",
  ],
  [
    "checkpoint root",
    (e) => {
      const cp = e.verification!.inclusionProof!.checkpoint!;
      const lines = cp.split("\n");
      lines[2] = flip(lines[2], 3);
      e.verification!.inclusionProof!.checkpoint = lines.join("\n");
    },
    "TLOG_CHECKPOINT_INVALID",
  ],
  [
    "checkpoint without signature lines",
    (e) => {
      const cp = e.verification!.inclusionProof!.checkpoint!;
      e.verification!.inclusionProof!.checkpoint = cp.slice(0, cp.indexOf("\n\n") + 2);
    },
    "TLOG_CHECKPOINT_INVALID",
  ],
];

for (const [field, mutate, code] of MUTATIONS) {
  Deno.test(`verifyTlogEntry() rejects a changed ${field} with ${code}`, async () => {
    const e = structuredClone(load("public-good-hashedrekord-entry-270584577.json"));
    mutate(e);
    await assert.rejects(
      verifyTlogEntry(e, { logKey: publicGood, requireInclusionProof: true }),
      (x: unknown) => x instanceof VerificationError && x.code === code,
    );
  });
}

Deno.test("verifyTlogEntry() rejects an entry integrated in the future", async () => {
  const e = load("public-good-hashedrekord-entry-270584577.json");
  await assert.rejects(
    verifyTlogEntry(e, { logKey: publicGood, now: (e.integratedTime - 3600) * 1000 }),
    (x: unknown) => x instanceof VerificationError && x.code === "TLOG_TIME_INVALID",
  );
});

Deno.test("verifyTlogEntry() rejects an entry of another log", async () => {
  await assert.rejects(
    verifyTlogEntry(load("public-good-hashedrekord-entry-270584577.json"), { logKey: staging }),
    (x: unknown) => x instanceof VerificationError && x.code === "TLOG_LOG_KEY_UNKNOWN",
  );
});

function bindingOf(e: RekorEntry): EntryBinding {
  const b = parseHashedRekordBody(e.body);
  return {
    signature: b.signature,
    keyDer: b.keyDer,
    digest: { algorithm: "sha256", value: Uint8Array.fromHex(b.digest) },
  };
}

Deno.test("verifyTlogEntry() checks the entry names this signature, key and digest", async () => {
  const e = load("public-good-hashedrekord-entry-270584577.json");
  const ok = bindingOf(e);
  await verifyTlogEntry(e, { logKey: publicGood, requireInclusionProof: true, binding: ok });
  const other = bindingOf(load("staging-hashedrekord-entry.sigstore-java.json"));
  const cases: [string, EntryBinding][] = [
    ["signature", { ...ok, signature: other.signature }],
    ["key", { ...ok, keyDer: other.keyDer }],
    ["digest", { ...ok, digest: other.digest }],
    ["algorithm", { ...ok, digest: { algorithm: "sha512", value: ok.digest.value } }],
  ];
  for (const [what, binding] of cases) {
    await assert.rejects(
      verifyTlogEntry(e, { logKey: publicGood, binding }),
      (x: unknown) => x instanceof VerificationError && x.code === "TLOG_ENTRY_MISMATCH",
      what,
    );
  }
});

Deno.test("verifyEntryBinding() refuses a body that is not hashedrekord", async () => {
  const e = load("public-good-jar-entry.sigstore-java.json");
  await assert.rejects(
    verifyTlogEntry(e, {
      logKey: publicGood,
      binding: bindingOf(load("staging-hashedrekord-entry.sigstore-java.json")),
    }),
    (x: unknown) => x instanceof VerificationError && x.code === "TLOG_ENTRY_INVALID",
  );
});
