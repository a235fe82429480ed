import assert from "node:assert/strict";
import {
  DEFAULT_MAX_ATTACHMENT_SIZE,
  maxAttachmentSize,
  parseHumanBytes,
} from "./attachment_size.ts";

Deno.test("parseHumanBytes() reads go-humanize sizes", () => {
  const cases: [string, number][] = [
    ["5120", 5120],
    ["20K", 20_000],
    ["20KiB", 20_480],
    ["3M", 3_000_000],
    ["45MiB", 45 * 1024 * 1024],
    ["1GB", 1e9],
    ["1 gi", 2 ** 30],
    ["1,024 b", 1024],
    ["1.5k", 1500],
  ];
  for (const [text, want] of cases) assert.equal(parseHumanBytes(text), want, text);
  assert.throws(() => parseHumanBytes("12 parsecs"), /unhandled size name: parsecs/);
  assert.throws(() => parseHumanBytes("MB"), /no number/);
});

Deno.test("maxAttachmentSize() falls back to 128 MiB when unset or unparsable", () => {
  assert.equal(DEFAULT_MAX_ATTACHMENT_SIZE, 128 * 1024 * 1024);
  assert.equal(maxAttachmentSize(undefined), DEFAULT_MAX_ATTACHMENT_SIZE);
  assert.equal(maxAttachmentSize("lots"), DEFAULT_MAX_ATTACHMENT_SIZE);
  assert.equal(maxAttachmentSize("1KiB"), 1024);
});
