/**
 * The registry flags every registry command shares: the ones this implementation cannot honour are
 * refused with one line and exit 1 on every command, before anything is sent (the image's
 * registry, 127.0.0.1:1, would refuse a connection anyway). What the accepted ones do is tested
 * against real registries in tests/registry/registry_flags_test.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cosign } from "../_test_io.ts";
import { sgetCommand } from "../sget.ts";
import { fakeIo } from "../_test_io.ts";
import { run } from "../run.ts";

const dir = await Deno.makeTempDir({ prefix: "cosign-registry-flags-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  Deno.writeTextFileSync(p, text);
  return p;
};
const blob = file("blob", "hello");
const sbom = file("sbom.spdx.json", "{}");
const sig = file("sig", "AAAA");
const payload = file("payload.json", "{}");
const attestation = file("att.json", '{"payloadType":"x","payload":"","signatures":[]}');
const notPem = file("not-a-cert.pem", "hello\n");
const badPem = file("bad.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
const IMG = "127.0.0.1:1/flags/test:v1";

/** Every command that takes cosign's registry flags, with arguments that reach the registry. */
const COMMANDS: string[][] = [
  ["attach", "signature", "--signature", sig, "--payload", payload, IMG],
  ["attach", "attestation", "--attestation", attestation, IMG],
  ["attach", "sbom", "--sbom", sbom, IMG],
  ["clean", "--force", IMG],
  ["copy", IMG, "127.0.0.1:1/flags/copy:v1"],
  ["download", "signature", IMG],
  ["download", "attestation", IMG],
  ["download", "sbom", IMG],
  ["generate", IMG],
  ["tree", IMG],
  ["triangulate", IMG],
  ["upload", "blob", "-f", blob, IMG],
  ["upload", "wasm", "-f", blob, IMG],
  ["save", "--dir", join(dir, "saved"), IMG],
  ["load", "--dir", join(dir, "saved"), IMG],
];

const REFUSED: [string, string[], string][] = [
  [
    "--registry-server-name",
    ["--registry-server-name", "registry.internal"],
    "error: cannot use --registry-server-name: Deno's TLS client always verifies the registry's certificate against the host name in the image reference; use that name in the reference",
  ],
  [
    "--k8s-keychain",
    ["--k8s-keychain"],
    "error: cannot use --k8s-keychain: the Kubernetes keychain is not supported",
  ],
  [
    "--registry-cacert without a certificate",
    ["--registry-cacert", notPem],
    `error: no valid CA certs found in ${notPem}`,
  ],
  [
    "--registry-cacert that does not parse",
    ["--registry-cacert", badPem],
    `error: unable to read CA certs from ${badPem}: invalid peer certificate: BadEncoding`,
  ],
  [
    "--registry-cacert missing",
    ["--registry-cacert", join(dir, "missing.pem")],
    `error: cannot read --registry-cacert ${join(dir, "missing.pem")}: no such file or directory`,
  ],
  [
    "--registry-client-cert without its key",
    ["--registry-client-cert", badPem],
    "error: --registry-client-cert and --registry-client-key must be given together",
  ],
  [
    "--registry-client-cert that is no certificate",
    ["--registry-client-cert", notPem, "--registry-client-key", notPem],
    `error: unable to read client certs from cert ${notPem}, key ${notPem}: No certificates found in certificate data`,
  ],
  [
    "--registry-token with --registry-username",
    ["--registry-token", "t", "--registry-username", "u", "--registry-password", "p"],
    "error: cannot combine --registry-token with --registry-username/--registry-password",
  ],
];

Deno.test("registry commands refuse the registry flags they cannot honour, with one line, exit 1", async () => {
  const failures: string[] = [];
  for (const argv of COMMANDS) {
    for (const [name, flags, err] of REFUSED) {
      const { code, io } = await cosign([...argv, ...flags], {
        env: { DOCKER_CONFIG: dir, COSIGN_PASSWORD: "" },
      });
      // Commands may print cosign's warnings (e.g. the SBOM deprecation) before failing.
      const last = io.err().trimEnd().split("\n").at(-1);
      if (code !== 1 || last !== err) {
        failures.push(`${argv.slice(0, 2).join(" ")} ${name}: exit ${code}, ${last}`);
      }
    }
  }
  assert.deepEqual(failures, []);
});

Deno.test("sget refuses them too", async () => {
  for (const [name, flags, err] of REFUSED) {
    const io = fakeIo({ env: { DOCKER_CONFIG: dir } });
    const code = await run(sgetCommand, [...flags, IMG], io, { persistentFlags: [] });
    assert.equal(code, 1, name);
    assert.equal(io.err(), err + "\n", name);
  }
});
