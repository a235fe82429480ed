/**
 * awsKms() against nsmithuk/local-kms (a real AWS KMS emulator, tests/peers/local_kms.ts): key
 * creation as `cosign generate-key-pair --kms`, public keys, digests signed by the service and
 * verified here, the requests' SigV4 headers, configuration from files, and the errors.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startLocalKms } from "../../tests/peers/local_kms.ts";
import { verifySignature } from "../signature/verify_signature.ts";
import { bytesReader } from "../stream.ts";
import { signAwsRequest } from "./_sigv4.ts";
import { awsKms, parseAwsKmsUri } from "./aws_kms.ts";
import { openKmsSigner } from "./kms_signer.ts";

const kms = await startLocalKms();
addEventListener("unload", () => void kms.stop());
const getEnv = (extra: Record<string, string> = {}) => (name: string) =>
  ({ ...kms.env, ...extra })[name];

Deno.test("parseAwsKmsUri() takes sigstore's four forms, with or without an endpoint", () => {
  const id = "1234abcd-12ab-34cd-56ef-1234567890ab";
  const arn = `arn:aws:kms:us-east-2:111122223333:key/${id}`;
  const aliasArn = "arn:aws:kms:us-east-2:111122223333:alias/ExampleAlias";
  assert.deepEqual(parseAwsKmsUri(`awskms:///${id}`), { endpoint: "", keyId: id });
  assert.deepEqual(parseAwsKmsUri(`awskms://localhost:4566/${arn}`), {
    endpoint: "localhost:4566",
    keyId: arn,
  });
  assert.deepEqual(parseAwsKmsUri("awskms:///alias/ExampleAlias"), {
    endpoint: "",
    keyId: "alias/ExampleAlias",
    alias: "alias/ExampleAlias",
  });
  assert.deepEqual(parseAwsKmsUri(`awskms:///${aliasArn}`), {
    endpoint: "",
    keyId: aliasArn,
    alias: "alias/ExampleAlias",
  });
  for (
    const bad of [
      "awskms://alias/x",
      "awskms:///not-a-key",
      "awskms:///arn:aws:kms:us-east-2:1:key/x",
    ]
  ) {
    assert.throws(() => parseAwsKmsUri(bad), {
      name: "TypeError",
      message:
        "Cannot parse AWS KMS URI: kms specification should be in the format awskms://[ENDPOINT]/[ID/ALIAS/ARN] (endpoint optional)",
    }, bad);
  }
});

Deno.test("awsKms() creates an ECC_NIST_P256 key behind an alias once, then signs digests with it", async () => {
  const key = awsKms("awskms:///alias/created", { getEnv: getEnv() });
  await assert.rejects(() => key.publicKey(), {
    name: "KeyError",
    code: "KEY_NOT_FOUND",
    message:
      "Cannot GetPublicKey with AWS KMS key alias/created: NotFoundException: Alias arn:aws:kms:us-east-1:111122223333:alias/created is not found.",
  });
  const pub = await key.createKey();
  assert.equal(pub.kind, "ecdsa");
  assert.equal(pub.curve, "P-256");
  assert.equal(await key.hash(), "sha256");
  // A second generate-key-pair keeps the key.
  const again = await awsKms("awskms:///alias/created", { getEnv: getEnv() }).createKey();
  assert.deepEqual(again.spki, pub.spki);

  const signer = await openKmsSigner("awskms:///alias/created", { getEnv: getEnv() });
  const message = new TextEncoder().encode("signed by AWS KMS\n");
  const signature = await signer.sign(bytesReader(message));
  await verifySignature({
    publicKey: pub,
    hash: "sha256",
    signature,
    reader: bytesReader(message),
  });
  await assert.rejects(
    () =>
      verifySignature({
        publicKey: pub,
        hash: "sha256",
        signature,
        reader: bytesReader(new TextEncoder().encode("another message")),
      }),
    { code: "SIGNATURE_INVALID" },
  );
});

Deno.test("awsKms() sends KMS JSON requests signed with SigV4 over exactly what it sends", async () => {
  const seen: { url: string; headers: Headers; body: Uint8Array }[] = [];
  const recording: typeof fetch = async (input, init) => {
    const req = new Request(input, init);
    const body = new Uint8Array(await req.clone().arrayBuffer());
    seen.push({ url: req.url, headers: req.headers, body });
    return fetch(req);
  };
  const now = new Date("2026-08-01T10:20:30Z");
  const env = getEnv({ AWS_SESSION_TOKEN: "session-token" });
  const key = awsKms("awskms:///alias/created", { getEnv: env, fetch: recording, now: () => now });
  await key.publicKey();
  assert.deepEqual(
    seen.map((r) => r.headers.get("x-amz-target")),
    ["TrentService.GetPublicKey", "TrentService.DescribeKey"],
  );
  for (const r of seen) {
    assert.equal(r.url, `${kms.url}/`);
    assert.equal(r.headers.get("content-type"), "application/x-amz-json-1.1");
    assert.equal(r.headers.get("x-amz-date"), "20260801T102030Z");
    assert.equal(r.headers.get("x-amz-security-token"), "session-token");
    assert.deepEqual(JSON.parse(new TextDecoder().decode(r.body)), { KeyId: "alias/created" });
    const expected = await signAwsRequest(
      {
        method: "POST",
        url: new URL(r.url),
        headers: {
          "content-type": r.headers.get("content-type")!,
          "x-amz-target": r.headers.get("x-amz-target")!,
          "content-length": String(r.body.length),
        },
        body: r.body,
      },
      {
        accessKeyId: "AKIDEXAMPLE",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        sessionToken: "session-token",
      },
      { region: "us-east-1", service: "kms" },
      now,
    );
    assert.equal(r.headers.get("authorization"), expected.authorization);
    assert.match(
      r.headers.get("authorization")!,
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260801\/us-east-1\/kms\/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}$/,
    );
  }
});

Deno.test("awsKms() reads the region and credentials from ~/.aws files, AWS_PROFILE included", async () => {
  const home = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(home, ".aws"));
    await Deno.writeTextFile(join(home, ".aws", "config"), "[profile ci]\nregion = us-east-1\n");
    await Deno.writeTextFile(
      join(home, ".aws", "credentials"),
      "[default]\naws_access_key_id = WRONG\n\n[ci]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n",
    );
    const env: Record<string, string> = {
      HOME: home,
      AWS_PROFILE: "ci",
      AWS_ENDPOINT_URL: kms.url,
    };
    const pub = await awsKms("awskms:///alias/created", { getEnv: (n) => env[n] }).publicKey();
    assert.equal(pub.curve, "P-256");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("awsKms() fails with one coded line when configuration is missing or the key is wrong", async () => {
  const empty = await Deno.makeTempDir();
  const cases: [Record<string, string>, string, string, string][] = [
    [
      { HOME: empty },
      "awskms:///alias/created",
      "KMS_CREDENTIALS_MISSING",
      "Cannot use AWS KMS: no region (set AWS_REGION or a region in ~/.aws/config)",
    ],
    [
      { HOME: empty, AWS_REGION: "us-east-1" },
      "awskms:///alias/created",
      "KMS_CREDENTIALS_MISSING",
      "Cannot use AWS KMS: no credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or profile default in ~/.aws/credentials)",
    ],
  ];
  try {
    for (const [env, ref, code, message] of cases) {
      await assert.rejects(() => awsKms(ref, { getEnv: (n) => env[n] }).publicKey(), {
        name: "KeyError",
        code,
        message,
      });
    }
    const byId = awsKms("awskms:///1234abcd-12ab-34cd-56ef-1234567890ab", { getEnv: getEnv() });
    await assert.rejects(() => byId.createKey(), {
      name: "KeyError",
      code: "KEY_UNSUPPORTED",
      message: "Cannot create AWS KMS key: must use alias key format",
    });
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});
