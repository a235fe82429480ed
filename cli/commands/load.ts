/** `cosign load`. @module */
import { layoutCommand } from "./_layout_command.ts";

export const loadCommand = layoutCommand({
  name: "load",
  short: "Load a signed image on disk to a remote registry",
  long: `Load a signed image on disk to a remote registry

Pushes what 'cosign save' wrote: the image (or image index) under <IMAGE>, then its signatures and
attestations under the cosign tags of its digest (in COSIGN_REPOSITORY when set).`,
  dirHelp: "path to directory where the signed image is stored on disk",
  call: async (o) => {
    const { loadCosignLayout } = await import("../../lib/oci/cosign_layout.ts");
    await loadCosignLayout(o);
  },
});
