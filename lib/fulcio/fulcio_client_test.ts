/**
 * FulcioClient against a loopback stand-in that checks the request shapes exactly (Go's
 * encoding/json for v1, fulcio.proto's JSON names for v2) and answers as Fulcio v1.8.8 does
 * (shapes observed on the real server, tests/fulcio/fulcio_peer_test.ts), with certificates
 * openssl issues for the key asked. The real Fulcio is exercised in tests/fulcio/.
 */
import assert from "node:assert/strict";
import { createVerify, generateKeyPairSync } from "node:crypto";
import { join } from "node:path";
import { decodePem } from "../keys/pem.ts";
import { marshalPublicKeyPem, publicKeyFromKeyObject } from "../keys/public_key.ts";
import { ephemeralSigner } from "../sign/keyless_signer.ts";
import { bytesReader } from "../stream.ts";
import { certificateRequestSpki, createCertificateRequest } from "./certificate_request.ts";
import { FulcioClient } from "./fulcio_client.ts";

async function openssl(args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

/** A throwaway CA that issues leaves for any public key (PEM), optionally with an SCT list. */
async function testCa(dir: string) {
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    join(dir, "ca.key"),
    "-out",
    join(dir, "ca.pem"),
    "-subj",
    "/CN=test-ca",
    "-days",
    "1",
  ]);
  const caPem = await Deno.readTextFile(join(dir, "ca.pem"));
  let n = 0;
  const issue = async (publicKeyPem: string, sct = false) => {
    const k = join(dir, `k${++n}.pem`);
    const ext = join(dir, `e${n}.cnf`);
    const out = join(dir, `c${n}.pem`);
    await Deno.writeTextFile(k, publicKeyPem);
    await Deno.writeTextFile(
      ext,
      "[x]\nbasicConstraints=critical,CA:FALSE\n" +
        (sct ? "1.3.6.1.4.1.11129.2.4.2=DER:04:02:00:00\n" : ""),
    );
    await openssl([
      "x509",
      "-new",
      "-force_pubkey",
      k,
      "-subj",
      "/",
      "-CA",
      join(dir, "ca.pem"),
      "-CAkey",
      join(dir, "ca.key"),
      "-days",
      "1",
      "-extfile",
      ext,
      "-extensions",
      "x",
      "-out",
      out,
    ]);
    return (await Deno.readTextFile(out)).trim();
  };
  return { caPem: caPem.trim(), issue };
}

/** The public key PEM in a request (v1: base64 of PEM; v2: PEM; or a CSR). */
function requestedKeyPem(body: Record<string, unknown>): string {
  const v1 = body.publicKey as { content?: string } | undefined;
  if (v1?.content) return new TextDecoder().decode(Uint8Array.fromBase64(v1.content));
  const v2 = body.publicKeyRequest as { publicKey: { content: string } } | undefined;
  if (v2) return v2.publicKey.content;
  const csr = new TextDecoder().decode(
    Uint8Array.fromBase64(body.certificateSigningRequest as string),
  );
  const spki = certificateRequestSpki(decodePem(csr)!.bytes);
  return `-----BEGIN PUBLIC KEY-----\n${spki.toBase64()}\n-----END PUBLIC KEY-----\n`;
}

type Seen = { method: string; path: string; headers: Headers; body: string };

function stubFulcio(answer: (req: Seen) => Promise<Response> | Response) {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const s = {
      method: req.method,
      path: new URL(req.url).pathname,
      headers: new Headers(req.headers),
      body: await req.text(),
    };
    seen.push(s);
    return await answer(s);
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, seen, stop: () => server.shutdown() };
}

const TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzIn0.c2ln";

Deno.test("FulcioClient v1 sends cosign's exact request and keeps cosign's certificate and chain text", async () => {
  const dir = await Deno.makeTempDir();
  const ca = await testCa(dir);
  const intermediate = ca.caPem; // stands for intermediate + root in the chain text
  let issued = "";
  const fulcio = stubFulcio(async (req) => {
    const leaf = issued = await ca.issue(requestedKeyPem(JSON.parse(req.body)));
    // Fulcio's legacy answer: each certificate followed by "\n", trimmed; detached SCT in a header.
    return new Response(`${leaf}\n${intermediate}\n${ca.caPem}`, {
      status: 201,
      headers: {
        "content-type": "application/pem-certificate-chain",
        SCT: btoa('{"sct_version":0}'),
      },
    });
  });
  try {
    const signer = ephemeralSigner();
    const signature = await signer.sign(bytesReader(new TextEncoder().encode("alice@example.com")));
    const cert = await new FulcioClient(`${fulcio.url}/`, {
      userAgent: "cosign/v2.6.4 (linux; amd64)",
    })
      .signingCertificate({ idToken: TOKEN, proof: { publicKey: signer.publicKey, signature } });
    const req = fulcio.seen[0];
    assert.equal(req.method, "POST");
    assert.equal(req.path, "/api/v1/signingCert");
    assert.equal(req.headers.get("authorization"), `Bearer ${TOKEN}`);
    assert.equal(req.headers.get("content-type"), "application/json");
    assert.equal(req.headers.get("user-agent"), "cosign/v2.6.4 (linux; amd64)");
    const pemB64 = new TextEncoder().encode(marshalPublicKeyPem(signer.publicKey)).toBase64();
    assert.equal(
      req.body,
      `{"publicKey":{"content":"${pemB64}"},"signedEmailAddress":"${signature.toBase64()}","certificateSigningRequest":null}`,
    );
    // The proof verifies with the key (Fulcio's check).
    assert.ok(
      createVerify("sha256").update("alice@example.com").verify(
        signer.publicKey.keyObject,
        signature,
      ),
    );
    assert.equal(cert.certificatePem, `${issued}\n`); // Go's pem.EncodeToMemory of the leaf
    assert.equal(cert.chainPem, `${intermediate}\n${ca.caPem}`);
    assert.equal(cert.chainDer.length, 2);
    assert.deepEqual(cert.sct, {
      kind: "detached",
      sct: new TextEncoder().encode('{"sct_version":0}'),
    });
  } finally {
    await fulcio.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FulcioClient v2 sends fulcio.proto's JSON and reads embedded and detached SCT answers", async () => {
  const dir = await Deno.makeTempDir();
  const ca = await testCa(dir);
  let embedded = true;
  const fulcio = stubFulcio(async (req) => {
    const leaf = await ca.issue(requestedKeyPem(JSON.parse(req.body)), embedded);
    const chain = { certificates: [leaf, ca.caPem] };
    return Response.json(
      embedded
        ? { signedCertificateEmbeddedSct: { chain } }
        : { signedCertificateDetachedSct: { chain, signedCertificateTimestamp: "" } },
    );
  });
  try {
    const signer = ephemeralSigner();
    const signature = await signer.sign(bytesReader(new TextEncoder().encode("s")));
    const client = new FulcioClient(fulcio.url);
    const cert = await client.signingCertificate({
      idToken: TOKEN,
      proof: { publicKey: signer.publicKey, signature },
      api: "v2",
    });
    const req = fulcio.seen[0];
    assert.equal(req.path, "/api/v2/signingCert");
    assert.equal(req.headers.get("authorization"), `Bearer ${TOKEN}`);
    assert.deepEqual(JSON.parse(req.body), {
      credentials: { oidcIdentityToken: TOKEN },
      publicKeyRequest: {
        publicKey: { algorithm: "ECDSA", content: marshalPublicKeyPem(signer.publicKey) },
        proofOfPossession: signature.toBase64(),
      },
    });
    assert.deepEqual(cert.sct, { kind: "embedded" });
    assert.equal(cert.chainPem, ca.caPem);
    embedded = false;
    const csr = await createCertificateRequest(signer);
    const viaCsr = await client.signingCertificate({
      idToken: TOKEN,
      proof: { csrDer: csr.der },
      api: "v2",
    });
    assert.deepEqual(JSON.parse(fulcio.seen[1].body), {
      credentials: { oidcIdentityToken: TOKEN },
      certificateSigningRequest: new TextEncoder().encode(csr.pem).toBase64(),
    });
    assert.deepEqual(viaCsr.sct, { kind: "none" });
  } finally {
    await fulcio.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FulcioClient refuses a certificate for another key, and Fulcio's errors, with clear messages", async () => {
  const dir = await Deno.makeTempDir();
  const ca = await testCa(dir);
  const other = marshalPublicKeyPem(
    publicKeyFromKeyObject(generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey),
  );
  let mode = "other-key";
  const fulcio = stubFulcio(async () => {
    switch (mode) {
      case "other-key":
        return Response.json({
          signedCertificateEmbeddedSct: {
            chain: { certificates: [await ca.issue(other), ca.caPem] },
          },
        });
      case "refused":
        return Response.json({
          code: 3,
          message: "There was an error processing the identity token",
          details: [],
        }, {
          status: 400,
          statusText: "Bad Request",
        });
      case "empty":
        return Response.json({});
      case "not-pem":
        return Response.json({
          signedCertificateDetachedSct: { chain: { certificates: ["hello"] } },
        });
      case "huge":
        return new Response("x".repeat(300 * 1024));
      default:
        return new Response("no", { status: 500 });
    }
  });
  try {
    const signer = ephemeralSigner();
    const proof = { publicKey: signer.publicKey, signature: new Uint8Array([1]) };
    const client = new FulcioClient(fulcio.url);
    const cases: Array<[string, string, string, string]> = [
      [
        "other-key",
        "VerificationError",
        "FULCIO_KEY_MISMATCH",
        "Cannot use Fulcio certificate: it certifies another public key than the one that asked",
      ],
      [
        "refused",
        "SigstoreError",
        "FULCIO_REQUEST_FAILED",
        `Cannot get signing certificate from Fulcio: POST ${fulcio.url}/api/v2/signingCert returned 400 Bad Request: There was an error processing the identity token`,
      ],
      [
        "empty",
        "SigstoreError",
        "FULCIO_RESPONSE_INVALID",
        "Cannot read Fulcio's answer: Fulcio returned no certificates",
      ],
      [
        "not-pem",
        "SigstoreError",
        "FULCIO_RESPONSE_INVALID",
        "Cannot read Fulcio's answer: a chain entry is not a PEM certificate",
      ],
      [
        "huge",
        "SigstoreError",
        "FULCIO_RESPONSE_INVALID",
        `Cannot read Fulcio's answer: Cannot read the answer of ${fulcio.url}/api/v2/signingCert: larger than 262144 bytes`,
      ],
    ];
    for (const [m, name, code, message] of cases) {
      mode = m;
      await assert.rejects(client.signingCertificate({ idToken: TOKEN, proof, api: "v2" }), {
        name,
        code,
        message,
      });
    }
    // The token never appears in a message.
    mode = "refused";
    await assert.rejects(
      client.signingCertificate({ idToken: TOKEN, proof }),
      (e: Error) => !e.message.includes(TOKEN),
    );
    await assert.rejects(
      new FulcioClient("http://127.0.0.1:1").signingCertificate({ idToken: TOKEN, proof }),
      {
        code: "FULCIO_REQUEST_FAILED",
        message:
          /^Cannot get signing certificate from Fulcio: Cannot reach http:\/\/127\.0\.0\.1:1\/api\/v1\/signingCert: /,
      },
    );
    assert.throws(() => new FulcioClient("ftp://x"), {
      name: "TypeError",
      message: "Cannot use Fulcio URL ftp://x: not an http(s) URL",
    });
  } finally {
    await fulcio.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createCertificateRequest() writes a CSR openssl verifies, carrying the signer's key", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const signer = ephemeralSigner();
    const csr = await createCertificateRequest(signer);
    assert.deepEqual(certificateRequestSpki(csr.der), signer.publicKey.spki);
    await Deno.writeTextFile(join(dir, "r.csr"), csr.pem);
    const out = await new Deno.Command("openssl", {
      args: ["req", "-in", join(dir, "r.csr"), "-verify", "-noout"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success);
    assert.match(
      new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout),
      /verify OK/i,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
