export type BackoffOptions = { baseMs: number; maxMs: number };

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 60_000 };

/** Never wait longer than this because a server said so. */
const MAX_RETRY_AFTER_MS = 60 * 60_000;

/**
 * "Equal jitter" exponential backoff: half of the capped exponential delay is
 * kept, the other half is random. A fleet that failed together spreads out,
 * yet no instance retries immediately.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const capped = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.round(capped / 2 + random() * (capped / 2));
}

/** A uniformly random delay in [min, max]. */
export function jittered(range: readonly [number, number], random: () => number = Math.random): number {
  const [min, max] = range;
  return Math.round(min + random() * Math.max(0, max - min));
}

/** Retry-After as milliseconds (delta-seconds or an HTTP date), or null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed) * 1_000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS);
}

/** Statuses worth retrying with backoff: the request may succeed later unchanged. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
