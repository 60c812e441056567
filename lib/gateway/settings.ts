import { z } from "zod";

const list = (value: string | undefined) =>
  (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);

const httpUrl = (what: string) =>
  z
    .url(`${what} must be an absolute http(s) URL.`)
    .refine((value) => !URL.canParse(value) || /^https?:$/.test(new URL(value).protocol), `${what} must be an http or https URL.`);

const positiveInt = (what: string, fallback: number, max: number) =>
  z.coerce
    .number({ error: `${what} must be a number.` })
    .int(`${what} must be a whole number.`)
    .min(1, `${what} must be at least 1.`)
    .max(max, `${what} must be at most ${max}.`)
    .default(fallback);

const JwksSchema = z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }).loose();

/**
 * The gateway's environment, checked once at start so a typo fails with a
 * sentence naming the variable rather than a 500 on the first request.
 */
export const GatewayEnvSchema = z
  .object({
    WARDEN_URL: httpUrl("WARDEN_URL"),
    WARDEN_API_KEY: z.string({ error: "WARDEN_API_KEY is required (a wdn_… key of the server this gateway fronts)." }).regex(/^wdn_\S+$/, "WARDEN_API_KEY must be a Warden API key (wdn_…)."),
    WARDEN_JWKS: z.string().optional(),
    WARDEN_ALLOW_KEY_REFRESH: z.enum(["true", "false"]).default("false"),
    WARDEN_STATE_FILE: z.string().min(1).optional(),
    WARDEN_POLL_INTERVAL_MS: z
      .string()
      .regex(/^\d+,\d+$/, "WARDEN_POLL_INTERVAL_MS is min,max in milliseconds, e.g. 10000,20000.")
      .optional(),
    WARDEN_AUDIT_FLUSH_MS: positiveInt("WARDEN_AUDIT_FLUSH_MS", 5_000, 600_000),
    WARDEN_APPROVAL_EXPIRES_SECONDS: positiveInt("WARDEN_APPROVAL_EXPIRES_SECONDS", 600, 86_400).optional(),
    GATEWAY_RESOURCE: httpUrl("GATEWAY_RESOURCE (this gateway's public MCP URL, the aud of its access tokens)"),
    OAUTH_ISSUER: httpUrl("OAUTH_ISSUER"),
    OAUTH_JWKS_URI: httpUrl("OAUTH_JWKS_URI").optional(),
    UPSTREAM_URL: httpUrl("UPSTREAM_URL").optional(),
    UPSTREAM_COMMAND: z.string().trim().min(1).optional(),
    UPSTREAM_ARGS: z.string().optional(),
    UPSTREAM_HEADER: z
      .string()
      .regex(/^[A-Za-z0-9-]+:\s*\S.*$/, 'UPSTREAM_HEADER is one header line, e.g. "Authorization: Bearer …".')
      .optional(),
    UPSTREAM_TOKEN_EXCHANGE_AUDIENCE: z.url("UPSTREAM_TOKEN_EXCHANGE_AUDIENCE is the audience URI of the downstream API registered in Warden for the upstream.").optional(),
    UPSTREAM_TOKEN_EXCHANGE_SCOPE: z
      .string()
      .regex(/^\s*[\x21\x23-\x5B\x5D-\x7E]+(\s+[\x21\x23-\x5B\x5D-\x7E]+)*\s*$/, 'UPSTREAM_TOKEN_EXCHANGE_SCOPE is a space-separated list of scopes, e.g. "calendar:read calendar:write".')
      .optional(),
    GATEWAY_PORT: z.coerce.number({ error: "GATEWAY_PORT must be a port number (0–65535)." }).int().min(0).max(65_535).default(3400),
    GATEWAY_HOST: z.string().min(1).default("127.0.0.1"),
    GATEWAY_ALLOWED_ORIGINS: z.string().optional(),
    GATEWAY_ALLOWED_HOSTS: z.string().optional(),
    GATEWAY_MAX_BODY_BYTES: positiveInt("GATEWAY_MAX_BODY_BYTES", 1024 * 1024, 64 * 1024 * 1024),
    GATEWAY_UPSTREAM_TIMEOUT_MS: positiveInt("GATEWAY_UPSTREAM_TIMEOUT_MS", 60_000, 3_600_000),
    GATEWAY_INSTANCE_ID: z.string().min(1).max(200).optional(),
  });

/**
 * Rules across variables, checked on the raw environment so they are
 * reported together with any per-variable mistake rather than after it.
 */
function crossChecks(env: Record<string, string | undefined>): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  if (Boolean(env.UPSTREAM_URL) === Boolean(env.UPSTREAM_COMMAND)) {
    issues.push({ path: "UPSTREAM_URL", message: "Set exactly one of UPSTREAM_URL (a Streamable HTTP MCP endpoint) and UPSTREAM_COMMAND (a stdio MCP server to spawn)." });
  }
  if (env.UPSTREAM_ARGS !== undefined && !env.UPSTREAM_COMMAND) issues.push({ path: "UPSTREAM_ARGS", message: "UPSTREAM_ARGS goes with UPSTREAM_COMMAND." });
  if (env.UPSTREAM_ARGS !== undefined && parseArgs(env.UPSTREAM_ARGS) === null) {
    issues.push({ path: "UPSTREAM_ARGS", message: 'UPSTREAM_ARGS is a JSON array of strings, e.g. ["server.js","--stdio"].' });
  }
  if (env.UPSTREAM_TOKEN_EXCHANGE_AUDIENCE) {
    if (env.UPSTREAM_HEADER) issues.push({ path: "UPSTREAM_TOKEN_EXCHANGE_AUDIENCE", message: "Set either UPSTREAM_HEADER (one static credential for every caller) or UPSTREAM_TOKEN_EXCHANGE_AUDIENCE (a token per caller from Warden), not both." });
    if (env.UPSTREAM_COMMAND) issues.push({ path: "UPSTREAM_TOKEN_EXCHANGE_AUDIENCE", message: "UPSTREAM_TOKEN_EXCHANGE_AUDIENCE needs an HTTP upstream (UPSTREAM_URL): a stdio server is one process with no per-request credential, so a caller's token could not reach it." });
  } else if (env.UPSTREAM_TOKEN_EXCHANGE_SCOPE !== undefined) {
    issues.push({ path: "UPSTREAM_TOKEN_EXCHANGE_SCOPE", message: "UPSTREAM_TOKEN_EXCHANGE_SCOPE goes with UPSTREAM_TOKEN_EXCHANGE_AUDIENCE." });
  }
  if (env.WARDEN_JWKS !== undefined && parseJwks(env.WARDEN_JWKS) === null) {
    issues.push({ path: "WARDEN_JWKS", message: "WARDEN_JWKS is Warden's key set as JSON (GET /api/v1/keys)." });
  }
  if (env.WARDEN_JWKS === undefined && env.WARDEN_ALLOW_KEY_REFRESH !== "true") {
    issues.push({ path: "WARDEN_JWKS", message: "Pin Warden's keys with WARDEN_JWKS, or set WARDEN_ALLOW_KEY_REFRESH=true to fetch them." });
  }
  return issues;
}

export type Upstream = { kind: "http"; url: string; headers: Record<string, string> } | { kind: "stdio"; command: string; args: string[]; env: Record<string, string> };

/**
 * On-behalf-of credentials for the upstream: each tools/call carries a token
 * Warden issues for the caller (RFC 8693) with this audience, and, if given,
 * asks for these scopes (otherwise whatever the delegation allows).
 */
export type UpstreamTokenExchange = { audience: string; scope: string[] };

export type GatewaySettings = {
  warden: { url: string; apiKey: string; jwks?: { keys: Record<string, unknown>[] }; allowKeyRefresh: boolean; stateFile?: string; pollIntervalMs?: readonly [number, number]; auditFlushMs: number; approvalExpiresInSeconds?: number; instanceId?: string };
  resource: string;
  issuer: string;
  jwksUri?: string;
  upstream: Upstream;
  tokenExchange?: UpstreamTokenExchange;
  listen: { port: number; host: string };
  allowedOrigins: string[];
  allowedHosts: string[];
  maxBodyBytes: number;
  upstreamTimeoutMs: number;
};

export class GatewayConfigError extends Error {}

/** The settings, or a GatewayConfigError listing every variable that is wrong. */
export function gatewaySettingsFromEnv(env: Record<string, string | undefined>): GatewaySettings {
  const parsed = GatewayEnvSchema.safeParse(env);
  const issues = [...(parsed.success ? [] : parsed.error.issues.map((issue) => ({ path: issue.path.join(".") || "environment", message: issue.message }))), ...crossChecks(env)];
  if (!parsed.success || issues.length) {
    const lines = issues.map((issue) => `- ${issue.path}: ${issue.message}`);
    throw new GatewayConfigError(`The gateway's environment is not usable:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const header = e.UPSTREAM_HEADER ? /^([^:]+):\s*(.*)$/.exec(e.UPSTREAM_HEADER) : null;
  const upstream: Upstream = e.UPSTREAM_URL
    ? { kind: "http", url: e.UPSTREAM_URL, headers: header ? { [header[1]!]: header[2]! } : {} }
    : { kind: "stdio", command: e.UPSTREAM_COMMAND!, args: parseArgs(e.UPSTREAM_ARGS ?? "[]")!, env: upstreamEnv(env, header) };
  const interval = e.WARDEN_POLL_INTERVAL_MS?.split(",").map(Number);
  const resource = new URL(e.GATEWAY_RESOURCE);
  return {
    warden: {
      url: e.WARDEN_URL,
      apiKey: e.WARDEN_API_KEY,
      jwks: e.WARDEN_JWKS ? parseJwks(e.WARDEN_JWKS)! : undefined,
      allowKeyRefresh: e.WARDEN_ALLOW_KEY_REFRESH === "true",
      stateFile: e.WARDEN_STATE_FILE,
      pollIntervalMs: interval ? ([interval[0]!, interval[1]!] as const) : undefined,
      auditFlushMs: e.WARDEN_AUDIT_FLUSH_MS,
      approvalExpiresInSeconds: e.WARDEN_APPROVAL_EXPIRES_SECONDS,
      instanceId: e.GATEWAY_INSTANCE_ID,
    },
    resource: e.GATEWAY_RESOURCE,
    issuer: e.OAUTH_ISSUER,
    jwksUri: e.OAUTH_JWKS_URI,
    upstream,
    tokenExchange: e.UPSTREAM_TOKEN_EXCHANGE_AUDIENCE
      ? { audience: e.UPSTREAM_TOKEN_EXCHANGE_AUDIENCE, scope: (e.UPSTREAM_TOKEN_EXCHANGE_SCOPE ?? "").split(/\s+/).filter(Boolean) }
      : undefined,
    listen: { port: e.GATEWAY_PORT, host: e.GATEWAY_HOST },
    // The public origin is always allowed; browsers send Origin, agents usually none.
    allowedOrigins: [...new Set([resource.origin, ...list(e.GATEWAY_ALLOWED_ORIGINS)])],
    // The public host, plus loopback names for the port it listens on (health checks, local agents).
    allowedHosts: [...new Set([resource.host, ...list(e.GATEWAY_ALLOWED_HOSTS)])],
    maxBodyBytes: e.GATEWAY_MAX_BODY_BYTES,
    upstreamTimeoutMs: e.GATEWAY_UPSTREAM_TIMEOUT_MS,
  };
}

function parseArgs(value: string): string[] | null {
  try {
    const args = z.array(z.string()).safeParse(JSON.parse(value));
    return args.success ? args.data : null;
  } catch {
    return null;
  }
}

function parseJwks(value: string): { keys: Record<string, unknown>[] } | null {
  try {
    const jwks = JwksSchema.safeParse(JSON.parse(value));
    return jwks.success ? jwks.data : null;
  } catch {
    return null;
  }
}

/**
 * What a spawned stdio server sees: the gateway's own secrets (Warden's API
 * key, anything WARDEN_/GATEWAY_/OAUTH_) are withheld, since the upstream is
 * exactly the code the gateway does not trust. A static credential from
 * UPSTREAM_HEADER is passed as UPSTREAM_AUTHORIZATION for servers that read one.
 */
function upstreamEnv(env: Record<string, string | undefined>, header: RegExpExecArray | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || /^(WARDEN_|GATEWAY_|OAUTH_|UPSTREAM_)/.test(name)) continue;
    out[name] = value;
  }
  if (header) out.UPSTREAM_AUTHORIZATION = header[2]!;
  return out;
}

/** A short label of the upstream for logs and the fleet view; never includes credentials. */
export function upstreamLabel(upstream: Upstream): string {
  if (upstream.kind === "http") {
    const url = new URL(upstream.url);
    return `${url.origin}${url.pathname}`;
  }
  return `stdio:${[upstream.command.split("/").pop(), ...upstream.args.map((arg) => arg.split("/").pop())].join(" ")}`;
}
