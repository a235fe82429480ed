/**
 * RFC 3161 timestamps for cosign: parsing responses and tokens, verifying them against trusted
 * timestamp authorities, requesting them from a TSA, and cosign's stored formats.
 *
 * @module
 */

export * from "./bundle_timestamps.ts";
export * from "./create_timestamp_request.ts";
export * from "./parse_timestamp_response.ts";
export * from "./parse_timestamp_token.ts";
export * from "./request_timestamp.ts";
export * from "./rfc3161_timestamp.ts";
export * from "./verify_signed_timestamps.ts";
export * from "./verify_timestamp.ts";
