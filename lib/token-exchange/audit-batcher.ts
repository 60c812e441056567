import "server-only";
import type { Db } from "@/lib/db/client";
import { storeAuditEvents, type IndexedEvent } from "@/lib/audit/ingest";
import { INGEST_LANES } from "@/lib/audit/record";

/**
 * Group commit for exchange audit events: each exchange still waits until
 * its event is stored before it answers, but events that arrive while a
 * write is in flight go together in the next one. Under no load that is one
 * event per write and no added delay; under load, one transaction carries
 * many exchanges, with a few such transactions at once on separate lanes.
 */
export function createAuditBatcher(db: Db, maxBatch = 500, writers = INGEST_LANES) {
  let queue: { event: IndexedEvent["event"]; resolve: () => void; reject: (error: unknown) => void }[] = [];
  // As many writes at once as the environment has audit lanes: each lane is extended by one transaction at a time.
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
