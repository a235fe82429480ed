import assert from "node:assert/strict";
import { dockerfileImages, goExpand } from "./dockerfile_images.ts";
import { DOCKERFILE_CASES } from "../../tests/helpers/image_list_cases.ts";

for (const c of DOCKERFILE_CASES) {
  Deno.test(`dockerfileImages(): ${c.name}`, () => {
    const run = () => dockerfileImages(c.text, (k) => c.env?.[k]);
    if (c.error) {
      assert.throws(run, (e: unknown) => e instanceof SyntaxError && e.message === c.error);
      return;
    }
    assert.deepEqual(run(), { images: c.images, notes: c.notes ?? [] });
  });
}

// Go's os.Expand, case by case (outputs from Go 1.26 os.Expand with the mapping k => "<"+k+">").
const EXPAND: [string, string][] = [
  ["plain", "plain"],
  ["$A", "<A>"],
  ["${A}", "<A>"],
  ["$A_b9-c", "<A_b9>-c"],
  ["${A-b}", "<A-b>"],
  ["${}", ""],
  ["${", ""],
  ["x${y", "xy"],
  ["$", "$"],
  ["a$", "a$"],
  ["$-", "<->"],
  ["$$", "<$>"],
  ["${*}", "<*>"],
  ["${**}", "<**>"],
  ["$/x", "$/x"],
  ["$1x", "<1>x"],
  ["${A:-def}", "<A:-def>"],
];

for (const [input, output] of EXPAND) {
  Deno.test(`goExpand() expands ${JSON.stringify(input)} as Go's os.Expand`, () => {
    assert.equal(goExpand(input, (k) => `<${k}>`), output);
  });
}

Deno.test("dockerfileImages() reads variables set by earlier lines before the environment", () => {
  const text = "ARG A=from-arg\nFROM $A\nFROM $B\n";
  assert.deepEqual(dockerfileImages(text, (k) => ({ A: "from-env", B: "env-b" })[k]).images, [
    "from-arg",
    "env-b",
  ]);
});
