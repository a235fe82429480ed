/**
 * The Fulcio client and the keyless signer against the real Fulcio v1.8.8 (tests/peers/fulcio.ts),
 * trusting the test OIDC provider (tests/helpers/oidc_provider.ts), whose browser flow the test
 * plays. Go cosign v2.6.4 then verifies a blob signed by our keyless signer.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import { createCertificateRequest } from "../../lib/fulcio/certificate_request.ts";
import { FulcioClient, type SigningCertificate } from "../../lib/fulcio/fulcio_client.ts";
import { decodePem } from "../../lib/keys/pem.ts";
import {
  createKeylessSigner,
  ephemeralSigner,
  type SctVerificationInput,
} from "../../lib/sign/keyless_signer.ts";
import { bytesReader } from "../../lib/stream.ts";
import { startTestOidcProvider, type TestOidcProvider } from "../helpers/oidc_provider.ts";
import { cosignBinary } from "../peers/cosign.ts";
import { startCtLog } from "../peers/ct_log.ts";
import { type FulcioPeer, startFulcio } from "../peers/fulcio.ts";
import { startRekor } from "../peers/rekor.ts";

const ALICE = { sub: "user-1234", email: "alice@example.com", email_verified: true };

const der = (pem: string) => decodePem(pem)!.bytes;

/** A proxy in front of Fulcio that counts certificate requests and can swap answers. */
function proxy(target: string) {
  const state = { requests: 0, swapWith: undefined as string | undefined };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const u = new URL(req.url);
    if (u.pathname.endsWith("/signingCert")) state.requests++;
    const res = await fetch(target + u.pathname + u.search, {
      method: req.method,
      headers: req.headers,
      body: req.method === "POST" ? await req.arrayBuffer() : undefined,
    });
    const body = await res.text();
    return new Response(state.swapWith ?? body, { status: res.status, headers: res.headers });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, state, stop: () => server.shutdown() };
}

async function request(
  fulcio: string,
  token: string,
  api: "v1" | "v2",
  proof: "signed-subject" | "csr",
): Promise<SigningCertificate> {
  const signer = ephemeralSigner();
  const client = new FulcioClient(fulcio);
  if (proof === "csr") {
    const csr = await createCertificateRequest(signer);
    return await client.signingCertificate({ idToken: token, proof: { csrDer: csr.der }, api });
  }
  const signature = await signer.sign(bytesReader(new TextEncoder().encode(ALICE.email)));
  return await client.signingCertificate({
    idToken: token,
    proof: { publicKey: signer.publicKey, signature },
    api,
  });
}

function checkAlice(cert: SigningCertificate, peer: FulcioPeer) {
  const x = new X509Certificate(cert.certificateDer);
  assert.equal(x.subjectAltName, "email:alice@example.com");
  assert.deepEqual(cert.chainDer, [der(peer.ca.intermediatePem), der(peer.ca.rootPem)]);
  // What cosign stores as the chain annotation: intermediate and root PEM, one newline between.
  assert.equal(cert.chainPem, `${peer.ca.intermediatePem.trim()}\n${peer.ca.rootPem.trim()}`);
  assert.equal(
    new X509Certificate(cert.chainDer[0]).verify(new X509Certificate(cert.chainDer[1]).publicKey),
    true,
  );
  assert.equal(x.verify(new X509Certificate(cert.chainDer[0]).publicKey), true);
}

Deno.test({
  name: "FulcioClient and the keyless signer against the real Fulcio v1.8.8",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const op: TestOidcProvider = await startTestOidcProvider();
    const peer = await startFulcio({ issuers: [{ url: op.issuer, type: "email" }] });
    const px = proxy(peer.url);
    try {
      const token = await op.mint({ sub: ALICE.sub, email: ALICE.email, email_verified: true });

      for (const api of ["v1", "v2"] as const) {
        for (const proof of ["signed-subject", "csr"] as const) {
          await t.step(
            `${api} with a ${proof}: a certificate for our key, with Fulcio's chain`,
            async () => {
              const cert = await request(peer.url, token, api, proof);
              checkAlice(cert, peer);
              assert.deepEqual(cert.sct, { kind: "none" }); // this Fulcio has no CT log
            },
          );
        }
      }

      await t.step("the trust bundle is Fulcio's intermediate and root", async () => {
        const bundle = await new FulcioClient(peer.url).trustBundle();
        assert.deepEqual(bundle.chainsDer, [[der(peer.ca.intermediatePem), der(peer.ca.rootPem)]]);
      });

      await t.step("Fulcio's refusals come back with its message", async () => {
        const untrusted = await op.mint({
          sub: ALICE.sub,
          email: ALICE.email,
          email_verified: true,
        }, {
          untrusted: true,
        });
        for (const api of ["v1", "v2"] as const) {
          await assert.rejects(request(peer.url, untrusted, api, "signed-subject"), {
            name: "SigstoreError",
            code: "FULCIO_REQUEST_FAILED",
            message:
              `Cannot get signing certificate from Fulcio: POST ${peer.url}/api/${api}/signingCert returned 400 Bad Request: There was an error processing the identity token`,
          });
        }
        // A proof of possession over another subject.
        const signer = ephemeralSigner();
        const signature = await signer.sign(
          bytesReader(new TextEncoder().encode("mallory@example.com")),
        );
        await assert.rejects(
          new FulcioClient(peer.url).signingCertificate({
            idToken: token,
            proof: { publicKey: signer.publicKey, signature },
            api: "v2",
          }),
          {
            code: "FULCIO_REQUEST_FAILED",
            message:
              `Cannot get signing certificate from Fulcio: POST ${peer.url}/api/v2/signingCert returned 400 Bad Request: The signature supplied in the request could not be verified`,
          },
        );
      });

      await t.step(
        "a Fulcio that answers with a certificate for another key is refused",
        async () => {
          // A real answer of this Fulcio, for another key, replayed by the proxy.
          const res = await fetch(`${peer.url}/api/v1/signingCert`, {
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body: await (async () => {
              const s = ephemeralSigner();
              const sig = await s.sign(bytesReader(new TextEncoder().encode(ALICE.email)));
              const { marshalPublicKeyPem } = await import("../../lib/keys/public_key.ts");
              return JSON.stringify({
                publicKey: {
                  content: new TextEncoder().encode(marshalPublicKeyPem(s.publicKey)).toBase64(),
                },
                signedEmailAddress: sig.toBase64(),
              });
            })(),
          });
          assert.equal(res.status, 201);
          px.state.swapWith = await res.text();
          try {
            const printed: string[] = [];
            await assert.rejects(
              createKeylessSigner({
                fulcioUrl: px.url,
                identity: { token },
                verifySct: null,
                print: (l) => printed.push(l),
              }),
              {
                name: "VerificationError",
                code: "FULCIO_KEY_MISMATCH",
                message:
                  "Cannot use Fulcio certificate: it certifies another public key than the one that asked",
              },
            );
            assert.deepEqual(printed, [
              "Generating ephemeral keys...",
              "Retrieving signed certificate...",
            ]);
          } finally {
            px.state.swapWith = undefined;
          }
        },
      );

      await t.step(
        "an expired token or one for another audience never reaches Fulcio",
        async () => {
          const before = px.state.requests;
          const now = Math.floor(Date.now() / 1000);
          const expired = await op.mint({ ...ALICE, exp: now - 5, iat: now - 600 });
          await assert.rejects(
            createKeylessSigner({
              fulcioUrl: px.url,
              identity: { token: expired },
              verifySct: null,
            }),
            {
              name: "IdentityError",
              code: "OIDC_TOKEN_EXPIRED",
              message: /^Cannot use identity token: the identity token is expired/,
            },
          );
          const wrongAud = await op.mint({ ...ALICE, aud: "not-sigstore" });
          await assert.rejects(
            createKeylessSigner({
              fulcioUrl: px.url,
              identity: { token: wrongAud },
              verifySct: null,
            }),
            {
              name: "IdentityError",
              code: "OIDC_AUDIENCE_MISMATCH",
              message:
                "Cannot use identity token: the identity token's audience is not-sigstore, expected sigstore",
            },
          );
          assert.equal(px.state.requests, before);
          // Fulcio itself refuses the expired token too (what the client-side check spares).
          await assert.rejects(request(peer.url, expired, "v2", "signed-subject"), {
            code: "FULCIO_REQUEST_FAILED",
            message: /returned 400 Bad Request: There was an error processing the identity token$/,
          });
        },
      );

      await t.step(
        "the browser flow end to end: log in, certificate, sign; Go cosign verifies",
        async () => {
          const printed: string[] = [];
          const scts: SctVerificationInput[] = [];
          let confirmed = 0;
          const signer = await createKeylessSigner({
            fulcioUrl: peer.url,
            identity: {
              issuer: op.issuer,
              clientId: "sigstore",
              interactive: true,
              getEnv: () => undefined,
              exists: () => Promise.resolve(false),
              overrides: { gceProductNamePath: "/nonexistent" },
              print: (l) => printed.push(l),
              confirm: () => (confirmed++, Promise.resolve()),
              openBrowser(url) {
                op.browse(url, ALICE).catch(() => {});
                return Promise.resolve();
              },
            },
            verifySct: (input) => void scts.push(input),
            print: (l) => printed.push(l),
          });
          assert.equal(confirmed, 1);
          assert.equal(printed.length, 4);
          assert.equal(printed[0], "Generating ephemeral keys...");
          assert.match(
            printed[1],
            new RegExp(`^Your browser will now be opened to:\n${op.issuer}/auth\\?`),
          );
          assert.deepEqual(printed.slice(2), [
            "Retrieving signed certificate...",
            "Successfully verified SCT...",
          ]);
          assert.equal(signer.subject, "alice@example.com");
          assert.equal(signer.issuer, op.issuer);
          assert.deepEqual(scts, [{
            certificateDer: signer.certificateDer,
            chainDer: signer.chainDer,
            sct: { kind: "none" },
          }]);
          checkAlice(signer, peer);

          const blob = new TextEncoder().encode(`keyless blob ${crypto.randomUUID()}\n`);
          const signature = await signer.sign(bytesReader(blob));
          const x = new X509Certificate(signer.certificateDer);
          const { createVerify } = await import("node:crypto");
          assert.ok(createVerify("sha256").update(blob).verify(x.publicKey, signature));

          const dir = await Deno.makeTempDir();
          try {
            await Deno.writeFile(join(dir, "blob.txt"), blob);
            await Deno.writeTextFile(join(dir, "blob.sig"), signature.toBase64());
            await Deno.writeTextFile(join(dir, "cert.pem"), signer.certificatePem);
            await Deno.writeTextFile(join(dir, "chain.pem"), signer.chainPem + "\n");
            const verify = (identity: string) =>
              new Deno.Command(cosign, {
                args: [
                  "verify-blob",
                  "--certificate",
                  join(dir, "cert.pem"),
                  "--certificate-chain",
                  join(dir, "chain.pem"),
                  "--certificate-identity",
                  identity,
                  "--certificate-oidc-issuer",
                  op.issuer,
                  "--insecure-ignore-tlog",
                  "--insecure-ignore-sct",
                  "--signature",
                  join(dir, "blob.sig"),
                  join(dir, "blob.txt"),
                ],
                env: { HOME: dir, TUF_ROOT: join(dir, "tuf") },
                clearEnv: true,
                stdout: "piped",
                stderr: "piped",
              }).output();
            const cosign = await cosignBinary();
            const ok = await verify("alice@example.com");
            const err = new TextDecoder().decode(ok.stderr);
            assert.equal(ok.code, 0, err);
            assert.match(err, /Verified OK/);
            const wrong = await verify("mallory@example.com");
            assert.notEqual(wrong.code, 0);
          } finally {
            await Deno.remove(dir, { recursive: true });
          }
        },
      );
    } finally {
      await px.stop();
      await peer.stop();
      await op.stop();
    }
  },
});

Deno.test({
  name:
    "With a CT log, the real Fulcio embeds the SCT, and the keyless signer hands it to the SCT check",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const op = await startTestOidcProvider();
    const rekor = await startRekor();
    let ct: Awaited<ReturnType<typeof startCtLog>> | undefined;
    let peer: FulcioPeer | undefined;
    const dir = await Deno.makeTempDir();
    try {
      const { createFulcioCa } = await import("../peers/fulcio.ts");
      const ca = await createFulcioCa(dir);
      ct = await startCtLog({ trillianAddress: rekor.trillianAddress, rootsPem: ca.rootPem });
      peer = await startFulcio({
        ca,
        issuers: [{ url: op.issuer, type: "email" }],
        ctLogUrl: ct.url,
      });
      const token = await op.mint(ALICE);
      for (const api of ["v1", "v2"] as const) {
        const scts: SctVerificationInput[] = [];
        const printed: string[] = [];
        const signer = await createKeylessSigner({
          fulcioUrl: peer.url,
          identity: { token },
          api,
          verifySct: (i) => void scts.push(i),
          print: (l) => printed.push(l),
        });
        assert.deepEqual(signer.sct, { kind: "embedded" });
        assert.deepEqual(scts[0].sct, { kind: "embedded" });
        assert.deepEqual(printed, [
          "Generating ephemeral keys...",
          "Retrieving signed certificate...",
          "Successfully verified SCT...",
        ]);
        // The SCT list extension (RFC 6962 §3.3) is in the leaf.
        const oid = "060a2b06010401d679020402"; // OBJECT IDENTIFIER 1.3.6.1.4.1.11129.2.4.2
        assert.ok(signer.certificateDer.toHex().includes(oid));
      }
      // An SCT check that fails stops the signer.
      await assert.rejects(
        createKeylessSigner({
          fulcioUrl: peer.url,
          identity: { token },
          verifySct: () => {
            throw new Error("none of the CTFE keys have been found");
          },
        }),
        {
          code: "FULCIO_SCT_INVALID",
          message: "Cannot verify SCT: none of the CTFE keys have been found",
        },
      );
    } finally {
      await peer?.stop();
      await ct?.stop();
      await rekor.stop();
      await op.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
