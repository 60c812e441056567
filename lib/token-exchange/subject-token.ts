import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload } from "jose";
import { z } from "zod";

/**
 * Verifies the access tokens MCP servers received (the subject tokens of an
 * exchange) against their authorization server's keys. The issuer is the one
 * an admin configured for the server, so unlike agent-chosen URLs (CIMD) it
 * may be on a private address; the fetches keep a timeout and a size cap, do
 * not follow redirects, and their results are cached.
 */

export const IDP_FETCH_TIMEOUT_MS = 5_000;
export const IDP_FETCH_MAX_BYTES = 256 * 1024;
const METADATA_TTL_MS = 10 * 60_000;
const JWKS_TTL_MS = 5 * 60_000;
// An unknown kid re-fetches the JWKS (the IdP rotated), but not more often than this.
const JWKS_REFETCH_COOLDOWN_MS = 30_000;
const CLOCK_TOLERANCE_SECONDS = 5;
const ASYMMETRIC_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];

export class IdpUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IdpUnavailableError";
  }
}

export class SubjectTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SubjectTokenError";
  }
}

const MetadataSchema = z.object({ issuer: z.string(), jwks_uri: z.url() }).loose();

async function fetchJson(url: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(IDP_FETCH_TIMEOUT_MS), headers: { accept: "application/json" } });
  } catch (error) {
    throw new IdpUnavailableError(`${url} could not be fetched: ${error instanceof Error && error.name === "TimeoutError" ? `no answer within ${IDP_FETCH_TIMEOUT_MS / 1000} s` : "connection failed"}.`);
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw new IdpUnavailableError(`${url} answered ${response.status}, not 200.`);
  }
  const declared = Number(response.headers.get("content-length"));
  if (declared > IDP_FETCH_MAX_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    throw new IdpUnavailableError(`${url} is larger than ${IDP_FETCH_MAX_BYTES / 1024} KB.`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > IDP_FETCH_MAX_BYTES) {
        await reader.cancel().catch(() => undefined);
        throw new IdpUnavailableError(`${url} is larger than ${IDP_FETCH_MAX_BYTES / 1024} KB.`);
      }
      chunks.push(value);
    }
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new IdpUnavailableError(`${url} did not answer JSON.`);
  }
}

/** RFC 8414 §3.1 (path inserted after /.well-known/), then OpenID Connect discovery. */
function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "");
  return [`${url.origin}/.well-known/oauth-authorization-server${path}`, `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`];
}

type Cached<T> = { value: T; expiresAt: number };

export function createSubjectTokenVerifier(options: { now?: () => number } = {}) {
  const now = options.now ?? Date.now;
  const metadata = new Map<string, Cached<{ jwksUri: string }>>();
  const jwks = new Map<string, Cached<ReturnType<typeof createLocalJWKSet>> & { fetchedAt: number }>();
  const pending = new Map<string, Promise<unknown>>();

  function once<T>(key: string, job: () => Promise<T>): Promise<T> {
    let running = pending.get(key) as Promise<T> | undefined;
    if (!running) {
      running = job().finally(() => pending.delete(key));
      pending.set(key, running);
    }
    return running;
  }

  async function discover(issuer: string): Promise<{ jwksUri: string }> {
    const cached = metadata.get(issuer);
    if (cached && cached.expiresAt > now()) return cached.value;
    return once(`meta:${issuer}`, async () => {
      let lastError: Error | null = null;
      for (const url of metadataUrls(issuer)) {
        try {
          const parsed = MetadataSchema.safeParse(await fetchJson(url));
          if (!parsed.success) throw new IdpUnavailableError(`${url} is not authorization server metadata (it needs issuer and jwks_uri).`);
          if (parsed.data.issuer !== issuer) throw new IdpUnavailableError(`${url} names the issuer ${parsed.data.issuer}, not ${issuer}.`);
          const value = { jwksUri: parsed.data.jwks_uri };
          metadata.set(issuer, { value, expiresAt: now() + METADATA_TTL_MS });
          return value;
        } catch (error) {
          lastError = error as Error;
        }
      }
      throw lastError ?? new IdpUnavailableError(`No metadata for ${issuer}.`);
    });
  }

  async function keySet(jwksUri: string, forceRefresh: boolean) {
    const cached = jwks.get(jwksUri);
    if (cached && cached.expiresAt > now() && !(forceRefresh && now() - cached.fetchedAt > JWKS_REFETCH_COOLDOWN_MS)) return cached.value;
    return once(`jwks:${jwksUri}`, async () => {
      const body = await fetchJson(jwksUri);
      if (!body || typeof body !== "object" || !Array.isArray((body as { keys?: unknown }).keys)) throw new IdpUnavailableError(`${jwksUri} is not a JWK set.`);
      const value = createLocalJWKSet(body as JSONWebKeySet);
      jwks.set(jwksUri, { value, expiresAt: now() + JWKS_TTL_MS, fetchedAt: now() });
      return value;
    });
  }

  /**
   * The claims of a subject token issued by `issuer` for `resource`, or a
   * SubjectTokenError saying which check failed (IdpUnavailableError when the
   * issuer's keys cannot be had).
   */
  async function verify(token: string, expected: { issuer: string; resource: string }): Promise<JWTPayload> {
    const { jwksUri } = await discover(expected.issuer);
    const attempt = async (refresh: boolean) =>
      jwtVerify(token, await keySet(jwksUri, refresh), { issuer: expected.issuer, algorithms: ASYMMETRIC_ALGORITHMS, clockTolerance: CLOCK_TOLERANCE_SECONDS, currentDate: new Date(now()) });
    let payload: JWTPayload;
    try {
      try {
        payload = (await attempt(false)).payload;
      } catch (error) {
        if (!(error instanceof joseErrors.JWKSNoMatchingKey)) throw error;
        payload = (await attempt(true)).payload;
      }
    } catch (error) {
      if (error instanceof IdpUnavailableError) throw error;
      throw new SubjectTokenError(describe(error, expected.issuer));
    }
    // jose takes any number: exp 1e309 (Infinity) never expires, and an iat centuries ahead passes unchecked.
    if (typeof payload.exp !== "number" || !Number.isFinite(payload.exp)) throw new SubjectTokenError("The subject token has no finite expiry (exp).");
    if (typeof payload.iat === "number" && !(payload.iat <= now() / 1000 + CLOCK_TOLERANCE_SECONDS)) throw new SubjectTokenError("The subject token claims to be issued in the future (iat).");
    const audiences = Array.isArray(payload.aud) ? payload.aud : payload.aud === undefined ? [] : [payload.aud];
    if (!audiences.includes(expected.resource)) {
      throw new SubjectTokenError(`The subject token's audience is ${audiences.join(", ") || "missing"}, not this server's resource ${expected.resource}: a token for another server cannot be exchanged here.`);
    }
    return payload;
  }

  return { verify };
}

function describe(error: unknown, issuer: string): string {
  if (error instanceof joseErrors.JWTExpired) return "The subject token has expired.";
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === "iss") return `The subject token was not issued by ${issuer}, this server's authorization server.`;
    if (error.claim === "nbf") return "The subject token is not valid yet (nbf).";
    return `The subject token's ${error.claim} claim is invalid: ${error.reason}.`;
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWKSNoMatchingKey) {
    return `The subject token's signature does not verify with the keys of ${issuer}.`;
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return "The subject token is not signed with an asymmetric algorithm.";
  return "The subject token is not a valid signed JWT.";
}
