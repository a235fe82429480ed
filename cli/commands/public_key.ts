/** `cosign public-key`. @module */
import type { Command } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { readPassword, writeAll } from "../io.ts";
import { securityKeyFlags, signingKeyFlag } from "../flags/groups.ts";
import { keyRefDeps, signingKeyRef } from "../options/key_options.ts";

export const publicKeyCommand: Command = {
  name: "public-key",
  short: "Gets a public key from the key-pair.",
  long:
    "Gets a public key from the key-pair and\nwrites to a specified file. By default, it will write to standard out.",
  example: `  # extract public key from private key to a specified out file.
  cosign public-key --key <PRIVATE KEY FILE> --outfile <OUTPUT>

  # extract public key from a private key held in an environment variable
  cosign public-key --key env://COSIGN_PRIVATE_KEY

  # extract public key from URL.
  cosign public-key --key https://host.for/<FILE> --outfile <OUTPUT>

  # extract public key from a key on a PKCS#11 token
  cosign public-key --key 'pkcs11:token=test;object=k1?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234'

  # extract public key from the signature slot of a YubiKey
  cosign public-key --sk --slot signature`,
  maxArgs: 0,
  bindEnv: true,
  flags: [
    ...securityKeyFlags,
    signingKeyFlag,
    {
      name: "outfile",
      type: "string",
      help: "path to a payload file to use rather than generating one",
    },
  ],
  async run(ctx) {
    const key = ctx.flags.key as string;
    if ((key === "") === (ctx.flags.sk !== true)) {
      throw new UsageError(
        "exactly one of: key reference (--key), or hardware token (--sk) must be provided",
      );
    }
    const { marshalPublicKeyPem } = await import("../../lib/keys/public_key.ts");
    let publicKey;
    if (ctx.flags.sk === true) {
      // cosign reads a security key's public key without the PIN (pivkey Verifier).
      const { loadProviderPublicKey } = await import("../../lib/verify/load_public_key.ts");
      publicKey = await loadProviderPublicKey(signingKeyRef(ctx), keyRefDeps(ctx));
    } else {
      const { loadSigner } = await import("../../lib/sign/load_signer.ts");
      const signer = await loadSigner(key, {
        ...keyRefDeps(ctx),
        getPassword: () => readPassword(ctx.io, false),
      });
      publicKey = signer.publicKey;
    }
    const pem = marshalPublicKeyPem(publicKey);
    const outfile = ctx.flags.outfile as string;
    if (outfile === "") {
      await writeAll(ctx.io.stdout, pem);
      return;
    }
    const { writeFileAtomic } = await import("../../lib/atomic_file.ts");
    await writeFileAtomic(outfile, pem, { mode: 0o644 });
    await ctx.info(`Public key written to ${outfile}`);
  },
};
