/**
 * A hostile OCI registry: an in-process HTTP server on 127.0.0.1 that speaks enough of the
 * distribution API (v2 ping, manifests, blobs, uploads, tags, the referrers API) over a
 * {@link MemoryRegistry}, and serves chosen blobs as a lying registry would: endless bodies,
 * bodies longer or shorter than their descriptor, `Content-Length` headers that lie or are left
 * out. It counts the bytes it wrote for each blob and notices when a client hangs up, so tests
 * can assert that a read stopped early.
 *
 * Every repository is stored in the memory registry under the registry name `"hostile"`
 * ({@link HostileRegistry.repo}); tests fill it directly or through the HTTP API (e.g. `cosign
 * sign`).
 *
 * @module
 */
import { MemoryRegistry } from "../../lib/registry/memory_registry.ts";
import { OCI_INDEX } from "../../lib/registry/media_types.ts";
import type { Repository } from "../../lib/registry/types.ts";

/** How a blob GET is answered instead of with the stored bytes. */
export type BlobFault =
  /** 200 with a body that never ends (`prefix`, then `fill` bytes); no Content-Length unless set. */
  | { kind: "endless"; prefix?: Uint8Array; contentLength?: number }
  /**
   * 200 with exactly `bytes`; `contentLength` is sent as given, left out when `null` (chunked),
   * and defaults to the true length.
   */
  | { kind: "body"; bytes: Uint8Array; contentLength?: number | null };

/** What the server wrote for one blob GET. */
export interface Served {
  digest: string;
  /** Bytes written into the body stream. */
  bytes: number;
  /** Whether the client cancelled the body before its end. */
  cancelled: boolean;
}

/** A running hostile registry. */
export interface HostileRegistry {
  /** `127.0.0.1:PORT`, for image references. */
  host: string;
  /** The content. */
  store: MemoryRegistry;
  /** Blob faults by digest (change them between tests). */
  faults: Map<string, BlobFault>;
  /** Every request: method and path (with query). */
  requests: Array<{ method: string; path: string }>;
  /** Every blob body served (GET), in order. */
  served: Served[];
  /**
   * When set, tag lists and referrers never end: every page holds about 1 MiB of made-up tags or
   * referrers and a `Link: rel="next"` to another page.
   */
  endlessListings: boolean;
  /** The store's repository for a name (`test/app`). */
  repo(name: string): Repository;
  stop(): Promise<void>;
}

const ROUTE = /^\/v2\/(.+?)\/(manifests|blobs\/uploads|blobs|referrers|tags)\/(.*)$/;
const CHUNK = 64 * 1024;

/**
 * Starts a hostile registry on a free loopback port.
 *
 * @returns the registry; `stop()` it when done
 */
export function startHostileRegistry(): HostileRegistry {
  const store = new MemoryRegistry();
  const faults = new Map<string, BlobFault>();
  const requests: HostileRegistry["requests"] = [];
  const served: Served[] = [];
  const uploads = new Map<string, Uint8Array[]>();
  const repo = (name: string): Repository => ({ registry: "hostile", repository: name });

  const error = (status: number, code: string, message: string) =>
    Response.json({ errors: [{ code, message }] }, { status });

  const blobBody = (digest: string, fault: BlobFault | undefined, stored: Uint8Array) => {
    const record: Served = { digest, bytes: 0, cancelled: false };
    served.push(record);
    const bytes = fault?.kind === "body" ? fault.bytes : stored;
    let off = 0;
    const prefix = fault?.kind === "endless" ? fault.prefix ?? new Uint8Array() : undefined;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        let chunk: Uint8Array;
        if (prefix) {
          chunk = off < prefix.length
            ? prefix.slice(off, off + CHUNK)
            : new Uint8Array(CHUNK).fill(0x61);
        } else {
          if (off >= bytes.length) return c.close();
          chunk = bytes.slice(off, off + CHUNK);
        }
        off += chunk.length;
        record.bytes += chunk.length;
        c.enqueue(chunk);
      },
      cancel() {
        record.cancelled = true;
      },
    }, { highWaterMark: 0 });
    const headers = new Headers({ "content-type": "application/octet-stream" });
    const length = fault?.kind === "endless"
      ? fault.contentLength
      : fault?.kind === "body"
      ? (fault.contentLength === undefined ? bytes.length : fault.contentLength ?? undefined)
      : bytes.length;
    if (length !== undefined) headers.set("content-length", String(length));
    headers.set("docker-content-digest", digest);
    return new Response(body, { headers });
  };

  const handle = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    requests.push({ method: req.method, path: url.pathname + url.search });
    if (url.pathname === "/v2/" || url.pathname === "/v2") return Response.json({});
    const m = ROUTE.exec(url.pathname);
    if (!m) return error(404, "NAME_UNKNOWN", "no route");
    const [, name, kind, rest] = m;
    const r = repo(name);
    try {
      if (kind === "manifests" && (req.method === "GET" || req.method === "HEAD")) {
        const f = await store.getManifest(r, rest);
        return new Response(req.method === "HEAD" ? null : f.bytes as Uint8Array<ArrayBuffer>, {
          headers: {
            "content-type": f.mediaType,
            "docker-content-digest": f.digest,
            "content-length": String(f.bytes.length),
          },
        });
      }
      if (kind === "manifests" && req.method === "PUT") {
        const bytes = new Uint8Array(await req.arrayBuffer());
        const type = req.headers.get("content-type") ?? "";
        const digest = await store.putManifest(r, rest, bytes, type);
        return new Response(null, { status: 201, headers: { "docker-content-digest": digest } });
      }
      if (kind === "blobs" && (req.method === "GET" || req.method === "HEAD")) {
        const fault = faults.get(rest);
        if (req.method === "HEAD") {
          const has = fault !== undefined || await store.hasBlob(r, rest);
          return new Response(null, { status: has ? 200 : 404 });
        }
        const stored = fault ? new Uint8Array() : await store.getBlobBytes(r, rest, Infinity);
        return blobBody(rest, fault, stored);
      }
      if (kind === "blobs/uploads" && req.method === "POST") {
        const id = crypto.randomUUID();
        uploads.set(id, []);
        return new Response(null, {
          status: 202,
          headers: { location: `/v2/${name}/blobs/uploads/${id}` },
        });
      }
      if (kind === "blobs/uploads" && (req.method === "PATCH" || req.method === "PUT")) {
        const id = rest.split("?")[0];
        const parts = uploads.get(id);
        if (!parts) return error(404, "BLOB_UPLOAD_UNKNOWN", "no such upload");
        parts.push(new Uint8Array(await req.arrayBuffer()));
        if (req.method === "PATCH") {
          return new Response(null, {
            status: 202,
            headers: { location: `/v2/${name}/blobs/uploads/${id}` },
          });
        }
        uploads.delete(id);
        const all = new Uint8Array(
          await new Blob(parts as Uint8Array<ArrayBuffer>[]).arrayBuffer(),
        );
        const { digest } = await store.putBlob(r, all);
        if (digest !== url.searchParams.get("digest")) {
          return error(400, "DIGEST_INVALID", "digest mismatch");
        }
        return new Response(null, { status: 201, headers: { "docker-content-digest": digest } });
      }
      if (self.endlessListings && (kind === "referrers" || kind === "tags")) {
        const page = Number(url.searchParams.get("page") ?? "0");
        const next = `</v2/${name}/${kind}/${rest}?page=${page + 1}>; rel="next"`;
        const pad = "x".repeat(1000);
        if (kind === "tags") {
          const tags = Array.from({ length: 1000 }, (_, i) => `t${page}-${i}-${pad}`);
          return Response.json({ name, tags }, { headers: { link: next } });
        }
        const manifests = Array.from({ length: 1000 }, (_, i) => ({
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          digest: `sha256:${(page * 1000 + i).toString(16).padStart(64, "0")}`,
          size: 100,
          annotations: { pad },
        }));
        return Response.json(
          { schemaVersion: 2, mediaType: OCI_INDEX, manifests },
          { headers: { "content-type": OCI_INDEX, link: next } },
        );
      }
      if (kind === "referrers" && req.method === "GET") {
        const manifests = await store.referrers(r, rest);
        return Response.json(
          { schemaVersion: 2, mediaType: OCI_INDEX, manifests },
          { headers: { "content-type": OCI_INDEX } },
        );
      }
      if (kind === "tags" && req.method === "GET") {
        return Response.json({ name, tags: await store.listTags(r) });
      }
    } catch (e) {
      const status = (e as { status?: number }).status ?? 500;
      const code = (e as { ociCode?: string }).ociCode ?? (e as { code?: string }).code ??
        "UNKNOWN";
      return error(status === 0 ? 500 : status, code, (e as Error).message);
    }
    return error(405, "UNSUPPORTED", `${req.method} ${kind}`);
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handle);
  const host = `127.0.0.1:${server.addr.port}`;
  const self: HostileRegistry = {
    host,
    store,
    faults,
    requests,
    served,
    endlessListings: false,
    repo,
    stop: () => server.shutdown(),
  };
  return self;
}
