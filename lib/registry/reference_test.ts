import assert from "node:assert/strict";
import { allowsHttpByDefault, formatReference, isLoopback, parseReference } from "./reference.ts";

const D = `sha256:${"a".repeat(64)}`;

Deno.test("parseReference() applies go-containerregistry's defaults", () => {
  const table: [string, Record<string, string>][] = [
    ["ubuntu", { registry: "index.docker.io", repository: "library/ubuntu", tag: "latest" }],
    ["docker.io/ubuntu:22.04", {
      registry: "index.docker.io",
      repository: "library/ubuntu",
      tag: "22.04",
    }],
    ["index.docker.io/org/app", {
      registry: "index.docker.io",
      repository: "org/app",
      tag: "latest",
    }],
    ["org/app:v1", { registry: "index.docker.io", repository: "org/app", tag: "v1" }],
    ["ghcr.io/org/app:v1", { registry: "ghcr.io", repository: "org/app", tag: "v1" }],
    ["ghcr.io/a/b/c/d", { registry: "ghcr.io", repository: "a/b/c/d", tag: "latest" }],
    ["localhost:5000/app", { registry: "localhost:5000", repository: "app", tag: "latest" }],
    // Like ggcr: without '.' or ':' the first component is part of a Docker Hub repository.
    ["localhost/app", { registry: "index.docker.io", repository: "localhost/app", tag: "latest" }],
    ["127.0.0.1:5000/a/b@" + D, { registry: "127.0.0.1:5000", repository: "a/b", digest: D }],
    ["[::1]:5000/app:v_1.0-rc", { registry: "[::1]:5000", repository: "app", tag: "v_1.0-rc" }],
    ["reg.example/app:v1@" + D, {
      registry: "reg.example",
      repository: "app",
      tag: "v1",
      digest: D,
    }],
    ["reg.example/app:" + "T".repeat(128), {
      registry: "reg.example",
      repository: "app",
      tag: "T".repeat(128),
    }],
  ];
  for (const [input, expected] of table) {
    assert.deepEqual({ ...parseReference(input) }, expected, input);
  }
});

Deno.test("parseReference() rejects malformed references naming the input", () => {
  const table: [string, RegExp][] = [
    ["", /a repository name must be specified/],
    ["Ubuntu", /repository can only contain/],
    ["ghcr.io/Org/app", /repository can only contain/],
    ["a", /between 2 and 255/],
    ["ghcr.io/app:", /must specify a tag name/],
    ["ghcr.io/app:.hidden", /tag must match/],
    ["ghcr.io/app:" + "t".repeat(129), /tag must match/],
    ["ghcr.io/app:v1!", /tag must match/],
    ["ghcr.io/app@sha256:abc", /invalid checksum digest format/],
    ["ghcr.io/app@md5:" + "a".repeat(32), /unsupported digest algorithm/],
    ["ghcr.io/app@" + D + "@" + D, /exactly one '@'/],
    ["ghcr.io/app@sha256:" + "A".repeat(64), /invalid checksum digest format/],
    ["user@ghcr.io:5000/app", /./],
    ["ghcr.io:port/app", /RFC 3986/],
    ["ghcr.io/app with space", /repository can only contain/],
  ];
  for (const [input, cause] of table) {
    assert.throws(() => parseReference(input), (e: unknown) => {
      assert.ok(e instanceof TypeError, input);
      assert.equal(e.message, `could not parse reference: ${input}`);
      assert.match((e.cause as Error).message, cause, input);
      return true;
    });
  }
});

Deno.test("formatReference() spells out defaults", () => {
  assert.equal(formatReference(parseReference("ubuntu")), "index.docker.io/library/ubuntu:latest");
  assert.equal(
    formatReference(parseReference(`localhost:5000/app:v1@${D}`)),
    `localhost:5000/app:v1@${D}`,
  );
});

Deno.test("isLoopback() and allowsHttpByDefault() classify hosts", () => {
  for (
    const h of ["localhost", "localhost:5000", "127.0.0.1", "127.3.2.1:80", "[::1]:5000", "::1"]
  ) {
    assert.equal(isLoopback(h), true, h);
    assert.equal(allowsHttpByDefault(h), true, h);
  }
  for (const h of ["ghcr.io", "10.0.0.1:5000", "128.0.0.1", "localhost.example.com"]) {
    assert.equal(isLoopback(h), false, h);
  }
  for (const h of ["10.1.2.3:5000", "172.16.0.1", "192.168.1.1", "reg.local", "x.localhost:5000"]) {
    assert.equal(allowsHttpByDefault(h), true, h);
  }
  for (const h of ["ghcr.io", "172.32.0.1", "8.8.8.8"]) {
    assert.equal(allowsHttpByDefault(h), false, h);
  }
});
