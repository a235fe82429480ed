/**
 * An in-process HTTP proxy in front of a real registry that injects faults per request:
 * error statuses (500, 429 with `Retry-After` …), canned responses, garbage or truncated bodies,
 * endless bodies, slow responses and redirects. It records every request (method, path,
 * headers) so tests can assert what a client sent, e.g. that no `Authorization` header reached
 * a redirect target on another port.
 *
 * The proxy speaks plain HTTP on 127.0.0.1 and forwards to `upstream` (HTTP or HTTPS, trusting
 * `caCert`). `Location` headers naming the upstream are rewritten to the proxy.
 *
 * @module
 */

/** What to do with a matching request. */
export type FaultAction =
  | { status: number; headers?: Record<string, string>; body?: string | Uint8Array }
  | { kind: "garbage" } // forward, replace the body by random bytes of the same length
  | { kind: "truncate" } // forward, declare the full length, send half, then close
  | { kind: "endless"; headers?: Record<string, string> } // 200 with a body that never ends
  | { kind: "delay"; ms: number } // forward after a delay
  | { kind: "redirect"; to: string; status?: number } // redirect to `to` + path + query
  // forward (the upstream acts on it), then answer `status` with the upstream's headers and no
  // body: a response lost on the way back
  | { kind: "lose"; status: number }
  // forward (the upstream acts on it), then answer with its headers, the body rewritten and,
  // when given, another status (a lying server)
  | { kind: "rewrite"; status?: number; fn: (body: string) => string };

/** A fault rule: the first rule that matches (and still has `times` left) applies. */
export interface FaultRule {
  method?: string;
  path: RegExp;
  /** How many requests it applies to (default: all). */
  times?: number;
  action: FaultAction;
}

/** A request the proxy received. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: Headers;
  /** The rule that applied, if any. */
  fault?: FaultAction;
}

/** A running proxy. */
export interface FaultProxy {
  /** `127.0.0.1:PORT` */
  host: string;
  url: string;
  rules: FaultRule[];
  requests: SeenRequest[];
  stop(): Promise<void>;
}

/**
 * Starts a fault-injecting proxy.
 *
 * @param upstream the base URL to forward to (e.g. `http://127.0.0.1:5000`)
 * @param options `caCert` to trust the upstream's TLS certificate, initial `rules`
 * @returns the proxy
 */
export function startFaultProxy(
  upstream: string,
  options: { caCert?: string; rules?: FaultRule[] } = {},
): FaultProxy {
  const client = options.caCert ? Deno.createHttpClient({ caCerts: [options.caCert] }) : undefined;
  const rules = options.rules ?? [];
  const requests: SeenRequest[] = [];
  const up = new URL(upstream);
  const pending = new Set<ReadableStreamDefaultController>();
  let self = "";

  const forward = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const headers = new Headers(req.headers);
    headers.delete("host");
    const res = await fetch(`${up.origin}${url.pathname}${url.search}`, {
      method: req.method,
      headers,
      body: req.body,
      redirect: "manual",
      client,
    } as RequestInit);
    const out = new Headers(res.headers);
    const loc = out.get("location");
    if (loc?.startsWith(up.origin)) out.set("location", self + loc.slice(up.origin.length));
    return new Response(res.body, { status: res.status, headers: out });
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    const rule = rules.find((r) =>
      (r.times === undefined || r.times > 0) && (!r.method || r.method === req.method) &&
      r.path.test(url.pathname)
    );
    if (rule?.times !== undefined) rule.times--;
    const action = rule?.action;
    requests.push({
      method: req.method,
      path: url.pathname + url.search,
      headers: req.headers,
      fault: action,
    });
    if (!action) return await forward(req);
    if (!("kind" in action)) {
      await req.body?.cancel();
      return new Response(action.body as BodyInit ?? null, {
        status: action.status,
        headers: action.headers,
      });
    }
    switch (action.kind) {
      case "delay":
        await new Promise((r) => setTimeout(r, action.ms));
        return await forward(req);
      case "redirect":
        await req.body?.cancel();
        return new Response(null, {
          status: action.status ?? 307,
          headers: { location: `${action.to}${url.pathname}${url.search}` },
        });
      case "endless": {
        await req.body?.cancel();
        const chunk = new Uint8Array(64 * 1024).fill(0x7b);
        let ctrl: ReadableStreamDefaultController;
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            ctrl = c;
            pending.add(c);
          },
          pull(c) {
            c.enqueue(chunk);
          },
          cancel() {
            pending.delete(ctrl);
          },
        });
        return new Response(body, { status: 200, headers: action.headers });
      }
      case "lose": {
        const res = await forward(req);
        await res.body?.cancel();
        const headers = new Headers(res.headers);
        headers.delete("content-length");
        return new Response(null, { status: action.status, headers });
      }
      case "rewrite": {
        const res = await forward(req);
        const body = action.fn(await res.text());
        const headers = new Headers(res.headers);
        headers.delete("content-length");
        return new Response(body, { status: action.status ?? res.status, headers });
      }
      case "garbage": {
        const res = await forward(req);
        const n = (await res.arrayBuffer()).byteLength;
        const junk = new Uint8Array(n);
        for (let i = 0; i < n; i += 65536) {
          crypto.getRandomValues(junk.subarray(i, Math.min(n, i + 65536)));
        }
        return new Response(junk, { status: res.status, headers: res.headers });
      }
      case "truncate": {
        const res = await forward(req);
        const all = new Uint8Array(await res.arrayBuffer());
        const headers = new Headers(res.headers);
        headers.set("content-length", String(all.length));
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(all.subarray(0, all.length >> 1));
            c.error(new Error("truncated by fault proxy"));
          },
        });
        return new Response(body, { status: res.status, headers });
      }
    }
  });
  self = `http://127.0.0.1:${server.addr.port}`;
  return {
    host: `127.0.0.1:${server.addr.port}`,
    url: self,
    rules,
    requests,
    async stop() {
      for (const c of pending) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await server.shutdown();
      client?.close();
    },
  };
}
