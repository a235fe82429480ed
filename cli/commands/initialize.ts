/** `cosign initialize` (cmd/cosign/cli/initialize.go, options/initialize.go). @module */
import type { Command } from "../command.ts";
import { DEFAULT_TUF_MIRROR } from "../../lib/tuf/tuf_cache.ts";
import { tufCacheDirFromEnv } from "../options/tuf_options.ts";

export const initializeCommand: Command = {
  name: "initialize",
  short:
    "Initializes SigStore root to retrieve trusted certificate and key targets for verification.",
  long: `Initializes SigStore root to retrieve trusted certificate and key targets for verification.

The following options are used by default:
 - The current trusted Sigstore TUF root is embedded inside cosign at the time of release.
 - SigStore remote TUF repository is pulled from the CDN mirror at tuf-repo-cdn.sigstore.dev.

To provide an out-of-band trusted initial root.json, use the -root flag with a file or URL reference.
This will enable you to point cosign to a separate TUF root.

Any updated TUF repository will be written to $HOME/.sigstore/root/.

Trusted keys and certificate used in cosign verification (e.g. verifying Fulcio issued certificates
with Fulcio root CA) are pulled form the trusted metadata.`,
  example: `  # initialize root with distributed root keys, default mirror, and default out path.
  cosign initialize

  # initialize with an out-of-band root key file, using the default mirror.
  cosign initialize --root <url>

  # initialize with an out-of-band root key file and custom repository mirror.
  cosign initialize --mirror <url> --root <url>

  # initialize with an out-of-band root key file and custom repository mirror while verifying root checksum.
  cosign initialize --mirror <url> --root <url> --root-checksum <sha256>

  # use another cache folder than $HOME/.sigstore/root
  TUF_ROOT=/var/cache/sigstore cosign initialize`,
  maxArgs: 0,
  bindEnv: true,
  flags: [
    {
      name: "mirror",
      type: "string",
      default: DEFAULT_TUF_MIRROR,
      help:
        "GCS bucket to a SigStore TUF repository, or HTTP(S) base URL, or file:/// for local filestore remote (air-gap)",
    },
    {
      name: "root",
      type: "string",
      help: "path to trusted initial root. defaults to embedded root",
    },
    {
      name: "root-checksum",
      type: "string",
      help:
        "checksum of the initial root, required if root is downloaded via http(s). expects sha256 by default, can be changed to sha512 by providing sha512:<checksum>",
    },
  ],
  async run(ctx) {
    const { initializeTuf } = await import("../../lib/tuf/initialize_tuf.ts");
    // cosign prints nothing on success.
    await initializeTuf({
      cacheDir: await tufCacheDirFromEnv(ctx.io.getEnv),
      mirror: ctx.flags.mirror as string,
      root: ctx.flags.root as string,
      rootChecksum: ctx.flags["root-checksum"] as string,
      getEnv: ctx.io.getEnv,
      http: { signal: ctx.signal },
      warn: (line) => ctx.warn(line),
    });
  },
};
