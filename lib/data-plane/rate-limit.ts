import type { ApiKeyRateLimit } from "@/lib/api-keys/rate-limits";

/**
 * A token bucket per API key, in this instance's memory. With N instances a
 * key gets up to N times the rate in total; that bounds abuse without a
 * database round trip on the hot path, which is the point of the data plane.
 * The limit comes with each call, so a changed setting applies at once.
 */
export function createRateLimiter(options: { now?: () => number } = {}) {
  const now = options.now ?? Date.now;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return function take(key: string, limit: ApiKeyRateLimit): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const time = now();
    const bucket = buckets.get(key) ?? { tokens: limit.burst, at: time };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((time - bucket.at) / 1000) * limit.perSecond);
    bucket.at = time;
    if (buckets.size > 50_000) buckets.clear();
    buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond)) };
  };
}
