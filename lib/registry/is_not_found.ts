/**
 * Registry "not found" answers.
 *
 * @module
 */
import { RegistryError } from "../errors.ts";

/**
 * Whether an error is a registry 404 (ggcr `transport.Error` with `StatusNotFound`).
 *
 * @param e any error
 * @returns true for "not found"
 */
export function isNotFound(e: unknown): boolean {
  return e instanceof RegistryError &&
    (e.status === 404 || e.code === "MANIFEST_UNKNOWN" || e.code === "NAME_UNKNOWN");
}
