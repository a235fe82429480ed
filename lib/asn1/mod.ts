/**
 * A minimal, bounded DER codec for key structures.
 *
 * @module
 */

export * from "./der.ts";
