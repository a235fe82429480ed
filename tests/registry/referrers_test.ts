/**
 * The OCI 1.1 referrers API against a registry that implements it (go-containerregistry's
 * `pkg/registry` with referrers support; see scripts/peers/registry.ts for why not zot).
 */
import assert from "node:assert/strict";
import { createRegistry } from "../../lib/registry/client.ts";
import { OCI_MANIFEST } from "../../lib/registry/media_types.ts";
import { startFaultProxy } from "../peers/fault_proxy.ts";
import { startRegistry } from "../peers/registry.ts";
import { pushImage } from "./_helpers.ts";

Deno.test("referrers() uses the OCI 1.1 referrers API when the registry has it", async (t) => {
  const server = await startRegistry({ mode: "referrers" });
  const proxy = startFaultProxy(`http://${server.host}`);
  const reg = createRegistry({ retry: { attempts: 2, baseDelayMs: 1 } });
  const repo = { registry: proxy.host, repository: "ref/app" };
  try {
    const subject = await pushImage(reg, repo, "v1");
    const subjectDesc = {
      mediaType: OCI_MANIFEST,
      digest: subject.digest,
      size: subject.bytes.length,
    };

    await t.step("no referrers yet: an empty list", async () => {
      assert.deepEqual(await reg.referrers(repo, subject.digest), []);
    });

    await t.step("lists referrers and filters by artifactType", async () => {
      // ggcr's registry reports a referrer's config media type as its artifactType.
      const sig = await pushImage(reg, repo, "sig", {
        subject: subjectDesc,
        configType: "application/vnd.example.sig",
      });
      const att = await pushImage(reg, repo, "att", {
        subject: subjectDesc,
        configType: "application/vnd.example.att",
      });
      const start = proxy.requests.length;
      const all = await reg.referrers(repo, subject.digest);
      assert.deepEqual(all.map((d) => d.digest).sort(), [sig.digest, att.digest].sort());
      const sigs = await reg.referrers(repo, subject.digest, "application/vnd.example.sig");
      assert.deepEqual(sigs, [{
        mediaType: OCI_MANIFEST,
        digest: sig.digest,
        size: sig.bytes.length,
        artifactType: "application/vnd.example.sig",
      }]);
      const paths = proxy.requests.slice(start).map((r) => r.path);
      assert.ok(paths.every((p) => p.includes("/referrers/")), paths.join("\n"));
      assert.ok(paths.some((p) => p.endsWith("?artifactType=application%2Fvnd.example.sig")));
    });
  } finally {
    reg.close();
    await proxy.stop();
    await server.stop();
  }
});
