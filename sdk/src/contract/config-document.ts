import { z } from "zod";
import { contentDigest, DIGEST_PATTERN } from "./canonical-json.ts";
import { PolicySnapshotSchema } from "./policy.ts";

// GET /api/v1/config: what Warden publishes for an MCP server and how it is
// signed. The data plane builds documents of this type and the SDK verifies
// them against these schemas, so the two cannot drift apart.

/**
 * The document format, sent as `schemaVersion`. A new field that older SDKs
 * may ignore keeps the number; anything an older SDK would misread (a field
 * removed, renamed or retyped, a new value in a closed list such as a
 * client's status) takes the next number, which older SDKs refuse as
 * malformed. The SDK's README states which formats each SDK version reads.
 */
export const CONFIG_SCHEMA_VERSION = 1;

/** The JWS `typ` of a config document's signature; nothing else Warden signs carries it. */
export const CONFIG_SIGNATURE_TYPE = "warden-config+jws";
/** Ed25519. */
export const CONFIG_SIGNATURE_ALGORITHM = "EdDSA";

/** What a ConfigVersion holds and an MCP server receives: the policy plus what it refers to. */
export const PublishedConfigSchema = z.object({
  environment: z.string(),
  servers: z.array(
    z.object({
      name: z.string(),
      resource: z.string(),
      // "" rather than null when the server has no authorization server: format 1 requires a string.
      authorizationServer: z.string(),
      scopesSupported: z.array(z.string()),
    }),
  ),
  scopes: z.array(z.object({ name: z.string(), description: z.string().nullable() })),
  policy: PolicySnapshotSchema,
});
export type PublishedConfig = z.infer<typeof PublishedConfigSchema>;

/** What the signature covers: the document's envelope, whose content hash pins the config itself. */
export const ConfigClaimsSchema = z.object({
  environment: z.string().min(1),
  /** null: an environment-wide document, for an API key not bound to one server. */
  server: z.string().min(1).nullable(),
  version: z.number().int().positive(),
  /** contentDigest(config). */
  contentHash: z.string().regex(DIGEST_PATTERN),
  issuedAt: z.iso.datetime({ offset: true }),
  expiresAt: z.iso.datetime({ offset: true }),
});
export type ConfigClaims = z.infer<typeof ConfigClaimsSchema>;

/** The signed claims, by name: each must equal the document's own field. */
export const CONFIG_CLAIM_FIELDS = Object.keys(ConfigClaimsSchema.shape) as (keyof ConfigClaims)[];

export const ConfigDocumentSchema = ConfigClaimsSchema.extend({
  schemaVersion: z.literal(CONFIG_SCHEMA_VERSION),
  config: PublishedConfigSchema,
  /** Compact JWS (typ CONFIG_SIGNATURE_TYPE, EdDSA, with kid) over the JSON of the claims. */
  signature: z.string().min(1),
});
export type ConfigDocument = z.infer<typeof ConfigDocumentSchema>;

/** The content hash a config is published, signed and verified under. */
export function configContentHash(config: PublishedConfig): string {
  return contentDigest(config);
}

/** The claims of a document, in the order Warden signs them. */
export function configClaims(claims: ConfigClaims): ConfigClaims {
  return { environment: claims.environment, server: claims.server, version: claims.version, contentHash: claims.contentHash, issuedAt: claims.issuedAt, expiresAt: claims.expiresAt };
}

/** A complete document, as the data plane serves it: the claims, the config they pin, and their signature. */
export function configDocument(claims: ConfigClaims, config: PublishedConfig, signature: string): ConfigDocument {
  return { schemaVersion: CONFIG_SCHEMA_VERSION, ...configClaims(claims), config, signature };
}
