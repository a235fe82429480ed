import assert from "node:assert/strict";
import { cosign } from "../_test_io.ts";

Deno.test("login writes credentials into the docker config, keeping what was there", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/config.json`;
    await Deno.writeTextFile(
      path,
      JSON.stringify({ auths: { "other.example": { auth: "eDp5" } }, credsStore: "" }),
    );
    const env = { DOCKER_CONFIG: dir };
    const r = await cosign(["login", "registry.example:5000", "-u", "robot", "-p", "s3cret"], {
      env,
    });
    assert.equal(r.code, 0, r.io.err());
    assert.equal(r.io.err(), `logged in via ${path}\n`);
    assert.ok(!r.io.err().includes("s3cret"));
    const piped = await cosign(["login", "ghcr.example", "-u", "bot", "--password-stdin"], {
      env,
      stdin: "t0ken\n",
    });
    assert.equal(piped.code, 0, piped.io.err());
    const config = JSON.parse(await Deno.readTextFile(path));
    assert.equal(config.auths["other.example"].auth, "eDp5");
    assert.equal(atob(config.auths["registry.example:5000"].auth), "robot:s3cret");
    assert.equal(atob(config.auths["ghcr.example"].auth), "bot:t0ken");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("login rejects bad input with one error line and exit code 1", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cases: [string[], string][] = [
      [["login", "registry.example"], "error: username and password required\n"],
      [["login"], "error: accepts 1 arg(s), received 0\n"],
      [["login", "Not A Registry!", "-u", "a", "-p", "b"], ""],
    ];
    for (const [argv, err] of cases) {
      const r = await cosign(argv, { env: { DOCKER_CONFIG: dir } });
      assert.equal(r.code, 1, argv.join(" "));
      if (err) assert.equal(r.io.err(), err);
      else assert.match(r.io.err(), /^error: invalid registry "Not A Registry!": .+\n$/);
    }
    for await (const _ of Deno.readDir(dir)) assert.fail("nothing is written on bad input");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
