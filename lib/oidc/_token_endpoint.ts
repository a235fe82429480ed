/**
 * Requests to an OAuth 2.0 token endpoint (RFC 6749 §3.2) as golang.org/x/oauth2 makes them for
 * sigstore's flows. Private to lib/oidc.
 *
 * @module
 */
import { IdentityError } from "../errors.ts";
import { excerpt, type OidcHttpOptions, postForm, type ReadResponse } from "./_http.ts";

/** A token endpoint's answer, JSON or form-encoded (RFC 6749 §5.1; GitHub-style providers). */
export function tokenResponseFields(res: ReadResponse): Record<string, unknown> {
  const type = (res.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  const text = res.text();
  if (type === "application/x-www-form-urlencoded" || type === "text/plain") {
    return Object.fromEntries(new URLSearchParams(text));
  }
  try {
    const v = JSON.parse(text);
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v;
  } catch { /* reported below */ }
  throw new IdentityError(
    "OIDC_FLOW_FAILED",
    `Cannot get identity token: the token endpoint's answer is not JSON (HTTP ${res.status}: ${
      excerpt(text)
    })`,
  );
}

/** `error` and `error_description` of an RFC 6749 §5.2 error answer, for messages. */
export function describeTokenError(fields: Record<string, unknown>, res: ReadResponse): string {
  if (typeof fields.error === "string") {
    const d = typeof fields.error_description === "string" ? ` (${fields.error_description})` : "";
    return `${fields.error}${d}`;
  }
  return `HTTP ${res.status} ${res.statusText}: ${excerpt(res.text())}`;
}

/**
 * Exchanges an authorization grant at the token endpoint, authenticating the client the way
 * oauth2's auto-detection does: HTTP Basic first (RFC 6749 §2.3.1, id and secret form-encoded),
 * then, when that attempt fails, `client_id`/`client_secret` in the body.
 *
 * @returns the answer's fields (2xx), with the response
 * @throws {IdentityError} `OIDC_FLOW_FAILED` when both attempts are refused
 */
export async function exchangeAtTokenEndpoint(
  tokenEndpoint: string,
  params: Record<string, string | undefined>,
  client: { clientId: string; clientSecret?: string },
  http: OidcHttpOptions,
): Promise<Record<string, unknown>> {
  const what = "get identity token from the token endpoint";
  const basic = btoa(
    `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret ?? "")}`,
  );
  let res = await postForm(what, tokenEndpoint, params, http, {
    authorization: `Basic ${basic}`,
  });
  if (res.status < 200 || res.status > 299) {
    res = await postForm(what, tokenEndpoint, {
      ...params,
      client_id: client.clientId,
      client_secret: client.clientSecret || undefined,
    }, http);
  }
  const fields = tokenResponseFields(res);
  if (res.status < 200 || res.status > 299) {
    throw new IdentityError(
      "OIDC_FLOW_FAILED",
      `Cannot get identity token: the token endpoint refused the exchange: ${
        describeTokenError(fields, res)
      }`,
    );
  }
  return fields;
}
