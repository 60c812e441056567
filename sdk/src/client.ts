import { randomUUID } from "node:crypto";
import type { JSONWebKeySet } from "jose";
import { decide } from "./contract/decide.ts";
import { decisionInputsOf, type DecisionInputs } from "./contract/decision-inputs.ts";
import type { ClaimValue, Decision, DecisionReason } from "./contract/policy.ts";
import { readFileIfExists, writeFileAtomic } from "./atomic-file.ts";
import { backoffDelay, DEFAULT_BACKOFF, isRetryableStatus, jittered, parseRetryAfter, type BackoffOptions } from "./backoff.ts";
import { consoleLogger, type WardenLogger } from "./logger.ts";
import { ConfigRefusedError, verifyConfigDocument, type RefusalReason, type VerifiedConfig } from "./verify.ts";
import { SDK_VERSION } from "./version.ts";

export type WardenDecision = Omit<Decision, "reason"> & {
  reason: DecisionReason | "no_verified_config";
  /** What Warden needs to decide this call again (recorded with its audit event); absent without a verified config. */
  inputs?: DecisionInputs;
};

export type ConfigRefusal = { reason: RefusalReason; message: string; version?: number; source: "poll" | "state-file" };

export type WardenClientOptions = {
  /** Warden's base URL, e.g. https://warden.example.com (or a standalone data plane). */
  url: string;
  /** The API key created in the dashboard: wdn_<env>_<selector>_<secret>. */
  apiKey: string;
  /** The public keys configs must be signed with, pinned out of band (GET /api/v1/keys once, then ship it). */
  jwks?: JSONWebKeySet;
  /**
   * Also trust keys fetched from /api/v1/keys when a config names a key that
   * is not pinned (key rotation without redeploying). Off by default: it
   * trusts the transport and the API key as much as the pinned keys.
   */
  allowKeyRefresh?: boolean;
  /** Where the last known good config is kept across restarts. Strongly recommended. */
  stateFile?: string;
  /** The server's name in Warden; needed only with an environment-wide API key. */
  server?: string;
  /** Identifies this process in the fleet view; random per process by default. */
  instanceId?: string;
  /** Steady poll interval, drawn uniformly from [min, max] ms each time. Default 10–20 s. */
  pollIntervalMs?: readonly [number, number];
  /** The first poll waits a random delay up to this, so a fleet restarting together spreads out. Default 2 s. */
  firstPollMaxDelayMs?: number;
  /** Backoff on network errors, 408, 429 and 5xx. */
  backoff?: BackoffOptions;
  /** Poll interval while the API key is refused (401/403): slow, since it needs a human. Default 5 min. */
  authFailureRetryMs?: number;
  logger?: WardenLogger;
  /** Called after a verified config has been applied. */
  onConfigApplied?: (config: VerifiedConfig) => void;
  /** Called when a config is refused; the previous one stays in force. */
  onConfigRefused?: (refusal: ConfigRefusal) => void;
  /** Must decode br and gzip responses, as Node's own fetch does. */
  fetch?: typeof fetch;
  now?: () => number;
  random?: () => number;
};

type PersistedState = { format: 1; etag: string | null; document: string };

/** Why the next poll waits as long as it does; useful in logs and tests. */
export type PollOutcome =
  | { kind: "applied"; version: number }
  | { kind: "unchanged" }
  | { kind: "refused"; refusal: ConfigRefusal }
  | { kind: "nothing-published" }
  | { kind: "unauthorized"; status: number }
  | { kind: "retry"; status?: number; error?: string; retryAfterMs: number | null };

const POLL_TIMEOUT_MS = 15_000;
const KEY_REFRESH_MIN_INTERVAL_MS = 60_000;

/**
 * Keeps an MCP server's copy of its Warden config current and decides tool
 * calls with it. Deny by default: until a verified config is loaded, from the
 * state file or a poll, every decision is deny. A config that fails any check
 * is refused and reported, and the last known good one stays in force.
 */
export class WardenClient {
  readonly instanceId: string;
  private readonly options: WardenClientOptions;
  private readonly logger: WardenLogger;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private readonly random: () => number;
  private keys: JSONWebKeySet;
  private lastKeyRefresh = 0;
  private current: VerifiedConfig | null = null;
  private etag: string | null = null;
  private failures = 0;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private inFlight: Promise<PollOutcome> | null = null;
  private readyWaiters: (() => void)[] = [];

  constructor(options: WardenClientOptions) {
    if (!options.jwks?.keys.length && !options.allowKeyRefresh) {
      throw new Error("Pin Warden's public keys (jwks), or set allowKeyRefresh to fetch them from /api/v1/keys.");
    }
    this.options = options;
    this.logger = options.logger ?? consoleLogger;
    this.fetchImpl = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.keys = { keys: [...(options.jwks?.keys ?? [])] };
    this.instanceId = options.instanceId ?? randomUUID();
  }

  /** Loads the last known good config, then polls in the background until close(). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.loadState();
    this.schedule(jittered([0, this.options.firstPollMaxDelayMs ?? 2_000], this.random));
  }

  close(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** The config in force, or null before the first verified one. */
  get config(): VerifiedConfig | null {
    return this.current;
  }

  get version(): number | null {
    return this.current?.version ?? null;
  }

  /** Resolves once a verified config is in force, or rejects after timeoutMs. */
  ready(timeoutMs = 30_000): Promise<VerifiedConfig> {
    if (this.current) return Promise.resolve(this.current);
    return new Promise((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error(`No verified Warden config within ${timeoutMs} ms.`)), timeoutMs);
      this.readyWaiters.push(() => {
        clearTimeout(timeout);
        resolve(this.current!);
      });
    });
  }

  /**
   * May the caller with these token claims, through this client, call this
   * tool of this server? Uses the same decide() as Warden's dashboard.
   */
  authorize(claims: Readonly<Record<string, unknown>>, clientId: string | undefined, toolName: string): WardenDecision {
    const current = this.current;
    if (!current) {
      return {
        decision: "deny",
        reason: "no_verified_config",
        message: "No verified Warden config is loaded yet, so every tool call is denied until one is.",
        matchedRoles: [],
        effectiveScopes: [],
        requiresApproval: false,
        configVersion: null,
      };
    }
    const server = current.server ?? this.options.server ?? "";
    const request = { subject: typeof claims.sub === "string" ? claims.sub : "", clientId: clientId ?? "", server, tool: toolName, scopes: scopesOf(claims), claims: policyClaims(claims) };
    return { ...decide({ ...current.config.policy, version: current.version }, request), inputs: decisionInputsOf(current.config.policy.roles, request) };
  }

  /** One poll now (tests, or an operator's "refresh" hook); concurrent calls share it. */
  pollNow(): Promise<PollOutcome> {
    this.inFlight ??= this.poll().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  private schedule(delayMs: number) {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.pollNow().then((outcome) => this.schedule(this.delayAfter(outcome)));
    }, delayMs);
    this.timer.unref?.();
  }

  /** How long to wait after a poll, given how it went. */
  delayAfter(outcome: PollOutcome): number {
    const steady = () => jittered(this.options.pollIntervalMs ?? [10_000, 20_000], this.random);
    switch (outcome.kind) {
      case "retry": {
        const delay = backoffDelay(this.failures - 1, this.options.backoff ?? DEFAULT_BACKOFF, this.random);
        return Math.max(delay, outcome.retryAfterMs ?? 0);
      }
      case "unauthorized":
        return this.options.authFailureRetryMs ?? 5 * 60_000;
      default:
        return steady();
    }
  }

  private async poll(): Promise<PollOutcome> {
    const url = new URL("/api/v1/config", this.options.url);
    if (this.options.server) url.searchParams.set("server", this.options.server);
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.apiKey}`,
      accept: "application/json",
      // A changed config is about a tenth of its size this way; fetch decodes both.
      "accept-encoding": "br, gzip",
      "x-instance-id": this.instanceId,
      "x-sdk-version": SDK_VERSION,
    };
    if (this.current) headers["x-applied-version"] = String(this.current.version);
    if (this.etag && this.current) headers["if-none-match"] = this.etag;

    const unreachable = (error: unknown): PollOutcome => {
      this.failures++;
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn("Warden is unreachable; keeping the last known good config", { error: message, failures: this.failures, version: this.version });
      return { kind: "retry", error: message, retryAfterMs: null };
    };
    let response: Response;
    try {
      response = await this.fetchImpl(url, { headers, signal: AbortSignal.timeout(POLL_TIMEOUT_MS) });
    } catch (error) {
      return unreachable(error);
    }

    if (response.status === 304) {
      await response.body?.cancel().catch(() => {});
      this.failures = 0;
      return { kind: "unchanged" };
    }
    if (response.status === 200) {
      // The body can still fail after the headers came: the connection drops,
      // or the poll's timeout fires while it arrives. That is a retry, never
      // an error thrown into the MCP server's process.
      let raw: string;
      try {
        raw = await response.text();
      } catch (error) {
        return unreachable(error);
      }
      this.failures = 0;
      return this.accept(raw, response.headers.get("etag"));
    }
    const text = await response.text().catch(() => "");
    const detail = errorMessage(text);
    if (response.status === 401 || response.status === 403) {
      this.failures = 0;
      this.logger.error(
        `Warden refused this server's API key (HTTP ${response.status}): ${detail}. Tool calls keep being decided with the last known good config (version ${this.version ?? "none, so every call is denied"}). Fix the key; retrying slowly.`,
        { status: response.status },
      );
      return { kind: "unauthorized", status: response.status };
    }
    if (response.status === 404) {
      this.failures = 0;
      this.logger.warn(`Warden has no config for this server yet: ${detail}`, { status: 404 });
      return { kind: "nothing-published" };
    }
    this.failures++;
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), this.now());
    if (isRetryableStatus(response.status)) {
      this.logger.warn(`Warden answered HTTP ${response.status}; backing off`, { status: response.status, failures: this.failures, retryAfterMs });
    } else {
      this.logger.error(`Warden answered HTTP ${response.status} to a config poll: ${detail}`, { status: response.status });
    }
    return { kind: "retry", status: response.status, retryAfterMs };
  }

  private async accept(raw: string, etag: string | null): Promise<PollOutcome> {
    let verified: VerifiedConfig;
    try {
      verified = await this.verify(raw, false);
    } catch (error) {
      if (!(error instanceof ConfigRefusedError)) throw error;
      const refusal: ConfigRefusal = { reason: error.reason, message: error.message, version: error.version, source: "poll" };
      this.logger.error(`Refused a config from Warden (${error.reason}): ${error.message} The last known good config (version ${this.version ?? "none"}) stays in force.`, {
        reason: error.reason,
      });
      this.options.onConfigRefused?.(refusal);
      return { kind: "refused", refusal };
    }
    const changed = verified.version !== this.current?.version || verified.contentHash !== this.current.contentHash || verified.expiresAt !== this.current.expiresAt;
    this.current = verified;
    this.etag = etag;
    if (this.options.stateFile) {
      const state: PersistedState = { format: 1, etag, document: raw };
      await writeFileAtomic(this.options.stateFile, JSON.stringify(state)).catch((error: unknown) =>
        this.logger.error("Could not persist the last known good config", { error: error instanceof Error ? error.message : String(error) }),
      );
    }
    if (changed) {
      this.logger.info(`Applied Warden config version ${verified.version}`, { version: verified.version, contentHash: verified.contentHash });
      this.options.onConfigApplied?.(verified);
    }
    this.wake();
    return { kind: "applied", version: verified.version };
  }

  private async verify(raw: string, fromDisk: boolean): Promise<VerifiedConfig> {
    const attempt = () =>
      verifyConfigDocument(raw, {
        keys: this.keys,
        trusted: this.current ? { version: this.current.version, contentHash: this.current.contentHash } : null,
        server: this.options.server ?? null,
        now: this.now(),
        allowExpired: fromDisk,
      });
    try {
      return await attempt();
    } catch (error) {
      if (error instanceof ConfigRefusedError && error.reason === "unknown_key" && (await this.refreshKeys())) return attempt();
      throw error;
    }
  }

  /** Fetches /api/v1/keys when the operator allows it; true when the key set changed. */
  private async refreshKeys(): Promise<boolean> {
    if (!this.options.allowKeyRefresh || this.now() - this.lastKeyRefresh < KEY_REFRESH_MIN_INTERVAL_MS) return false;
    this.lastKeyRefresh = this.now();
    try {
      const response = await this.fetchImpl(new URL("/api/v1/keys", this.options.url), {
        headers: { authorization: `Bearer ${this.options.apiKey}`, accept: "application/json" },
        signal: AbortSignal.timeout(POLL_TIMEOUT_MS),
      });
      if (!response.ok) return false;
      const fetched = (await response.json()) as JSONWebKeySet;
      const known = new Set(this.keys.keys.map((key) => key.kid));
      const added = (fetched.keys ?? []).filter((key) => key.kid && !known.has(key.kid) && key.kty === "OKP" && !("d" in key));
      if (!added.length) return false;
      this.keys = { keys: [...this.keys.keys, ...added] };
      this.logger.warn(`Trusting ${added.length} signing key(s) fetched from Warden: ${added.map((key) => key.kid).join(", ")}`);
      return true;
    } catch {
      return false;
    }
  }

  private async loadState(): Promise<void> {
    if (!this.options.stateFile) return;
    const text = await readFileIfExists(this.options.stateFile).catch((error: unknown) => {
      this.logger.error("Could not read the last known good config", { error: error instanceof Error ? error.message : String(error) });
      return null;
    });
    if (text === null) return;
    try {
      const state = JSON.parse(text) as PersistedState;
      if (state.format !== 1 || typeof state.document !== "string") throw new ConfigRefusedError("malformed", "The state file has an unknown format.");
      this.current = await this.verify(state.document, true);
      this.etag = typeof state.etag === "string" ? state.etag : null;
      this.logger.info(`Loaded the last known good Warden config, version ${this.current.version}`, { version: this.current.version });
      this.options.onConfigApplied?.(this.current);
      this.wake();
    } catch (error) {
      const refusal: ConfigRefusal =
        error instanceof ConfigRefusedError
          ? { reason: error.reason, message: error.message, version: error.version, source: "state-file" }
          : { reason: "malformed", message: "The state file is not valid JSON.", source: "state-file" };
      this.logger.error(`Refused the stored config (${refusal.reason}): ${refusal.message}`, { reason: refusal.reason });
      this.options.onConfigRefused?.(refusal);
    }
  }

  private wake() {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const waiter of waiters) waiter();
  }
}

export function createWardenClient(options: WardenClientOptions): WardenClient {
  return new WardenClient(options);
}

/** The token's scopes: the OAuth "scope" string, or an "scp" array as some IdPs issue. */
export function scopesOf(claims: Readonly<Record<string, unknown>>): string[] {
  if (typeof claims.scope === "string") return claims.scope.split(/\s+/).filter(Boolean);
  if (Array.isArray(claims.scp)) return claims.scp.filter((scope): scope is string => typeof scope === "string");
  if (typeof claims.scp === "string") return claims.scp.split(/\s+/).filter(Boolean);
  return [];
}

/** The claims a role mapping can match: strings and string arrays only. */
function policyClaims(claims: Readonly<Record<string, unknown>>): Record<string, ClaimValue> {
  const result: Record<string, ClaimValue> = {};
  for (const [name, value] of Object.entries(claims)) {
    if (typeof value === "string") result[name] = value;
    else if (Array.isArray(value) && value.every((item) => typeof item === "string")) result[name] = value as string[];
  }
  return result;
}

function errorMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === "string") return parsed.error;
  } catch {
    // Not JSON: use the text.
  }
  return text.slice(0, 200) || "(no details)";
}
