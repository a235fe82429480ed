/**
 * In-process checks of ./_verify_images.ts's flag handling (`--recursive`, `--new-bundle-format`)
 * that need no registry: refusals happen before any request (the image is on a port nothing
 * listens on, so a request would end in a connection error instead).
 */
import assert from "node:assert/strict";
import { cosign } from "../_test_io.ts";

const IMAGE = "127.0.0.1:1/app@sha256:" + "0".repeat(64);
const PUB = new URL("../../tests/fixtures/attest/cosign.pub", import.meta.url).pathname;

Deno.test("verify refuses flag combinations before contacting the registry", async () => {
  const cases: [string, string[], string][] = [
    [
      "--recursive with --local-image",
      ["verify", "--key", PUB, "--local-image", "--recursive", "/nonexistent"],
      "error: cannot use --recursive with --local-image\n",
    ],
    [
      "--certificate on the bundle path (cosign v2.6.4's message)",
      [
        "verify",
        "--new-bundle-format",
        "--certificate",
        "cert.pem",
        "--certificate-identity",
        "a@b",
        "--certificate-oidc-issuer",
        "https://issuer",
        IMAGE,
      ],
      "error: unsupported: certificate may not be provided using --certificate when using --new-bundle-format (cert must be in bundle)\n",
    ],
    [
      "--ca-roots on the bundle path",
      ["verify", "--new-bundle-format", "--key", PUB, "--ca-roots", "roots.pem", IMAGE],
      "error: unsupported: CA roots/intermediates must be provided using --trusted-root when using --new-bundle-format\n",
    ],
    [
      "a key and an identity, on the auto-detecting path",
      ["verify", "--key", PUB, "--certificate-identity", "a@b", "--recursive", IMAGE],
      "error: exactly one of: key reference (--key) or certificate identity (--certificate-identity or --certificate-identity-regexp), must be provided. To determine which to use, inspect the bundle's 'verificationMaterial' field: if 'publicKey' is present, use key reference; if 'certificate' or 'x509CertificateChain' is present, use certificate identity\n",
    ],
  ];
  for (const [what, argv, err] of cases) {
    const { code, io } = await cosign(argv);
    assert.equal(io.err(), err, what);
    assert.equal(code, 1, what);
    assert.equal(io.out(), "", what);
  }
});
