/**
 * The `filesystem` provider: a token file mounted at a well-known path (cosign
 * pkg/providers/filesystem), e.g. a Kubernetes projected service-account token.
 *
 * @module
 */
import {
  type AmbientProvider,
  contextPathExists,
  fileProblem,
  providerError,
  readContextFile,
} from "../ambient_provider.ts";

/** cosign's `FilesystemTokenPath`. */
export const FILESYSTEM_TOKEN_PATH = "/var/run/sigstore/cosign/oidc-token";

/**
 * Enabled when the token file exists; the token is its contents (surrounding white space
 * removed: a trailing newline would make an invalid `Authorization` header).
 */
export const filesystemProvider: AmbientProvider = {
  name: "filesystem",
  enabled: (ctx) =>
    contextPathExists(ctx, ctx.overrides?.filesystemTokenPath ?? FILESYSTEM_TOKEN_PATH),
  async provide(ctx) {
    const path = ctx.overrides?.filesystemTokenPath ?? FILESYSTEM_TOKEN_PATH;
    try {
      return new TextDecoder().decode(await readContextFile(ctx, path)).trim();
    } catch (e) {
      throw providerError("filesystem", `cannot read ${path}: ${fileProblem(e)}`, e);
    }
  },
};
