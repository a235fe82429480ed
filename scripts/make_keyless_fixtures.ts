/**
 * Makes a set of real keyless artifacts with the real Go cosign v2.6.4 against the loopback
 * keyless peers (tests/peers/keyless.ts: our OIDC issuer, Fulcio v1.8.8 with a file CA made for
 * the run, a `ct_server` CT log, Rekor v1.5.4 on Trillian) and a local registry, and writes them
 * with the trust material that verifies them, for our own verifier's tests:
 *
 *     deno run -A scripts/make_keyless_fixtures.ts tests/fixtures/keyless-local
 *
 * Writes into the folder (created if needed; existing files of the same names are replaced):
 * - `blob.txt`, `predicate.json`: the signed blob and the attested predicate;
 * - `blob.bundle`, `blob.sig`, `blob.crt`: `sign-blob --bundle --output-signature
 *   --output-certificate` (cosign's old bundle; `blob.crt` is base64 of the PEM leaf, as cosign
 *   writes it);
 * - `blob.sigstore.json`: `sign-blob --new-bundle-format` (Sigstore bundle v0.3);
 * - `blob-github.sigstore.json`: the same with a GitHub-Actions-shaped token (github-workflow
 *   identity and Fulcio's GitHub extensions);
 * - `attestation.bundle`, `attestation.sigstore.json`: `attest-blob --type slsaprovenance`, old
 *   bundle and v0.3;
 * - `image/`: an image signed with `cosign sign` and attested with `cosign attest` (old formats):
 *   its manifest, the `.sig` and `.att` manifests (layer annotations: certificate, chain, bundle)
 *   and their layers (simple-signing payload, DSSE envelope), as fetched from the registry;
 * - `trusted_root.json` (Fulcio chain, Rekor key, CT log key), `fulcio_chain.pem` (intermediate
 *   then root), `fulcio_root.pem`, `rekor.pub`, `ctlog.pub`;
 * - `expected.json`: identities, issuers, log IDs, the image reference and digests;
 * - `SOURCE.md`: how and with which versions the set was made.
 *
 * Every URL in the artifacts (issuer, Fulcio, Rekor, registry) is a loopback port that is closed
 * once the script ends: verification of this set is offline by construction.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { createRegistry } from "../lib/registry/client.ts";
import { COSIGN_VERSION } from "../tests/peers/cosign.ts";
import { CT_VERSION } from "../tests/peers/ct_log.ts";
import { FULCIO_VERSION } from "../tests/peers/fulcio.ts";
import { startKeylessPeers } from "../tests/peers/keyless.ts";
import { REKOR_VERSION, TRILLIAN_VERSION } from "../tests/peers/rekor.ts";
import { startRegistry } from "../tests/peers/registry.ts";
import { runGo } from "../tests/peers/run.ts";
import { pemBlocks } from "../tests/peers/trusted_root.ts";
import { pushImage } from "../tests/registry/_helpers.ts";

const EMAIL = "alice@example.com";
const WORKFLOW =
  "https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main";

function say(message: string): void {
  console.error(`keyless fixtures: ${message}`);
}

/**
 * Produces the fixture set in `out`.
 *
 * @param out the folder to write into
 * @throws {Error} when a peer does not start or a cosign command fails
 */
export async function makeKeylessFixtures(out: string): Promise<void> {
  await Deno.mkdir(join(out, "image"), { recursive: true });
  const home = await Deno.makeTempDir({ prefix: "keyless-fixtures-home-" });
  const peers = await startKeylessPeers();
  const registry = await startRegistry({ mode: "http" });
  const client = createRegistry({});
  try {
    const opts = {
      cwd: out,
      home,
      env: { NO_PROXY: "127.0.0.1,localhost", no_proxy: "127.0.0.1,localhost" },
    };
    const go = async (args: string[]) => {
      const r = await runGo(args, opts);
      if (r.code !== 0) {
        throw new Error(`cosign ${args[0]} failed (exit ${r.code}):\n${r.stderr}`);
      }
      return r;
    };
    await Deno.writeTextFile(join(out, "blob.txt"), "a blob signed keylessly by the Go cosign\n");
    await Deno.writeTextFile(
      join(out, "predicate.json"),
      '{"builder":{"id":"https://example.com/builder"},"buildType":"https://example.com/type"}\n',
    );
    const trust = ["--trusted-root", peers.trustedRootPath];
    const email = await peers.oidc.emailToken(EMAIL);
    const github = await peers.oidc.githubToken();

    say("sign-blob (old bundle, v0.3, GitHub workflow)");
    await go([
      "sign-blob",
      ...peers.signArgs(email),
      ...trust,
      "--bundle",
      "blob.bundle",
      "--output-signature",
      "blob.sig",
      "--output-certificate",
      "blob.crt",
      "blob.txt",
    ]);
    await go([
      "sign-blob",
      ...peers.signArgs(email),
      ...trust,
      "--new-bundle-format",
      "--bundle",
      "blob.sigstore.json",
      "blob.txt",
    ]);
    await go([
      "sign-blob",
      ...peers.signArgs(github),
      ...trust,
      "--new-bundle-format",
      "--bundle",
      "blob-github.sigstore.json",
      "blob.txt",
    ]);
    say("attest-blob (old bundle, v0.3)");
    for (
      const [bundle, extra] of [["attestation.bundle", []], ["attestation.sigstore.json", [
        "--new-bundle-format",
      ]]] as const
    ) {
      await go([
        "attest-blob",
        ...peers.signArgs(email),
        ...trust,
        ...extra,
        "--predicate",
        "predicate.json",
        "--type",
        "slsaprovenance",
        "--bundle",
        bundle,
        "blob.txt",
      ]);
    }

    say("sign and attest an image");
    const repository = "keyless/fixture";
    const repo = { registry: registry.host, repository };
    const pushed = await pushImage(client, repo, "v1", { content: "keyless fixture layer\n" });
    const ref = `${registry.host}/${repository}@${pushed.digest}`;
    await go(["sign", ...peers.signArgs(email), ...trust, ref]);
    await go([
      "attest",
      ...peers.signArgs(email),
      ...trust,
      "--predicate",
      "predicate.json",
      "--type",
      "slsaprovenance",
      ref,
    ]);
    await Deno.writeFile(join(out, "image", "manifest.json"), pushed.bytes);
    const tagged = pushed.digest.replace(":", "-");
    const images: Record<string, unknown> = {};
    for (const kind of ["sig", "att"]) {
      const m = await client.getManifest(repo, `${tagged}.${kind}`);
      await Deno.writeFile(join(out, "image", `${kind}.manifest.json`), m.bytes);
      const layers = (m.manifest as { layers: { digest: string }[] }).layers;
      if (layers.length !== 1) throw new Error(`Expected one ${kind} layer, got ${layers.length}`);
      const layer = await client.getBlobBytes(repo, layers[0].digest, 1 << 20);
      await Deno.writeFile(join(out, "image", `${kind}.layer.json`), layer);
      images[kind] = { manifestDigest: m.digest, layerDigest: layers[0].digest };
    }

    say("trust material");
    await Deno.copyFile(peers.trustedRootPath, join(out, "trusted_root.json"));
    await Deno.writeTextFile(join(out, "fulcio_chain.pem"), peers.fulcio.ca.chainPem);
    await Deno.writeTextFile(join(out, "fulcio_root.pem"), peers.fulcio.ca.rootPem);
    await Deno.writeTextFile(join(out, "rekor.pub"), peers.rekor.publicKeyPem);
    await Deno.writeTextFile(join(out, "ctlog.pub"), peers.ctLog!.publicKeyPem);
    const logId = async (pem: string) =>
      new Uint8Array(
        await crypto.subtle.digest("SHA-256", pemBlocks(pem, "PUBLIC KEY")[0] as BufferSource),
      ).toHex();
    const expected = {
      email: { identity: EMAIL, issuer: peers.emailIssuer },
      github: {
        identity: WORKFLOW,
        issuer: peers.githubIssuer,
        repository: "octo-org/octo-repo",
        ref: "refs/heads/main",
        sha: "0123456789abcdef0123456789abcdef01234567",
        trigger: "push",
        workflowName: "Release",
      },
      image: {
        reference: `${registry.host}/${repository}`,
        digest: pushed.digest,
        signature: images.sig,
        attestation: images.att,
      },
      rekor: { url: peers.rekor.url, logId: await logId(peers.rekor.publicKeyPem) },
      ctlog: { url: peers.ctLog!.url, logId: await logId(peers.ctLog!.publicKeyPem) },
      fulcio: { url: peers.fulcio.url },
    };
    await Deno.writeTextFile(join(out, "expected.json"), JSON.stringify(expected, null, 2) + "\n");
    await Deno.writeTextFile(join(out, "SOURCE.md"), sourceMd(new Date()));
    say(`done: ${out}`);
  } finally {
    client.close();
    await registry.stop();
    await peers.stop();
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
}

function sourceMd(when: Date): string {
  return `# Keyless artifacts made by the Go cosign ${COSIGN_VERSION} with local peers

Made on ${when.toISOString().slice(0, 10)} by \`deno run -A scripts/make_keyless_fixtures.ts
tests/fixtures/keyless-local\`, which starts on loopback (tests/peers/keyless.ts):

- an OIDC issuer written for the tests (tests/peers/oidc_issuer.ts, RS256 ID tokens, audience
  \`sigstore\`): the e-mail issuer \`http://127.0.0.1:PORT\` and a GitHub-Actions-like issuer
  \`http://127.0.0.1:PORT/github\`;
- Fulcio ${FULCIO_VERSION} (\`go install github.com/sigstore/fulcio@${FULCIO_VERSION}\`) with a file CA made
  by openssl for the run (P-384 root \`O=cosign-deno tests, CN=local-fulcio-root\` and intermediate
  \`CN=local-fulcio-intermediate\`, EKU codeSigning), issuer types \`email\` and
  \`github-workflow\`;
- certificate-transparency-go's \`ct_server\` ${CT_VERSION} (RFC 6962 CT log, P-256 key) that Fulcio
  submits precertificates to, so every leaf carries a real embedded SCT;
- rekor-server ${REKOR_VERSION} on Trillian ${TRILLIAN_VERSION} with MariaDB (tests/peers/rekor.ts);
- Debian's docker-registry (distribution 2.8.2) for the image.

The real Go cosign ${COSIGN_VERSION} then ran (\`--fulcio-url --rekor-url --identity-token <jwt> --yes
--trusted-root trusted_root.json\`):

| file | command |
|---|---|
| \`blob.bundle\`, \`blob.sig\`, \`blob.crt\` | \`sign-blob --bundle blob.bundle --output-signature blob.sig --output-certificate blob.crt blob.txt\` |
| \`blob.sigstore.json\` | \`sign-blob --new-bundle-format --bundle blob.sigstore.json blob.txt\` |
| \`blob-github.sigstore.json\` | the same with the GitHub-Actions-shaped token |
| \`attestation.bundle\` | \`attest-blob --predicate predicate.json --type slsaprovenance --bundle attestation.bundle blob.txt\` |
| \`attestation.sigstore.json\` | the same with \`--new-bundle-format\` |
| \`image/manifest.json\` | the image pushed to the registry (its digest is in \`expected.json\`) |
| \`image/sig.manifest.json\`, \`image/sig.layer.json\` | \`cosign sign <image>\`: the \`.sig\` manifest (annotations: signature, certificate, chain, bundle) and its payload |
| \`image/att.manifest.json\`, \`image/att.layer.json\` | \`cosign attest --type slsaprovenance <image>\`: the \`.att\` manifest and its DSSE envelope |

Trust material: \`trusted_root.json\` (Fulcio chain, Rekor key, CT log key, each valid from the
CA's creation; no timestamp authorities), \`fulcio_chain.pem\` (intermediate then root),
\`fulcio_root.pem\`, \`rekor.pub\`, \`ctlog.pub\`. \`expected.json\` gives the identities, issuer
URLs, log IDs (hex SHA-256 of each log's SPKI), the image reference and digests.

All URLs point at loopback ports closed after the run. The Go cosign verifies the set offline
(tests/interop/keyless_go_test.ts): the old bundle with \`SIGSTORE_ROOT_FILE=fulcio_chain.pem
SIGSTORE_REKOR_PUBLIC_KEY=rekor.pub SIGSTORE_CT_LOG_PUBLIC_KEY_FILE=ctlog.pub\` (cosign ${COSIGN_VERSION}
refuses \`--trusted-root\` for old bundles), the v0.3 bundles with \`--new-bundle-format
--trusted-root trusted_root.json\`, each with \`--certificate-identity\` and
\`--certificate-oidc-issuer\` from \`expected.json\`.
`;
}

if (import.meta.main) {
  if (Deno.args.length !== 1) {
    console.error("usage: deno run -A scripts/make_keyless_fixtures.ts <output folder>");
    Deno.exit(2);
  }
  try {
    await makeKeylessFixtures(resolve(Deno.args[0]));
  } catch (e) {
    console.error(`keyless fixtures: error: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
