/**
 * Where the test vectors from other Sigstore implementations live: `tests/fixtures/vectors/`
 * (origins in its MANIFEST.md and SOURCE.md), carried in the repository so that a clone alone
 * passes its tests.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** The vectors folder, as a path ending in "/". */
export const VECTORS: string = fileURLToPath(new URL("./fixtures/vectors/", import.meta.url));
