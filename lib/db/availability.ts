/**
 * Whether an error means "the database cannot be reached right now" (so the
 * caller may serve from memory, or answer 503 with Retry-After) rather than
 * "the database said no" (a bug or bad input, which must not be hidden).
 * The one place that knows how each layer reports an outage:
 * - node's sockets: connection refused, reset, timed out, host unreachable;
 * - pg: "Connection terminated…", a pool connect timeout, and PostgreSQL's
 *   own class 08 (connection exception) and 57P0x (shutting down) codes;
 * - Prisma: P1001/P1002/P1008/P1017 and a pool timeout (P2024);
 * - the pg driver adapter: DatabaseNotReachable, ConnectionClosed,
 *   SocketTimeout, TooManyConnections (also inside a P2010 raw-query error).
 */
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ECONNABORTED"]);
const PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
const ADAPTER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
const POSTGRES_CODES = /^(08\w{3}|57P0[1-3]|53300)$/;
const PG_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Can't reach database server|Server has closed the connection|Connection is closed/i;

/** How long a client should wait before retrying a request that needed the database. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length) {
    const item = pending.pop();
    if (!item || typeof item !== "object" || seen.has(item)) continue;
    seen.add(item);
    const candidate = item as { code?: unknown; kind?: unknown; message?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown }; errors?: unknown };
    if (typeof candidate.code === "string" && (SOCKET_CODES.has(candidate.code) || PRISMA_CODES.has(candidate.code) || POSTGRES_CODES.test(candidate.code))) return true;
    if (typeof candidate.kind === "string" && ADAPTER_KINDS.has(candidate.kind)) return true;
    if (typeof candidate.message === "string" && PG_MESSAGES.test(candidate.message)) return true;
    pending.push(candidate.cause, candidate.meta?.driverAdapterError);
    if (Array.isArray(candidate.errors)) pending.push(...candidate.errors);
  }
  return false;
}

/**
 * Logs the start and the end of an outage once each, for a timer that runs
 * every second: one line when the database goes away, one when it is back,
 * never a line per tick. Other errors are logged each time.
 */
export function createOutageLog(what: string, log: { error: (...args: unknown[]) => void; info: (...args: unknown[]) => void } = console) {
  let downSince: number | null = null;
  return {
    failed(error: unknown) {
      if (!isDatabaseUnavailable(error)) {
        log.error(`[warden] ${what} failed`, error);
        return;
      }
      if (downSince !== null) return;
      downSince = Date.now();
      log.error(`[warden] ${what}: the database is unreachable (${error instanceof Error ? error.message.trim().split("\n").pop() : String(error)}); config is served from memory until it is back`);
    },
    succeeded() {
      if (downSince === null) return;
      log.info(`[warden] ${what}: the database is reachable again after ${Math.round((Date.now() - downSince) / 1000)} s`);
      downSince = null;
    },
    /** When the current outage began (ms since the epoch), or null while the database answers. */
    get downSince() {
      return downSince;
    },
  };
}
