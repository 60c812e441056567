import { compactVerify, createLocalJWKSet, errors, type JSONWebKeySet } from "jose";
import { z } from "zod";
import { canonicalJson, sha256Hex } from "../../lib/crypto/canonical-json";
import type { PolicySnapshot } from "../../lib/policy/types";

/** What Warden publishes for one server (see DESIGN §3): the policy plus what it refers to. */
export type WardenConfig = {
  environment: string;
  servers: { name: string; resource: string; authorizationServer: string; scopesSupported: string[] }[];
  scopes: { name: string; description: string | null }[];
  policy: PolicySnapshot;
};

/** A config document that passed every check. */
export type VerifiedConfig = {
  environment: string;
  server: string | null;
  version: number;
  contentHash: string;
  issuedAt: string;
  expiresAt: string;
  keyId: string;
  config: WardenConfig;
  /** The document exactly as received, kept so it can be persisted and re-verified later. */
  raw: string;
};

export const REFUSAL_REASONS = [
  "malformed",
  "unknown_key",
  "bad_signature",
  "claims_mismatch",
  "content_hash_mismatch",
  "version_rollback",
  "version_conflict",
  "expired",
  "not_yet_valid",
  "wrong_server",
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** A config that must not be applied, and why. */
export class ConfigRefusedError extends Error {
  constructor(
    readonly reason: RefusalReason,
    message: string,
    readonly version?: number,
  ) {
    super(message);
    this.name = "ConfigRefusedError";
  }
}

const SIGNATURE_TYPE = "warden-config+jws";
/** Tolerated clock difference between Warden and this server. */
const CLOCK_SKEW_MS = 5 * 60_000;

const DocumentSchema = z.object({
  schemaVersion: z.literal(1),
  environment: z.string().min(1),
  server: z.string().min(1).nullable(),
  version: z.number().int().positive(),
  issuedAt: z.iso.datetime({ offset: true }),
  expiresAt: z.iso.datetime({ offset: true }),
  contentHash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  config: z.object({
    environment: z.string(),
    servers: z.array(z.object({ name: z.string(), resource: z.string(), authorizationServer: z.string(), scopesSupported: z.array(z.string()) }).loose()),
    scopes: z.array(z.object({ name: z.string(), description: z.string().nullable() }).loose()),
    policy: z
      .object({
        environment: z.string(),
        tools: z.array(z.object({ server: z.string(), name: z.string(), enabled: z.boolean(), approved: z.boolean(), requiresApproval: z.boolean() }).loose()),
        roles: z.array(z.object({ name: z.string(), claimName: z.string(), claimValue: z.string() }).loose()),
        grants: z.array(z.object({ role: z.string(), server: z.string(), tool: z.string(), requiredScopes: z.array(z.string()) }).loose()),
        clients: z.array(
          z.object({ clientId: z.string(), kind: z.string().optional(), status: z.string(), scopeCeiling: z.array(z.string()), restrictTools: z.boolean(), allowedTools: z.array(z.string()) }).loose(),
        ),
      })
      .loose(),
  }),
  signature: z.string().min(1),
});

const ClaimsSchema = z.object({
  environment: z.string(),
  server: z.string().nullable(),
  version: z.number(),
  contentHash: z.string(),
  issuedAt: z.string(),
  expiresAt: z.string(),
});

export type VerifyOptions = {
  /** The pinned public keys (JWKS). */
  keys: JSONWebKeySet;
  /** The highest version ever trusted, and its content hash: nothing older is accepted. */
  trusted?: { version: number; contentHash: string } | null;
  /** When the server's name is known, a config for another server is refused. */
  server?: string | null;
  now?: number;
  /** For a last-known-good config read back from disk: its age no longer matters. */
  allowExpired?: boolean;
};

/**
 * Checks a config document before anything of it is used: shape, EdDSA
 * signature by a pinned key, signed claims equal to the document's, the
 * content hash recomputed over canonical JSON, no version older than one
 * already trusted, and not expired. Throws ConfigRefusedError otherwise.
 */
export async function verifyConfigDocument(raw: string, options: VerifyOptions): Promise<VerifiedConfig> {
  let parsedJson: unknown;
  try {
    parsedJson = JSON.parse(raw);
  } catch {
    throw new ConfigRefusedError("malformed", "The config is not valid JSON.");
  }
  const parsed = DocumentSchema.safeParse(parsedJson);
  if (!parsed.success) throw new ConfigRefusedError("malformed", `The config does not have the expected shape: ${parsed.error.issues[0]?.message ?? "invalid"}.`);
  const document = parsed.data;
  const version = document.version;

  let payload: Uint8Array;
  let keyId: string;
  try {
    const verified = await compactVerify(document.signature, createLocalJWKSet(options.keys), { algorithms: ["EdDSA"] });
    if (verified.protectedHeader.typ !== SIGNATURE_TYPE) throw new ConfigRefusedError("bad_signature", `The signature has type ${verified.protectedHeader.typ ?? "(none)"}, not ${SIGNATURE_TYPE}.`, version);
    payload = verified.payload;
    keyId = verified.protectedHeader.kid ?? "";
  } catch (error) {
    if (error instanceof ConfigRefusedError) throw error;
    if (error instanceof errors.JWKSNoMatchingKey) {
      throw new ConfigRefusedError("unknown_key", `The config is signed with key ${signatureKid(document.signature) ?? "(no kid)"}, which is not one of the pinned keys.`, version);
    }
    throw new ConfigRefusedError("bad_signature", `The config's signature does not verify: ${(error as Error).message}.`, version);
  }

  let claims: z.infer<typeof ClaimsSchema>;
  try {
    claims = ClaimsSchema.parse(JSON.parse(new TextDecoder().decode(payload)));
  } catch {
    throw new ConfigRefusedError("claims_mismatch", "The signed statement is not readable.", version);
  }
  for (const field of ["environment", "server", "version", "contentHash", "issuedAt", "expiresAt"] as const) {
    if (claims[field] !== document[field]) {
      throw new ConfigRefusedError("claims_mismatch", `The document's ${field} (${String(document[field])}) differs from the signed one (${String(claims[field])}).`, version);
    }
  }

  const recomputed = `sha256:${sha256Hex(canonicalJson(document.config))}`;
  if (recomputed !== document.contentHash) {
    throw new ConfigRefusedError("content_hash_mismatch", `The config's content hashes to ${recomputed}, but ${document.contentHash} was signed.`, version);
  }

  if (options.server && document.server !== null && document.server !== options.server) {
    throw new ConfigRefusedError("wrong_server", `The config is for server ${document.server}, not ${options.server}.`, version);
  }

  const trusted = options.trusted;
  if (trusted && version < trusted.version) {
    throw new ConfigRefusedError("version_rollback", `Version ${version} is older than version ${trusted.version}, which was already trusted.`, version);
  }
  if (trusted && version === trusted.version && document.contentHash !== trusted.contentHash) {
    throw new ConfigRefusedError("version_conflict", `Version ${version} arrived with different content than the version ${version} already trusted.`, version);
  }

  const now = options.now ?? Date.now();
  if (!options.allowExpired) {
    if (Date.parse(document.expiresAt) <= now) throw new ConfigRefusedError("expired", `The config's signature expired at ${document.expiresAt}.`, version);
    if (Date.parse(document.issuedAt) > now + CLOCK_SKEW_MS) throw new ConfigRefusedError("not_yet_valid", `The config claims to be issued at ${document.issuedAt}, in the future.`, version);
  }

  return {
    environment: document.environment,
    server: document.server,
    version,
    contentHash: document.contentHash,
    issuedAt: document.issuedAt,
    expiresAt: document.expiresAt,
    keyId,
    config: document.config as unknown as WardenConfig,
    raw,
  };
}

function signatureKid(jws: string): string | null {
  try {
    const header = JSON.parse(Buffer.from(jws.split(".")[0] ?? "", "base64url").toString("utf8")) as { kid?: unknown };
    return typeof header.kid === "string" ? header.kid : null;
  } catch {
    return null;
  }
}
