/**
 * The `spiffe` provider (cosign pkg/providers/spiffe): a JWT-SVID from the SPIFFE Workload API
 * (SPIFFE Workload API spec §6, `SpiffeWorkloadAPI.FetchJWTSVID`), spoken as gRPC over HTTP/2
 * with prior knowledge on the agent's Unix socket — what go-spiffe's `workloadapi.Client` does.
 *
 * Only the little of gRPC and protobuf this one unary call needs is written here: a
 * length-prefixed message (gRPC over HTTP/2, "Length-Prefixed-Message") holding
 * `JWTSVIDRequest { repeated string audience = 1; string spiffe_id = 2; }`, answered by
 * `JWTSVIDResponse { repeated JWTSVID svids = 1; }` with `JWTSVID { string spiffe_id = 1;
 * string svid = 2; … }` (go-spiffe proto/spiffe/workload/workload.proto). `fetch` shows no HTTP
 * trailers, so a failure is seen either in a trailers-only answer (`grpc-status` among the
 * headers, which is how servers answer errors before any message) or as a missing message.
 *
 * The first SVID returned is used, checked as go-spiffe's `jwtsvid.ParseInsecure` checks it: a
 * SPIFFE ID subject, the audience asked, an expiry in the future.
 *
 * @module
 */
import { readBodyBounded } from "../../http.ts";
import {
  type AmbientContext,
  type AmbientProvider,
  contextPathExists,
  providerError,
} from "../ambient_provider.ts";
import { parseIdentityToken } from "../identity_token.ts";

/** The variable naming the Workload API socket (`env.VariableSPIFFEEndpointSocket`). */
export const SPIFFE_ENDPOINT_SOCKET = "SPIFFE_ENDPOINT_SOCKET";

/** cosign's `defaultSocketPath`. */
export const DEFAULT_SPIFFE_SOCKET = "/tmp/spire-agent/public/api.sock";

/** The most bytes read from the Workload API's answer. */
const MAX_ANSWER = 256 * 1024;

function socketPath(ctx: AmbientContext): string {
  return ctx.getEnv(SPIFFE_ENDPOINT_SOCKET) || ctx.overrides?.spiffeSocketPath ||
    DEFAULT_SPIFFE_SOCKET;
}

/** Enabled when the Workload API socket exists. */
export const spiffeProvider: AmbientProvider = {
  name: "spiffe",
  enabled: (ctx) => contextPathExists(ctx, socketPath(ctx)),
  async provide(ctx, audience) {
    const path = socketPath(ctx);
    const fail = (why: string, cause?: unknown) => providerError("spiffe", why, cause);
    const client = Deno.createHttpClient({
      proxy: { transport: "unix", path },
      http1: false,
      http2: true,
    });
    try {
      let res: Response;
      try {
        res = await (ctx.fetch ?? fetch)("http://localhost/SpiffeWorkloadAPI/FetchJWTSVID", {
          method: "POST",
          headers: {
            "content-type": "application/grpc",
            te: "trailers",
            // The Workload API refuses calls without this header (spec §5.3).
            "workload.spiffe.io": "true",
          },
          body: grpcFrame(encodeStrings(1, [audience])),
          signal: ctx.signal,
          client,
        } as RequestInit);
      } catch (e) {
        throw fail(`cannot reach the Workload API at ${path}: ${(e as Error).message}`, e);
      }
      const status = res.headers.get("grpc-status");
      if (res.status !== 200 || (status !== null && status !== "0")) {
        await res.body?.cancel().catch(() => {});
        const msg = decodeURIComponent(res.headers.get("grpc-message") ?? "");
        throw fail(
          `the Workload API refused: ${
            status !== null ? `gRPC status ${status}${msg ? `: ${msg}` : ""}` : `HTTP ${res.status}`
          }`,
        );
      }
      let svid: string | undefined;
      try {
        const body = await readBodyBounded(res, MAX_ANSWER, "the Workload API answer");
        svid = firstSvid(grpcMessage(body));
      } catch (e) {
        throw fail(`cannot read the Workload API answer: ${(e as Error).message}`, e);
      }
      if (!svid) throw fail("the Workload API returned no JWT-SVID");
      checkSvid(svid, audience, fail);
      return svid;
    } finally {
      client.close();
    }
  },
};

function checkSvid(
  svid: string,
  audience: string,
  fail: (why: string, cause?: unknown) => Error,
): void {
  let token;
  try {
    token = parseIdentityToken(svid);
  } catch (e) {
    throw fail(`the JWT-SVID is not a JWT: ${(e as Error).message}`, e);
  }
  if (!token.subject?.startsWith("spiffe://")) {
    throw fail(`the JWT-SVID's subject is not a SPIFFE ID: ${JSON.stringify(token.subject ?? "")}`);
  }
  if (!token.audiences.includes(audience)) {
    throw fail(`the JWT-SVID's audience is ${token.audiences.join(", ")}, expected ${audience}`);
  }
  if (!token.expiresAt || token.expiresAt.getTime() <= Date.now()) {
    throw fail("the JWT-SVID is expired or has no expiry");
  }
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

/** A repeated `string` field (wire type 2). */
function encodeStrings(field: number, values: string[]): Uint8Array {
  const out: number[] = [];
  for (const v of values) {
    const b = new TextEncoder().encode(v);
    out.push(...varint((field << 3) | 2), ...varint(b.length), ...b);
  }
  return new Uint8Array(out);
}

/** gRPC's Length-Prefixed-Message: no compression, 4-byte big-endian length. */
function grpcFrame(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + message.length);
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}

function grpcMessage(body: Uint8Array): Uint8Array {
  if (body.length < 5) throw new SyntaxError("no gRPC message");
  if (body[0] !== 0) throw new SyntaxError("compressed gRPC messages are not supported");
  const len = new DataView(body.buffer, body.byteOffset).getUint32(1);
  if (5 + len > body.length) throw new SyntaxError("truncated gRPC message");
  return body.subarray(5, 5 + len);
}

/** The length-delimited fields of a protobuf message, in order (other wire types skipped). */
function* fields(msg: Uint8Array): Generator<[number, Uint8Array]> {
  let i = 0;
  const readVarint = (): number => {
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (i >= msg.length) throw new SyntaxError("truncated varint");
      const b = msg[i++];
      v += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return v;
    }
    throw new SyntaxError("varint too long");
  };
  while (i < msg.length) {
    const key = readVarint();
    const wire = key & 7;
    const field = Math.floor(key / 8);
    if (wire === 0) readVarint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      const len = readVarint();
      if (i + len > msg.length) throw new SyntaxError("truncated field");
      yield [field, msg.subarray(i, i + len)];
      i += len;
    } else throw new SyntaxError(`unsupported wire type ${wire}`);
    if (i > msg.length) throw new SyntaxError("truncated field");
  }
}

/** `JWTSVIDResponse.svids[0].svid`. */
function firstSvid(response: Uint8Array): string | undefined {
  for (const [field, svid] of fields(response)) {
    if (field !== 1) continue;
    for (const [f, value] of fields(svid)) {
      if (f === 2) return new TextDecoder("utf-8", { fatal: true }).decode(value);
    }
    return undefined;
  }
  return undefined;
}
