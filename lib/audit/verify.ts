import "server-only";
import type { Db } from "@/lib/db/client";
import { auditEventHash, hashedFieldsOf } from "./hash";
import { chainsOf } from "./record";
import type { RetentionRestart } from "./retention";

const PAGE = 5_000;

export type ChainBreak = { seq: string; id: string; ts: string; problem: string };
export type ChainVerification = { ok: true; checked: number } | { ok: false; checked: number; broken: ChainBreak };

const BROKEN_LINK = "The link to the previous event is broken: an event before this one was removed, inserted or changed.";

/**
 * Re-computes an environment's audit hash chains (all of its lanes; the global
 * chain for `null`) and reports the first event that does not hold: its
 * content was changed (its hash no longer matches) or the link to its
 * predecessor was cut (an event was removed or inserted). Reads in pages, so
 * any length of chain verifies in constant memory.
 *
 * A time range verifies, in each chain, the consecutive events from the
 * first one at or after `from` to the last one at or before `to`, including
 * the link into the range. The very first event of a chain may point at a
 * predecessor only when retention deleted it and recorded that restart point.
 */
export async function verifyAuditChain(db: Db, environmentId: string | null, range: { from?: Date; to?: Date } = {}): Promise<ChainVerification> {
  const [ownChain, ...lanes] = chainsOf(environmentId);
  let checked = 0;
  for (const chain of [ownChain!, ...lanes]) {
    const result = await verifyOneChain(db, chain, ownChain!, range);
    checked += result.checked;
    if (!result.ok) return { ...result, checked };
  }
  return { ok: true, checked };
}

async function verifyOneChain(db: Db, chain: string, recordsChain: string, range: { from?: Date; to?: Date }): Promise<ChainVerification> {
  const bounds = await db.auditEvent.aggregate({
    where: { chain, ...(range.from || range.to ? { ts: { ...(range.from ? { gte: range.from } : {}), ...(range.to ? { lte: range.to } : {}) } } : {}) },
    _min: { seq: true },
    _max: { seq: true },
  });
  if (bounds._min.seq === null || bounds._max.seq === null) return { ok: true, checked: 0 };
  const lastSeq = bounds._max.seq;

  const predecessor = await db.auditEvent.findFirst({ where: { chain, seq: { lt: bounds._min.seq } }, orderBy: { seq: "desc" }, select: { hash: true } });
  // undefined: the first event decides (start of the chain, or a retention restart).
  let previousHash: string | null | undefined = predecessor ? predecessor.hash : undefined;
  let checked = 0;
  let afterSeq = bounds._min.seq - BigInt(1);
  for (;;) {
    const rows = await db.auditEvent.findMany({ where: { chain, seq: { gt: afterSeq, lte: lastSeq } }, orderBy: { seq: "asc" }, take: PAGE });
    for (const row of rows) {
      const at = { seq: row.seq.toString(), id: row.id, ts: row.ts.toISOString() };
      const prevHash = row.prevHash ?? null;
      if (
        previousHash === undefined
          ? prevHash !== null && !(await isRecordedRestart(db, recordsChain, { chain, seq: row.seq.toString(), prevHash }))
          : prevHash !== previousHash
      ) {
        return { ok: false, checked, broken: { ...at, problem: BROKEN_LINK } };
      }
      if (auditEventHash(prevHash, hashedFieldsOf(row)) !== row.hash) {
        return { ok: false, checked, broken: { ...at, problem: "This event's content does not match its hash: it was changed after it was written." } };
      }
      previousHash = row.hash;
      checked++;
    }
    if (rows.length < PAGE) return { ok: true, checked };
    afterSeq = rows[rows.length - 1]!.seq;
  }
}

/**
 * Retention records where each chain restarts (the first kept event and the
 * hash it points to) in an event of the environment's own chain, itself
 * covered by that chain's hashes.
 */
async function isRecordedRestart(db: Db, recordsChain: string, restart: RetentionRestart): Promise<boolean> {
  const record = await db.auditEvent.findFirst({
    where: { chain: recordsChain, action: "audit.retention_applied", details: { path: ["restarts"], array_contains: [restart] } },
    select: { id: true },
  });
  return record !== null;
}
