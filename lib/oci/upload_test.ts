import assert from "node:assert/strict";
import { fileFromFlag } from "./upload.ts";

Deno.test("fileFromFlag() splits path, os and arch as cosign's FileFromFlag", () => {
  assert.deepEqual(fileFromFlag("foo"), { path: "foo" });
  assert.deepEqual(fileFromFlag("foo:linux"), {
    path: "foo",
    platform: { os: "linux", architecture: "" },
  });
  assert.deepEqual(fileFromFlag("foo:linux/arm64/v8"), {
    path: "foo",
    platform: { os: "linux", architecture: "arm64" },
  });
  assert.deepEqual(fileFromFlag("foo:darwin:x"), {
    path: "foo",
    platform: { os: "darwin", architecture: "" },
  });
});
