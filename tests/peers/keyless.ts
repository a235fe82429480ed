/**
 * The whole keyless infrastructure on loopback, started in the order each part needs: an OIDC
 * issuer (tests/peers/oidc_issuer.ts), Rekor with Trillian (tests/peers/rekor.ts), a Fulcio CA
 * made for the run, a CT log on Rekor's Trillian accepting that CA (tests/peers/ct_log.ts, unless
 * `ctLog: false`), Fulcio trusting the issuer and submitting to the CT log (tests/peers/fulcio.ts),
 * and a trusted root naming all of them (tests/peers/trusted_root.ts).
 *
 * Go cosign v2.6.4 then signs with {@link KeylessPeers.signArgs} and verifies with
 * `--trusted-root` {@link KeylessPeers.trustedRootPath}; see tests/interop/keyless_go_test.ts for
 * the exact flags. Nothing listens beyond 127.0.0.1 except Fulcio's and rekor-server's metrics
 * listeners (see their modules).
 *
 * @module
 */
import { join } from "node:path";
import { type CtLogPeer, startCtLog } from "./ct_log.ts";
import { createFulcioCa, type FulcioPeer, startFulcio } from "./fulcio.ts";
import { type OidcAlgorithm, type OidcIssuer, startOidcIssuer } from "./oidc_issuer.ts";
import { type RekorPeer, startRekor } from "./rekor.ts";
import {
  type TrustedAuthority,
  type TrustedRootInput,
  writeTrustedRootFile,
} from "./trusted_root.ts";

/** The running keyless peers. */
export interface KeylessPeers {
  oidc: OidcIssuer;
  rekor: RekorPeer;
  /** Absent when started with `ctLog: false` (certificates then carry no SCT). */
  ctLog?: CtLogPeer;
  fulcio: FulcioPeer;
  /** The e-mail issuer's URL (`--certificate-oidc-issuer` for e-mail identities). */
  emailIssuer: string;
  /** The GitHub-Actions-like issuer's URL (Fulcio type `github-workflow`). */
  githubIssuer: string;
  /** A folder for the run's files, removed by `stop()`. */
  dir: string;
  /** trusted_root.json naming Fulcio's chain, Rekor's key and the CT log's key. */
  trustedRootPath: string;
  /** The same as an object. */
  trustedRoot: Record<string, unknown>;
  /** What went into the trusted root (for variants, e.g. without the CA). */
  trustedRootInput: TrustedRootInput;
  /** Files for cosign's SIGSTORE_* variables: the Fulcio chain (root last), Rekor's and CT's keys. */
  files: { fulcioChain: string; fulcioRoot: string; rekorKey: string; ctLogKey?: string };
  /**
   * cosign's keyless signing flags against these peers: `--fulcio-url --rekor-url
   * --identity-token --yes`, plus `--insecure-skip-verify` when there is no CT log (nothing to
   * verify an SCT with).
   */
  signArgs(token: string): string[];
  stop(): Promise<void>;
}

/**
 * Starts every keyless peer.
 *
 * @param options `ctLog` (default true): run the CT log; `algorithm`: the OIDC signing algorithm;
 *   `timestampAuthorities`: TSAs for the trusted root's `timestampAuthorities`
 * @returns the peers; `stop()` ends them all in reverse order
 * @throws {Error} when a peer is missing or does not come up (tests fail, never skip)
 */
export async function startKeylessPeers(
  options: {
    ctLog?: boolean;
    algorithm?: OidcAlgorithm;
    /** Timestamp authorities to name in the trusted root (e.g. a local timestamp-server). */
    timestampAuthorities?: TrustedAuthority[];
    /**
     * More issuers Fulcio trusts (e.g. tests/helpers/oidc_provider.ts, whose login and device
     * flows tests play), each with its Fulcio issuer type.
     */
    issuers?: { url: string; type: "email" | "github-workflow" }[];
  } = {},
): Promise<KeylessPeers> {
  const stops: (() => Promise<void>)[] = [];
  const dir = await Deno.makeTempDir({ prefix: "keyless-peers-" });
  stops.push(() => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* gone */ }
    return Promise.resolve();
  });
  // Every peer's stop() kills and cleans up synchronously before its first `await`; starting them
  // all at once keeps that true for the whole set (an `unload` listener cannot wait).
  const stop = async () => {
    await Promise.all(stops.reverse().map((s) => s().catch(() => {})));
  };
  try {
    const oidc = await startOidcIssuer({ algorithm: options.algorithm });
    stops.push(oidc.stop);
    const rekor = await startRekor();
    stops.push(rekor.stop);
    const ca = await createFulcioCa(dir);
    let ctLog: CtLogPeer | undefined;
    if (options.ctLog ?? true) {
      ctLog = await startCtLog({ trillianAddress: rekor.trillianAddress, rootsPem: ca.rootPem });
      stops.push(ctLog.stop);
    }
    const emailIssuer = oidc.issuerUrl();
    const githubIssuer = oidc.issuerUrl("/github");
    const fulcio = await startFulcio({
      ca,
      issuers: [
        { url: emailIssuer, type: "email" },
        { url: githubIssuer, type: "github-workflow" },
        ...(options.issuers ?? []),
      ],
      ctLogUrl: ctLog?.url,
    });
    stops.push(fulcio.stop);

    const start = ca.notBefore;
    const trustedRootInput: TrustedRootInput = {
      certificateAuthorities: [{
        uri: fulcio.url,
        chainPem: ca.chainPem,
        subject: ca.subject,
        validFor: { start },
      }],
      tlogs: [{ baseUrl: rekor.url, publicKeyPem: rekor.publicKeyPem, validFor: { start } }],
      ctlogs: ctLog
        ? [{ baseUrl: ctLog.url, publicKeyPem: ctLog.publicKeyPem, validFor: { start } }]
        : [],
      timestampAuthorities: options.timestampAuthorities ?? [],
    };
    const trustedRootPath = join(dir, "trusted_root.json");
    const trustedRoot = await writeTrustedRootFile(trustedRootPath, trustedRootInput);
    return {
      oidc,
      rekor,
      ctLog,
      fulcio,
      emailIssuer,
      githubIssuer,
      dir,
      trustedRootPath,
      trustedRoot,
      trustedRootInput,
      files: {
        fulcioChain: ca.chainPath,
        fulcioRoot: ca.rootPath,
        rekorKey: rekor.publicKeyPath,
        ctLogKey: ctLog?.publicKeyPath,
      },
      signArgs: (token: string) => [
        "--fulcio-url",
        fulcio.url,
        "--rekor-url",
        rekor.url,
        "--identity-token",
        token,
        "--yes",
        ...(ctLog ? [] : ["--insecure-skip-verify"]),
      ],
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
