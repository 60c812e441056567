import "server-only";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ApiKeyIdentity } from "@/lib/api-keys/api-keys";
import type { Db } from "@/lib/db/client";
import { CLIENT_IP_HEADER } from "@/lib/auth/request-context";
import { runtimeEncryptionKey } from "@/lib/config/runtime-signer";
import { ensureTokenSigningKey, loadTokenSigner, tokenJwks, type TokenSigner } from "@/lib/token-exchange/keys";
import { authorizationServerMetadata, createTokenExchange, formFields, parseFormBody } from "@/lib/token-exchange/exchange";
import { createSubjectTokenVerifier } from "@/lib/token-exchange/subject-token";
import { createAuditBatcher } from "@/lib/token-exchange/audit-batcher";
import type { ConfigFeed } from "./config-feed";
import { readNodeBody, readNodeJsonBody } from "./read-body";

type Authenticate = (req: IncomingMessage, res: ServerResponse, method?: "GET" | "POST") => Promise<ApiKeyIdentity | null>;
type Send = (res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>) => void;

const MAX_FORM_BYTES = 32 * 1024;
const SIGNER_TTL_MS = 60_000;
const JWKS_TTL_MS = 30_000;
const ISSUER_PATH = /^\/api\/v1\/issuers\/([a-z0-9][a-z0-9_-]{0,63})(\/jwks|\/\.well-known\/(?:oauth-authorization-server|openid-configuration))?$/;
const METADATA_PATH = /^\/\.well-known\/oauth-authorization-server\/api\/v1\/issuers\/([a-z0-9][a-z0-9_-]{0,63})$/;
const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" };

export type TokenExchangeOptions = {
  /** Signs issued tokens; by default the active token signing key, created on first use. */
  tokenSigner?: () => Promise<TokenSigner>;
  /** The public base URL issuers are named under (WARDEN_ISSUER_URL, else NEXTAUTH_URL, else the request's Host). */
  issuerBaseUrl?: string | (() => string);
};

/**
 * The token exchange endpoint and what downstream APIs need to verify its
 * tokens:
 * - POST /api/v1/token (RFC 8693, the MCP server's API key as credentials);
 * - GET /.well-known/oauth-authorization-server/api/v1/issuers/<env> (RFC 8414);
 * - GET /api/v1/issuers/<env>/jwks, public.
 */
export function createTokenExchangeRoutes(db: Db, feed: ConfigFeed, authenticate: Authenticate, send: Send, options: TokenExchangeOptions = {}) {
  let cachedSigner: { signer: TokenSigner; at: number } | null = null;
  const loadSigner =
    options.tokenSigner ??
    (async () => {
      const key = runtimeEncryptionKey();
      await ensureTokenSigningKey(db, key);
      return loadTokenSigner(db, key);
    });
  async function signer(): Promise<TokenSigner> {
    if (cachedSigner && Date.now() - cachedSigner.at < SIGNER_TTL_MS) return cachedSigner.signer;
    cachedSigner = { signer: await loadSigner(), at: Date.now() };
    return cachedSigner.signer;
  }
  let cachedJwks: { body: unknown; at: number } | null = null;
  const configured = options.issuerBaseUrl;
  const baseUrl = (host: string | undefined) => (typeof configured === "function" ? configured() : configured) ?? process.env.WARDEN_ISSUER_URL ?? process.env.NEXTAUTH_URL ?? `http://${host ?? "localhost"}`;
  const service = createTokenExchange({ db, liveConfig: feed.live, signer, verifier: createSubjectTokenVerifier(), baseUrl, audit: createAuditBatcher(db) });

  return async function tokenRoutes(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
    if (pathname === "/api/v1/token") {
      await token(req, res);
      return true;
    }
    const metadata = METADATA_PATH.exec(pathname);
    const issuerPath = ISSUER_PATH.exec(pathname);
    if (!metadata && !issuerPath) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 405, { error: "Use GET." }, { Allow: "GET, HEAD" });
      return true;
    }
    const environmentKey = (metadata ?? issuerPath)![1]!;
    if (!feed.liveByKey(environmentKey)) {
      send(res, 404, { error: `Nothing is published in ${environmentKey}, so it issues no tokens.` });
      return true;
    }
    if (issuerPath?.[2] === "/jwks") {
      if (!cachedJwks || Date.now() - cachedJwks.at > JWKS_TTL_MS) cachedJwks = { body: await tokenJwks(db), at: Date.now() };
      // Public keys: cacheable, and rotation keeps the old key listed through its overlap.
      send(res, 200, cachedJwks.body, { "Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*" });
      return true;
    }
    if (issuerPath && !issuerPath[2]) return false;
    send(res, 200, authorizationServerMetadata(baseUrl(req.headers.host), environmentKey), { "Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*" });
    return true;
  };

  async function token(req: IncomingMessage, res: ServerResponse) {
    if (req.method !== "POST") return send(res, 405, { error: "invalid_request", error_description: "Use POST." }, { Allow: "POST" });
    const key = await authenticate(req, res, "POST");
    if (!key) return;
    const type = String(req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    let fields: Record<string, unknown>;
    if (type === "application/json") {
      const body = await readNodeJsonBody(req, MAX_FORM_BYTES);
      if (!body.ok) return send(res, body.status, { error: "invalid_request", error_description: body.error }, { ...body.headers, ...NO_STORE });
      if (!body.value || typeof body.value !== "object" || Array.isArray(body.value)) return send(res, 400, { error: "invalid_request", error_description: "Send the token request as a form (or a JSON object)." }, NO_STORE);
      fields = formFields(body.value as Record<string, unknown>);
    } else if (type === "application/x-www-form-urlencoded") {
      const raw = await readNodeBody(req, MAX_FORM_BYTES);
      if (!raw.ok) return send(res, raw.status, { error: "invalid_request", error_description: raw.status === 413 ? `The request is larger than ${MAX_FORM_BYTES / 1024} KB.` : raw.error }, { ...raw.headers, ...NO_STORE });
      const form = parseFormBody(raw.bytes);
      if (!form.ok) return send(res, 400, { error: "invalid_request", error_description: form.error }, NO_STORE);
      fields = formFields(form.params);
    } else {
      return send(res, 415, { error: "invalid_request", error_description: "Send the token request as application/x-www-form-urlencoded (RFC 6749 §4.1.3)." }, NO_STORE);
    }
    const ip = req.headers[CLIENT_IP_HEADER];
    const answer = await service.exchange(key, fields, { ip: typeof ip === "string" && ip ? ip : null, host: req.headers.host });
    send(res, answer.status, answer.body, NO_STORE);
  }
}
