/** `cosign save`. @module */
import { layoutCommand } from "./_layout_command.ts";

export const saveCommand = layoutCommand({
  name: "save",
  short: "Save the container image and associated signatures to disk at the specified directory.",
  long: `Save the container image and associated signatures to disk at the specified directory.

The directory becomes an OCI image layout holding the image (or image index) with all its blobs,
its signatures and its attestations, as the Go cosign writes it: 'cosign load' pushes it back to
a registry and 'cosign verify --local-image' verifies it offline.`,
  dirHelp: "path to dir where the signed image should be stored on disk",
  call: async (o) => {
    const { saveCosignLayout } = await import("../../lib/oci/cosign_layout.ts");
    await saveCosignLayout(o);
  },
});
