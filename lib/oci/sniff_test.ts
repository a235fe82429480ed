import assert from "node:assert/strict";
import { detectContentType } from "./sniff.ts";

const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

// Expected values are Go 1.24's http.DetectContentType for the same bytes.
const CASES: Array<[string, Uint8Array, string]> = [
  ["empty", new Uint8Array(), "text/plain; charset=utf-8"],
  ["text", enc("hello world\n"), "text/plain; charset=utf-8"],
  ["html after white space", enc(" \n<html><body>"), "text/html; charset=utf-8"],
  ["html needs a terminator", enc("<htmlx"), "text/plain; charset=utf-8"],
  ["xml", enc("\t<?xml version"), "text/xml; charset=utf-8"],
  ["pdf", enc("%PDF-1.7"), "application/pdf"],
  ["png", enc("\x89PNG\r\n\x1a\n...."), "image/png"],
  ["gzip", enc("\x1f\x8b\x08\x00"), "application/x-gzip"],
  ["zip", enc("PK\x03\x04rest"), "application/zip"],
  ["wasm", enc("\x00asm\x01\x00\x00\x00"), "application/wasm"],
  ["utf-8 bom", enc("\xef\xbb\xbfhi"), "text/plain; charset=utf-8"],
  ["binary", enc("\x01\x02\x03\x04"), "application/octet-stream"],
  ["webp", enc("RIFF\x00\x00\x00\x00WEBPVP8 "), "image/webp"],
  ["mp4", enc("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"), "video/mp4"],
  // only the first 512 bytes count: a control byte after them does not make it binary
  ["long text", enc("a".repeat(512) + "\x01"), "text/plain; charset=utf-8"],
];

for (const [name, bytes, want] of CASES) {
  Deno.test(`detectContentType() recognises ${name}`, () => {
    assert.equal(detectContentType(bytes), want);
  });
}
