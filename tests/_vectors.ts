/**
 * Where the shared test vectors live: `../shared/vectors` beside the repository (CI clones the
 * repository with shared/ beside it too). Tests that need only a few files copy them into
 * tests/fixtures instead.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** The vectors folder, as a path ending in "/". */
export const VECTORS: string = fileURLToPath(new URL("../../shared/vectors/", import.meta.url));
