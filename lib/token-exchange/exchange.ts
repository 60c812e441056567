import "server-only";
import { randomUUID } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import { decodeJwt, SignJWT, type JWTPayload } from "jose";
import { z } from "zod";
import type { Db } from "@/lib/db/client";
import type { ApiKeyIdentity } from "@/lib/api-keys/api-keys";
import type { PublishedConfig } from "@/lib/config/snapshot";
import { storeAuditEvents } from "@/lib/audit/ingest";
import { safeString, textProblem } from "@/lib/input/rules";
import type { ClaimValue } from "@/sdk/src/contract/policy";
import { decideExchange, EMPTY_DELEGATION_POLICY, type ExchangeRule } from "@/lib/delegation/decide-exchange";
import type { ExchangeError } from "@/lib/delegation/types";
import { TOKEN_SIGNING_ALGORITHM, type TokenSigner } from "./keys";
import { IdpUnavailableError, SubjectTokenError, type createSubjectTokenVerifier } from "./subject-token";

export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
export const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
export const JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt";
export const TOKEN_AUDIT_ACTION = "token.exchange";
/** The claim naming the config version that allowed the token. */
export const CONFIG_VERSION_CLAIM = "warden_config_version";

/** Where an environment's issuer lives under the public base URL. */
export function issuerFor(baseUrl: string, environmentKey: string): string {
  return `${baseUrl.replace(/\/$/, "")}/api/v1/issuers/${environmentKey}`;
}

/** RFC 8414 §3: metadata at /.well-known/oauth-authorization-server followed by the issuer's path. */
export function authorizationServerMetadata(baseUrl: string, environmentKey: string) {
  const base = baseUrl.replace(/\/$/, "");
  const issuer = issuerFor(base, environmentKey);
  return {
    issuer,
    token_endpoint: `${base}/api/v1/token`,
    jwks_uri: `${issuer}/jwks`,
    grant_types_supported: [TOKEN_EXCHANGE_GRANT],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ["warden_api_key"],
    token_endpoint_auth_signing_alg_values_supported: [],
    id_token_signing_alg_values_supported: [],
    access_token_signing_alg_values_supported: [TOKEN_SIGNING_ALGORITHM],
  };
}

const text = (max: number) => safeString().max(max, `at most ${max} characters`);

/** The form fields of RFC 8693 §2.1 Warden understands; any other field is ignored, as RFC 6749 §3.2 asks. */
export const ExchangeFormSchema = z.object({
  grant_type: text(200),
  subject_token: text(16_384).min(1, "subject_token is required"),
  subject_token_type: text(200),
  audience: z.array(text(2_048)).default([]),
  resource: z.array(text(2_048)).default([]),
  scope: text(4_096).optional(),
  tool: text(200).optional(),
  requested_token_type: text(200).optional(),
  actor_token: text(16_384).optional(),
});

export type ExchangeAnswer = { status: number; body: Record<string, unknown> };

type Refusal = { error: ExchangeError; description: string; rule: ExchangeRule | "invalid_request" | "subject_token_invalid" | "server_not_published" };

export type TokenExchangeDeps = {
  db: Db;
  /** The latest published config of an environment, from memory. */
  liveConfig: (environmentId: string) => { version: number; environmentKey: string; config: PublishedConfig } | null;
  signer: () => Promise<TokenSigner>;
  verifier: ReturnType<typeof createSubjectTokenVerifier>;
  /** The public base URL the issuer is named under. */
  baseUrl: (fallbackHost: string | undefined) => string;
  /** Writes the audit event; defaults to storing it at once. */
  audit?: (events: Parameters<typeof storeAuditEvents>[1]) => Promise<unknown>;
};

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * An application/x-www-form-urlencoded body as its name/value pairs. Unlike
 * URLSearchParams, which turns bytes that are not UTF-8 (raw, or percent-
 * encoded) into U+FFFD, it refuses them: a value is used exactly as sent or
 * not at all.
 */
export function parseFormBody(bytes: Uint8Array): { ok: true; params: URLSearchParams } | { ok: false; error: string } {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return { ok: false, error: "The body is not valid UTF-8." };
  }
  const params = new URLSearchParams();
  for (const pair of text.split("&")) {
    if (pair === "") continue;
    const at = pair.indexOf("=");
    const [name, value] = at < 0 ? [pair, ""] : [pair.slice(0, at), pair.slice(at + 1)];
    try {
      params.append(decodeURIComponent(name.replace(/\+/g, " ")), decodeURIComponent(value.replace(/\+/g, " ")));
    } catch {
      return { ok: false, error: `The form field ${JSON.stringify(name.slice(0, 40))} is not well-formed percent-encoded UTF-8.` };
    }
  }
  return { ok: true, params };
}

/** Parses the raw form (or JSON) into the fields; repeated audience / resource values are kept. */
export function formFields(raw: URLSearchParams | Record<string, unknown>): Record<string, unknown> {
  if (raw instanceof URLSearchParams) {
    const fields: Record<string, unknown> = {};
    for (const [name, value] of raw) {
      if (name === "audience" || name === "resource") (fields[name] = (fields[name] as string[] | undefined) ?? []).push(value);
      else if (name in fields) fields[name] = null; // a repeated single-valued field: refused below
      else fields[name] = value;
    }
    return fields;
  }
  const fields = { ...raw };
  for (const name of ["audience", "resource"]) {
    const value = fields[name];
    if (typeof value === "string") fields[name] = [value];
  }
  return fields;
}

/**
 * RFC 8693 token exchange for an MCP server authenticated by its API key:
 * verify the user's token, decide against the published delegations, issue
 * a short RFC 9068 access token for the downstream API. Every answer, grant
 * or refusal, is audited.
 */
export function createTokenExchange(deps: TokenExchangeDeps) {
  const audit = deps.audit ?? ((events) => storeAuditEvents(deps.db, events));

  async function exchange(key: ApiKeyIdentity, fields: Record<string, unknown>, context: { ip?: string | null; host?: string }): Promise<ExchangeAnswer> {
    const started = new Date();
    const record = { subject: "(unverified)", clientId: null as string | null, tool: null as string | null, audience: null as string | null, requested: [] as string[], configVersion: null as number | null, api: null as string | null };
    const refuse = async (refusal: Refusal): Promise<ExchangeAnswer> => {
      const status = 400;
      await audit([{ index: 0, event: auditEvent(key, record, { decision: "deny", reason: refusal.rule, error: refusal.error, description: refusal.description, granted: [] }, context.ip, started) }]);
      return { status, body: { error: refusal.error, error_description: refusal.description } };
    };

    const parsed = ExchangeFormSchema.safeParse(fields);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path[0];
      const description = field ? `${String(field)}: ${issue.message === "Invalid input: expected string, received null" ? "send it once" : issue.message}.` : "Send an application/x-www-form-urlencoded token request.";
      return refuse({ error: "invalid_request", rule: "invalid_request", description });
    }
    const form = parsed.data;
    record.tool = form.tool?.trim() || null;
    record.requested = form.scope ? [...new Set(form.scope.split(" ").filter(Boolean))] : [];
    const targets = [...new Set([...form.audience, ...form.resource])];
    record.audience = targets[0] ?? null;

    if (form.grant_type !== TOKEN_EXCHANGE_GRANT) return refuse({ error: "invalid_request", rule: "invalid_request", description: `grant_type must be ${TOKEN_EXCHANGE_GRANT}; this endpoint only exchanges tokens.` });
    if (form.subject_token_type !== ACCESS_TOKEN_TYPE && form.subject_token_type !== JWT_TOKEN_TYPE) {
      return refuse({ error: "invalid_request", rule: "invalid_request", description: `subject_token_type must be ${ACCESS_TOKEN_TYPE} (the access token the MCP server received).` });
    }
    if (form.requested_token_type && form.requested_token_type !== ACCESS_TOKEN_TYPE && form.requested_token_type !== JWT_TOKEN_TYPE) {
      return refuse({ error: "invalid_request", rule: "invalid_request", description: `requested_token_type may only be ${ACCESS_TOKEN_TYPE}.` });
    }
    if (form.actor_token) return refuse({ error: "invalid_request", rule: "invalid_request", description: "actor_token is not supported: the actor is the MCP server the API key belongs to." });
    if (targets.length === 0) return refuse({ error: "invalid_request", rule: "invalid_request", description: "Name the downstream API with audience (or resource)." });
    if (targets.length > 1) return refuse({ error: "invalid_target", rule: "unknown_target", description: "Name exactly one downstream API per exchange." });

    if (!key.serverName) return refuse({ error: "unauthorized_client", rule: "server_not_published", description: "This API key belongs to no one MCP server; token exchange needs a server's own API key, since the subject token's audience must be that server." });
    const live = deps.liveConfig(key.environmentId);
    record.configVersion = live?.version ?? null;
    const server = live?.config.servers.find((entry) => entry.name === key.serverName);
    if (!live || !server) return refuse({ error: "unauthorized_client", rule: "server_not_published", description: `Server ${key.serverName} is not in the published config of ${key.environmentKey}. Publish it first.` });
    if (!server.authorizationServer) return refuse({ error: "unauthorized_client", rule: "server_not_published", description: `Server ${server.name} has no authorization server, so Warden cannot verify the tokens it receives.` });
    if (record.tool && !live.config.policy.tools.some((tool) => tool.server === server.name && tool.name === record.tool)) {
      return refuse({ error: "invalid_request", rule: "invalid_request", description: `Server ${server.name} has no published tool ${record.tool}.` });
    }

    let claims: JWTPayload;
    try {
      claims = await deps.verifier.verify(form.subject_token, { issuer: server.authorizationServer, resource: server.resource });
    } catch (error) {
      if (error instanceof SubjectTokenError) {
        record.subject = unverifiedSubject(form.subject_token);
        return refuse({ error: "invalid_grant", rule: "subject_token_invalid", description: error.message });
      }
      if (error instanceof IdpUnavailableError) {
        await audit([{ index: 0, event: auditEvent(key, record, { decision: "error", reason: "idp_unavailable", error: "temporarily_unavailable", description: error.message, granted: [] }, context.ip, started) }]);
        return { status: 503, body: { error: "temporarily_unavailable", error_description: `The keys of ${server.authorizationServer} could not be fetched: ${error.message}` } };
      }
      throw error;
    }
    // The issued token names the user exactly as the subject token does, and the trail records it: a sub that
    // cannot be stored, or would have to be cut, is refused rather than turned into someone else's.
    const subProblem = subjectProblem(claims.sub);
    if (subProblem) return refuse({ error: "invalid_grant", rule: "subject_token_invalid", description: `The subject token's sub claim ${subProblem}.` });
    record.subject = claims.sub as string;
    const clientId = typeof claims.azp === "string" ? claims.azp : typeof claims.client_id === "string" ? claims.client_id : "";
    const clientProblem = clientId ? textProblem(clientId) : null;
    if (clientProblem) return refuse({ error: "invalid_grant", rule: "subject_token_invalid", description: `The subject token's client id (azp or client_id) ${clientProblem}.` });
    record.clientId = clientId ? clip(clientId, 2_048) : null;
    const incomingScopes = typeof claims.scope === "string" ? claims.scope.split(" ").filter(Boolean) : Array.isArray(claims.scp) ? claims.scp.filter((scope): scope is string => typeof scope === "string") : [];

    const decision = decideExchange({ ...live.config.policy, version: live.version }, live.config.policy.delegation ?? EMPTY_DELEGATION_POLICY, {
      server: server.name,
      subject: record.subject,
      clientId,
      audience: record.audience!,
      requestedScopes: record.requested,
      incomingScopes,
      tool: record.tool,
      claims: claimValues(claims),
    });
    record.api = decision.api?.name ?? null;
    if (!decision.ok) return refuse({ error: decision.error, rule: decision.rule, description: decision.message });

    const signer = await deps.signer();
    const issuedAt = Math.floor(Date.now() / 1000);
    const lifetime = decision.api.tokenLifetimeSeconds;
    const jti = randomUUID();
    // RFC 8693 §4.1: the current actor outermost, earlier actors nested inside.
    const act = { sub: server.resource, ...(claims.act && typeof claims.act === "object" ? { act: claims.act } : {}) };
    const accessToken = await new SignJWT({ scope: decision.granted.join(" "), client_id: clientId, azp: clientId, act, [CONFIG_VERSION_CLAIM]: live.version })
      .setProtectedHeader({ alg: TOKEN_SIGNING_ALGORITHM, kid: signer.kid, typ: "at+jwt" })
      .setIssuer(issuerFor(deps.baseUrl(context.host), live.environmentKey))
      .setSubject(record.subject)
      .setAudience(decision.api.audience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + lifetime)
      .setJti(jti)
      .sign(signer.privateKey);
    await audit([
      {
        index: 0,
        event: auditEvent(key, record, { decision: "allow", reason: "granted", description: decision.message, granted: decision.granted, dropped: decision.dropped, jti, expiresIn: lifetime }, context.ip, started),
      },
    ]);
    return {
      status: 200,
      body: { access_token: accessToken, issued_token_type: ACCESS_TOKEN_TYPE, token_type: "Bearer", expires_in: lifetime, scope: decision.granted.join(" ") },
    };
  }

  return { exchange };
}

function auditEvent(
  key: ApiKeyIdentity,
  record: { subject: string; clientId: string | null; tool: string | null; audience: string | null; requested: string[]; configVersion: number | null; api: string | null },
  outcome: { decision: "allow" | "deny" | "error"; reason: string; error?: string; description: string; granted: string[]; dropped?: { scope: string; why: string }[]; jti?: string; expiresIn?: number },
  ip: string | null | undefined,
  ts: Date,
) {
  return {
    id: uuidv7Like(ts),
    ts,
    environmentId: key.environmentId,
    source: "mcp" as const,
    actor: record.subject,
    clientId: record.clientId,
    server: key.serverName,
    tool: record.tool,
    action: TOKEN_AUDIT_ACTION,
    target: record.api ? `downstream-api:${record.api}` : record.audience ? clip(record.audience, 2_048) : null,
    decision: outcome.decision,
    reason: outcome.reason,
    configVersion: record.configVersion,
    ip: ip ?? null,
    details: {
      audience: record.audience,
      scopesRequested: record.requested,
      scopesGranted: outcome.granted,
      ...(outcome.error ? { error: outcome.error } : {}),
      message: outcome.description,
      ...(outcome.dropped?.length ? { scopesDropped: outcome.dropped } : {}),
      ...(outcome.jti ? { jti: outcome.jti, expiresIn: outcome.expiresIn } : {}),
    },
  };
}

function uuidv7Like(ts: Date): string {
  return uuidv7({ msecs: ts.getTime() });
}

/** The longest sub an issued token carries and the trail records (the audit actor's limit). */
export const MAX_SUBJECT_LENGTH = 256;

/** Why a verified token's sub cannot name the user of an issued token, or null when it can. */
function subjectProblem(sub: unknown): string | null {
  if (typeof sub !== "string" || sub === "") return "is missing; an issued token must name its user";
  const problem = textProblem(sub);
  if (problem) return problem;
  if (sub.length > MAX_SUBJECT_LENGTH) return `is longer than ${MAX_SUBJECT_LENGTH} characters`;
  return null;
}

/** At most `max` UTF-16 units of storable text: U+0000 and lone surrogates removed, never a surrogate pair cut in two. */
function clip(value: string, max: number): string {
  const cut = value.replace(/\u0000/g, "").slice(0, max);
  const storable = textProblem(cut) ? cut.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "") : cut;
  return storable;
}

/** For the audit of a refused token only: what it claims, never trusted for anything else. */
function unverifiedSubject(token: string): string {
  try {
    const sub = decodeJwt(token).sub;
    const label = typeof sub === "string" ? clip(sub, 200) : "";
    return label ? `${label} (unverified)` : "(unverified)";
  } catch {
    return "(unverified)";
  }
}

function claimValues(claims: JWTPayload): Record<string, ClaimValue> {
  const values: Record<string, ClaimValue> = {};
  for (const [name, value] of Object.entries(claims)) {
    if (typeof value === "string") values[name] = value;
    else if (Array.isArray(value) && value.every((item) => typeof item === "string")) values[name] = value as string[];
  }
  return values;
}
