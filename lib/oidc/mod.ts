/** OIDC: the ambient token providers cosign knows (detection). @module */
export * from "./ambient_providers.ts";
