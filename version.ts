/** The version of this cosign implementation. */
export const VERSION = "0.1.0";
