import { decodeJwt } from "jose";

/**
 * On-behalf-of calls: an MCP server exchanges the access token it received
 * for a short token to a downstream API (RFC 8693, POST /api/v1/token),
 * within the delegations an admin published. Tokens are cached per subject,
 * agent, audience, scopes and tool until shortly before they expire.
 */

export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
export const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

/** RFC 6749 / 8693 refusals, plus what goes wrong on the way to Warden. */
export type TokenExchangeErrorCode =
  | "invalid_request"
  | "invalid_grant"
  | "invalid_target"
  | "invalid_scope"
  | "unauthorized_client"
  | "invalid_client"
  | "temporarily_unavailable"
  | "unavailable";

export class TokenExchangeError extends Error {
  constructor(
    readonly code: TokenExchangeErrorCode,
    readonly description: string,
    readonly status?: number,
  ) {
    super(`${code}: ${description}`);
    this.name = "TokenExchangeError";
  }
}

export type DownstreamToken = { accessToken: string; scope: string[]; expiresAt: number; audience: string };

export type TokenForOptions = {
  /** The downstream API's audience URI. */
  audience: string;
  /** The scopes wanted, as an array or a space-separated string; omitted: whatever the delegation allows. */
  scope?: string | string[];
  /** The tool on whose behalf the call is made (delegations may be limited to tools). */
  tool?: string;
};

export type TokenExchangerOptions = {
  /** Warden's base URL. */
  url: string;
  /** This MCP server's API key. */
  apiKey: string;
  fetch?: typeof fetch;
  now?: () => number;
  /** Tokens are renewed this long before they expire. Default 30 s. */
  renewBeforeMs?: number;
  /** Cached tokens kept at most; the oldest go first. Default 1,000. */
  maxCached?: number;
  timeoutMs?: number;
};

const KNOWN_CODES = new Set<TokenExchangeErrorCode>(["invalid_request", "invalid_grant", "invalid_target", "invalid_scope", "unauthorized_client", "invalid_client", "temporarily_unavailable"]);

export type TokenExchanger = ReturnType<typeof createTokenExchanger>;

export function createTokenExchanger(options: TokenExchangerOptions) {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const renewBefore = options.renewBeforeMs ?? 30_000;
  const maxCached = options.maxCached ?? 1_000;
  const endpoint = new URL("/api/v1/token", options.url).toString();
  const cache = new Map<string, DownstreamToken>();
  const inflight = new Map<string, Promise<DownstreamToken>>();

  async function request(incomingToken: string, wanted: TokenForOptions, scopes: string[]): Promise<DownstreamToken> {
    const form = new URLSearchParams({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token: incomingToken, subject_token_type: ACCESS_TOKEN_TYPE, audience: wanted.audience });
    if (scopes.length > 0) form.set("scope", scopes.join(" "));
    if (wanted.tool) form.set("tool", wanted.tool);
    let response: Response;
    try {
      response = await doFetch(endpoint, {
        method: "POST",
        headers: { authorization: `Bearer ${options.apiKey}`, "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: form.toString(),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new TokenExchangeError("unavailable", `Warden could not be reached: ${error instanceof Error ? error.message : String(error)}`);
    }
    const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
    if (!response.ok || !body || typeof body.access_token !== "string") {
      const code = typeof body?.error === "string" && KNOWN_CODES.has(body.error as TokenExchangeErrorCode) ? (body.error as TokenExchangeErrorCode) : response.status === 401 ? "invalid_client" : "unavailable";
      const description = typeof body?.error_description === "string" ? body.error_description : typeof body?.error === "string" ? body.error : `Warden answered ${response.status}.`;
      throw new TokenExchangeError(code, description, response.status);
    }
    const expiresIn = typeof body.expires_in === "number" ? body.expires_in : 60;
    return { accessToken: body.access_token, scope: typeof body.scope === "string" ? body.scope.split(" ").filter(Boolean) : [], expiresAt: now() + expiresIn * 1000, audience: wanted.audience };
  }

  /**
   * A token for `audience` carrying what Warden grants of `scope` (which may
   * be fewer scopes than asked); throws TokenExchangeError when refused.
   */
  async function tokenFor(incomingToken: string, wanted: TokenForOptions): Promise<DownstreamToken> {
    const scopes = [...new Set(typeof wanted.scope === "string" ? wanted.scope.split(" ").filter(Boolean) : (wanted.scope ?? []))].sort();
    let claims: Record<string, unknown>;
    try {
      claims = decodeJwt(incomingToken);
    } catch {
      throw new TokenExchangeError("invalid_request", "The incoming token is not a JWT; pass the access token the MCP server received.");
    }
    // The incoming scopes are part of the key: a user whose token lost a scope must not keep a token that needed it.
    const cacheKey = JSON.stringify([claims.sub ?? "", claims.azp ?? claims.client_id ?? "", claims.scope ?? "", wanted.audience, scopes, wanted.tool ?? ""]);
    const cached = cache.get(cacheKey);
    if (cached && cached.expiresAt - renewBefore > now()) return cached;
    let pending = inflight.get(cacheKey);
    if (!pending) {
      pending = request(incomingToken, wanted, scopes)
        .then((token) => {
          cache.delete(cacheKey);
          cache.set(cacheKey, token);
          while (cache.size > maxCached) cache.delete(cache.keys().next().value!);
          return token;
        })
        .finally(() => inflight.delete(cacheKey));
      inflight.set(cacheKey, pending);
    }
    return pending;
  }

  return { tokenFor, clear: () => cache.clear(), get size() { return cache.size; } };
}
