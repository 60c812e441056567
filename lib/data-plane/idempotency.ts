import { createHash } from "node:crypto";

export type StoredResponse = { status: number; body: unknown };
type Entry = { bodyHash: string; at: number; response: Promise<StoredResponse> };

/**
 * Remembers the answer to each (API key, Idempotency-Key) for a while, so a
 * producer that retries after a lost response gets the same answer instead
 * of "all duplicates". A retry that arrives while the first attempt is still
 * running waits for it. Reusing a key for a different body is refused.
 *
 * Kept in memory per instance: across instances the unique event ids still
 * guarantee that nothing is stored twice.
 */
export function createIdempotencyCache(options: { ttlMs?: number; maxEntries?: number; now?: () => number } = {}) {
  const ttlMs = options.ttlMs ?? 24 * 60 * 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();

  function evict() {
    const cutoff = now() - ttlMs;
    // Insertion order is age order: stop at the first entry still fresh.
    for (const [key, entry] of entries) {
      if (entries.size <= maxEntries && entry.at >= cutoff) break;
      entries.delete(key);
    }
  }

  return async function once(scope: string, idempotencyKey: string, body: Buffer | string, run: () => Promise<StoredResponse>): Promise<StoredResponse> {
    const key = `${scope}\u0000${idempotencyKey}`;
    const bodyHash = createHash("sha256").update(body).digest("hex");
    evict();
    const existing = entries.get(key);
    if (existing) {
      if (existing.bodyHash !== bodyHash) {
        return { status: 422, body: { error: "This Idempotency-Key was already used for a different body. Use a new key for a new batch." } };
      }
      return existing.response;
    }
    const response = run();
    entries.set(key, { bodyHash, at: now(), response });
    // A failed attempt is not an answer: the retry runs again.
    response.catch(() => entries.delete(key));
    return response;
  };
}
