import { contentDigest } from "./contract/canonical-json.ts";
import { redactSecrets } from "./contract/redact.ts";
import { backoffDelay, isRetryableStatus, parseRetryAfter, type BackoffOptions } from "./backoff.ts";
import { consoleLogger, type WardenLogger } from "./logger.ts";

export type ApprovalStatus = "PENDING" | "APPROVED" | "DENIED" | "EXPIRED" | "CONSUMED";

/** A request as Warden reports it (GET /api/v1/approvals/:id). */
export type Approval = {
  id: string;
  status: ApprovalStatus;
  subject: string;
  clientId: string | null;
  server: string;
  tool: string;
  argumentsDigest: string;
  requestId: string | null;
  createdAt: string;
  expiresAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
  decisionNote: string | null;
  consumedAt: string | null;
};

export type ApprovalRequestInput = {
  subject: string;
  clientId?: string | null;
  tool: string;
  /** The call's arguments: their digest binds the approval; a redacted preview is what the approver sees. */
  arguments: unknown;
  reason?: string;
  /** The tool call this governs; the audit trail links the request, the decision and the call by it. */
  requestId?: string;
  configVersion?: number | null;
  /** Shorter than the environment's expiry only. */
  expiresInSeconds?: number;
};

/** Why a call that needed approval does not run. */
export type ApprovalRefusalCode = "denied" | "expired" | "already_used" | "arguments_changed" | "not_approved" | "unavailable" | "aborted";

export type ApprovalOutcome<T> =
  | { ok: true; result: T; approval: Approval }
  | { ok: false; code: ApprovalRefusalCode; message: string; approval: Approval | null };

export type ApprovalClientOptions = {
  url: string;
  apiKey: string;
  /** Needed only with an environment-wide API key. */
  server?: string;
  /** Poll backoff: starts at baseMs, doubles up to maxMs, never past the request's expiry. Default 500 ms–5 s. */
  backoff?: BackoffOptions;
  logger?: WardenLogger;
  fetch?: typeof fetch;
  random?: () => number;
  now?: () => number;
};

const TIMEOUT_MS = 15_000;
const PREVIEW_MAX_BYTES = 4 * 1024;

/** sha256 of the arguments' canonical JSON: the same arguments give the same digest, whatever their key order. */
export function argumentsDigest(args: unknown): string {
  return contentDigest(args ?? {});
}

/** What an approver sees of the arguments: secrets masked, and cut down to a size Warden accepts. */
export function argumentsPreview(args: unknown): Record<string, unknown> {
  const value = redactSecrets(args && typeof args === "object" && !Array.isArray(args) ? (args as Record<string, unknown>) : { value: args ?? null });
  if (Buffer.byteLength(JSON.stringify(value)) <= PREVIEW_MAX_BYTES) return value;
  return { truncated: `${JSON.stringify(value).slice(0, PREVIEW_MAX_BYTES - 200)}…`, note: "The arguments are longer than the preview allows; the digest covers all of them." };
}

export class ApprovalError extends Error {
  constructor(
    readonly code: ApprovalRefusalCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "ApprovalError";
  }
}

/**
 * Asynchronous authorization for calls that need a human: open a request,
 * wait for the decision (polling with backoff, never past its expiry), and
 * spend the approval on the call, once. Warden enforces the single use and
 * the argument binding; this client only asks.
 */
export class ApprovalClient {
  private readonly options: ApprovalClientOptions;
  private readonly fetchImpl: typeof fetch;
  private readonly logger: WardenLogger;
  private readonly now: () => number;

  constructor(options: ApprovalClientOptions) {
    this.options = options;
    this.fetchImpl = options.fetch ?? fetch;
    this.logger = options.logger ?? consoleLogger;
    this.now = options.now ?? Date.now;
  }

  /** POST /api/v1/approvals. */
  async request(input: ApprovalRequestInput): Promise<Approval> {
    const body = {
      subject: input.subject,
      clientId: input.clientId ?? null,
      ...(this.options.server ? { server: this.options.server } : {}),
      tool: input.tool,
      argumentsDigest: argumentsDigest(input.arguments),
      argumentsPreview: argumentsPreview(input.arguments),
      reason: input.reason ?? null,
      requestId: input.requestId ?? null,
      configVersion: input.configVersion ?? null,
      ...(input.expiresInSeconds ? { expiresInSeconds: input.expiresInSeconds } : {}),
    };
    const response = await this.call("/api/v1/approvals", { method: "POST", body: JSON.stringify(body) });
    if (response.status !== 201) throw await this.failure(response, "open an approval request");
    return (await response.json()) as Approval;
  }

  /** GET /api/v1/approvals/:id. */
  async get(id: string): Promise<Approval> {
    const response = await this.call(`/api/v1/approvals/${encodeURIComponent(id)}`);
    if (response.status !== 200) throw await this.failure(response, "read the approval request");
    return (await response.json()) as Approval;
  }

  /**
   * Polls until the request is decided or expires. Transient failures (network,
   * 429, 5xx) are retried within the same bound; the last answer is returned.
   */
  async waitForDecision(approval: Approval, options: { signal?: AbortSignal } = {}): Promise<Approval> {
    const backoff = this.options.backoff ?? { baseMs: 500, maxMs: 5_000 };
    const deadline = Date.parse(approval.expiresAt);
    let current = approval;
    for (let attempt = 0; current.status === "PENDING"; attempt++) {
      if (options.signal?.aborted) throw new ApprovalError("aborted", "Stopped waiting for the approval.");
      const left = deadline - this.now();
      // One last read just after expiry, so Warden itself records the expiry and says so.
      const delay = left <= 0 ? 0 : Math.min(backoffDelay(attempt, backoff, this.options.random), left + 250);
      await sleep(delay, options.signal);
      try {
        current = await this.get(approval.id);
      } catch (error) {
        if (!(error instanceof ApprovalError) || error.code !== "unavailable") throw error;
        if (this.now() > deadline + 30_000) throw error;
        this.logger.warn(`Polling the approval failed; retrying: ${error.message}`);
      }
      if (current.status === "PENDING" && this.now() > deadline + 5_000) {
        return { ...current, status: "EXPIRED" };
      }
    }
    return current;
  }

  /** POST /api/v1/approvals/:id/consume: spends the approval on these exact arguments, or says why not. */
  async consume(id: string, args: unknown): Promise<Approval> {
    const response = await this.call(`/api/v1/approvals/${encodeURIComponent(id)}/consume`, { method: "POST", body: JSON.stringify({ argumentsDigest: argumentsDigest(args) }) });
    if (response.status !== 200) throw await this.failure(response, "use the approval");
    return (await response.json()) as Approval;
  }

  /**
   * The whole flow for one call: request, wait, consume, then run. The call
   * runs only after Warden has marked the approval used for these arguments.
   */
  async runWithApproval<T>(input: ApprovalRequestInput, run: () => Promise<T>, options: { signal?: AbortSignal; onRequested?: (approval: Approval) => void } = {}): Promise<ApprovalOutcome<T>> {
    let approval: Approval | null = null;
    try {
      approval = await this.request(input);
      options.onRequested?.(approval);
      approval = await this.waitForDecision(approval, options);
      if (approval.status === "DENIED") {
        return { ok: false, code: "denied", message: `Denied by ${approval.decidedBy ?? "an approver"}${approval.decisionNote ? `: ${approval.decisionNote}` : "."}`, approval };
      }
      if (approval.status === "EXPIRED") return { ok: false, code: "expired", message: "Nobody approved the call before the request expired, so it is denied.", approval };
      approval = await this.consume(approval.id, input.arguments);
    } catch (error) {
      if (error instanceof ApprovalError) return { ok: false, code: error.code, message: error.message, approval };
      throw error;
    }
    return { ok: true, result: await run(), approval };
  }

  private call(path: string, init: { method?: string; body?: string } = {}): Promise<Response> {
    return this.fetchImpl(new URL(path, this.options.url), {
      method: init.method ?? "GET",
      headers: { authorization: `Bearer ${this.options.apiKey}`, accept: "application/json", ...(init.body ? { "content-type": "application/json" } : {}) },
      body: init.body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    }).catch((error: unknown) => {
      throw new ApprovalError("unavailable", `Warden is unreachable: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  private async failure(response: Response, what: string): Promise<ApprovalError> {
    const body = (await response.json().catch(() => ({}))) as { error?: string; code?: string };
    const message = `Could not ${what} (HTTP ${response.status}): ${body.error ?? "no details"}`;
    if (isRetryableStatus(response.status)) {
      const retryAfter = parseRetryAfter(response.headers.get("retry-after"), this.now());
      return new ApprovalError("unavailable", retryAfter ? `${message} Retry in ${Math.ceil(retryAfter / 1_000)} s.` : message, response.status);
    }
    const code: ApprovalRefusalCode =
      body.code === "already_used" || body.code === "arguments_changed" || body.code === "expired" ? body.code : body.code === "not_approved" && /denied/.test(body.error ?? "") ? "denied" : "not_approved";
    return new ApprovalError(code, body.error ?? message, response.status);
  }
}

export function createApprovalClient(options: ApprovalClientOptions): ApprovalClient {
  return new ApprovalClient(options);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (ms <= 0) return resolve();
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ApprovalError("aborted", "Stopped waiting for the approval."));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
