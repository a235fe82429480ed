import assert from "node:assert/strict";
import { readError } from "./atomic_file.ts";

Deno.test("readError() tells a missing input from an unreadable one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const errors: [unknown, string, string][] = [];
    await Deno.open(`${dir}/missing`).catch((e) =>
      errors.push([e, "INPUT_NOT_FOUND", "no such file or directory"])
    );
    await Deno.readFile(dir).catch((e) => errors.push([e, "INPUT_UNREADABLE", "is a directory"]));
    errors.push([new Deno.errors.PermissionDenied("x"), "INPUT_UNREADABLE", "permission denied"]);
    assert.equal(errors.length, 3);
    for (const [e, code, reason] of errors) {
      const err = readError(e, "blob x");
      assert.equal(err.name, "IoError");
      assert.equal(err.code, code);
      assert.equal(err.message, `Cannot read blob x: ${reason}`);
      assert.equal(err.cause, e);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
