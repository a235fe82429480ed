import assert from "node:assert/strict";
import { amzDate, signAwsRequest } from "./_sigv4.ts";

interface Vector {
  name: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  region: string;
  service: string;
  time: string;
  authorization: string;
}

const vectors: Vector[] = JSON.parse(
  await Deno.readTextFile(new URL("../../tests/fixtures/kms/sigv4.json", import.meta.url)),
);

for (const v of vectors) {
  Deno.test(`signAwsRequest() matches ${v.name}`, async () => {
    const headers = await signAwsRequest(
      {
        method: v.method,
        url: new URL(v.url),
        headers: v.headers,
        body: new TextEncoder().encode(v.body),
      },
      v.credentials,
      { region: v.region, service: v.service },
      new Date(v.time),
    );
    assert.equal(headers.authorization, v.authorization);
    assert.equal(headers["x-amz-date"], amzDate(new Date(v.time)));
    assert.equal(headers["x-amz-security-token"], v.credentials.sessionToken);
  });
}

Deno.test("signAwsRequest() changes the signature when anything signed changes", async () => {
  const v = vectors[1];
  const base = {
    method: v.method,
    url: new URL(v.url),
    headers: v.headers,
    body: new TextEncoder().encode(v.body),
  };
  const sign = (over: Partial<typeof base>, region = v.region) =>
    signAwsRequest(
      { ...base, ...over },
      v.credentials,
      { region, service: v.service },
      new Date(v.time),
    )
      .then((h) => h.authorization);
  const variants = await Promise.all([
    sign({ body: new TextEncoder().encode(v.body + " ") }),
    sign({ headers: { ...v.headers, "X-Amz-Target": "TrentService.Sign" } }),
    sign({ url: new URL("https://kms.us-east-2.amazonaws.com/") }),
    sign({}, "us-east-2"),
  ]);
  for (const a of variants) assert.notEqual(a, v.authorization);
});
