import { compactVerify, createLocalJWKSet, errors, type JSONWebKeySet } from "jose";
import { CONFIG_CLAIM_FIELDS, CONFIG_SIGNATURE_ALGORITHM, CONFIG_SIGNATURE_TYPE, ConfigClaimsSchema, ConfigDocumentSchema, configContentHash, type ConfigClaims, type PublishedConfig } from "./contract/config-document.ts";

/** What Warden publishes for one server (see DESIGN §3): the policy plus what it refers to. */
export type WardenConfig = PublishedConfig;

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

/** Tolerated clock difference between Warden and this server. */
const CLOCK_SKEW_MS = 5 * 60_000;

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
  const parsed = ConfigDocumentSchema.safeParse(parsedJson);
  if (!parsed.success) throw new ConfigRefusedError("malformed", `The config does not have the expected shape: ${parsed.error.issues[0]?.message ?? "invalid"}.`);
  const document = parsed.data;
  const version = document.version;

  let payload: Uint8Array;
  let keyId: string;
  try {
    const verified = await compactVerify(document.signature, createLocalJWKSet(options.keys), { algorithms: [CONFIG_SIGNATURE_ALGORITHM] });
    if (verified.protectedHeader.typ !== CONFIG_SIGNATURE_TYPE) throw new ConfigRefusedError("bad_signature", `The signature has type ${verified.protectedHeader.typ ?? "(none)"}, not ${CONFIG_SIGNATURE_TYPE}.`, version);
    payload = verified.payload;
    keyId = verified.protectedHeader.kid ?? "";
  } catch (error) {
    if (error instanceof ConfigRefusedError) throw error;
    if (error instanceof errors.JWKSNoMatchingKey) {
      throw new ConfigRefusedError("unknown_key", `The config is signed with key ${signatureKid(document.signature) ?? "(no kid)"}, which is not one of the pinned keys.`, version);
    }
    throw new ConfigRefusedError("bad_signature", `The config's signature does not verify: ${(error as Error).message}.`, version);
  }

  let claims: ConfigClaims;
  try {
    claims = ConfigClaimsSchema.parse(JSON.parse(new TextDecoder().decode(payload)));
  } catch {
    throw new ConfigRefusedError("claims_mismatch", "The signed statement is not readable.", version);
  }
  for (const field of CONFIG_CLAIM_FIELDS) {
    if (claims[field] !== document[field]) {
      throw new ConfigRefusedError("claims_mismatch", `The document's ${field} (${String(document[field])}) differs from the signed one (${String(claims[field])}).`, version);
    }
  }

  // The config as it arrived, not as the schema read it: a field added by a
  // newer Warden is covered by the hash too, and kept for whoever reads it.
  const config = (parsedJson as { config: PublishedConfig }).config;
  const recomputed = configContentHash(config);
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
    config,
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
