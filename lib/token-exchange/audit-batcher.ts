import "server-only";
import type { Db } from "@/lib/db/client";
import { storeAuditEvents, type IndexedEvent } from "@/lib/audit/ingest";

/**
 * Group commit for exchange audit events: each exchange still waits until
 * its event is stored before it answers, but events that arrive while a
 * write is in flight go together in the next one. Under no load that is one
 * event per write and no added delay; under load, one statement carries many
 * exchanges.
 *
 * One write at a time by default: each write is a statement and a commit
 * (an fsync), and their cost, in this process and in PostgreSQL, is what an
 * exchange pays for its audit. With four writers at once the batches were a
 * quarter of the size and PostgreSQL spent about twice the CPU per exchange
 * (bench:token-exchange), for no more exchanges per second.
 */
export function createAuditBatcher(db: Db, maxBatch = 500, writers = 1) {
  let queue: { event: IndexedEvent["event"]; resolve: () => void; reject: (error: unknown) => void }[] = [];
  // At most `writers` statements in flight; each takes whatever queued meanwhile.
  let writing = 0;

  async function drain() {
    if (writing >= writers) return;
    writing++;
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch);
        queue = queue.slice(batch.length);
        try {
          const { refused } = await storeAuditEvents(db, batch.map((entry, index) => ({ index, event: entry.event })));
          const bad = new Set(refused.map((entry) => entry.index));
          batch.forEach((entry, index) => (bad.has(index) ? entry.reject(new Error("The audit event of this exchange could not be stored.")) : entry.resolve()));
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      writing--;
    }
  }

  return (events: IndexedEvent[]): Promise<void> =>
    Promise.all(
      events.map(
        (indexed) =>
          new Promise<void>((resolve, reject) => {
            queue.push({ event: indexed.event, resolve, reject });
            void drain();
          }),
      ),
    ).then(() => undefined);
}
