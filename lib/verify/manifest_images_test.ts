import assert from "node:assert/strict";
import { manifestImages, MAX_MANIFEST_DOCUMENTS } from "./manifest_images.ts";
import { MANIFEST_CASES } from "../../tests/helpers/image_list_cases.ts";

for (const c of MANIFEST_CASES) {
  Deno.test(`manifestImages(): ${c.name}`, () => {
    if (c.error) {
      assert.throws(
        () => manifestImages(c.text),
        (e: unknown) => e instanceof SyntaxError && e.message === "unable to decode the manifest",
      );
      return;
    }
    assert.deepEqual(manifestImages(c.text), c.images);
  });
}

Deno.test("manifestImages() refuses an alias bomb and too many documents", () => {
  const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 0; i < 8; i++) {
    const prev = String.fromCharCode(97 + i);
    const next = String.fromCharCode(98 + i);
    bomb.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(", ")}]`);
  }
  for (
    const text of [bomb.join("\n") + "\n", "---\nspec: {}\n".repeat(MAX_MANIFEST_DOCUMENTS + 1)]
  ) {
    assert.throws(() => manifestImages(text), SyntaxError);
  }
});

Deno.test("manifestImages() keeps the order of documents and repeats", () => {
  const pod = (img: string) => `spec:\n  containers:\n  - image: ${img}\n`;
  assert.deepEqual(manifestImages([pod("b"), pod("a"), pod("b")].join("---\n")), ["b", "a", "b"]);
});
