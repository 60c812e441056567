import "server-only";
import { z } from "zod";
import type { Db } from "@/lib/db/client";
import { StaleWriteError } from "@/lib/errors";
import { rebuildRollupBefore, ROLLUP_LOCK_SQL } from "@/lib/impact/rollup";
import { chainsOf, recordAdminEvent, recordAuditEvents, type AuditActor } from "./record";

export const MAX_RETENTION_DAYS = 3_650;

export const RetentionSettingSchema = z.object({
  // null: keep every event (the default).
  days: z
    .number("Enter a number of days, or keep everything.")
    .int("Enter a whole number of days.")
    .min(1, "Keep events for at least 1 day.")
    .max(MAX_RETENTION_DAYS, `Keep events for at most ${MAX_RETENTION_DAYS} days (ten years).`)
    .nullable(),
  // What the admin saw, so two owners changing it at once do not silently overwrite each other.
  expectedDays: z.number().int().nullable(),
});

/** Sets how long the environment keeps audit events; the change itself is audited. */
export async function setAuditRetention(db: Db, actor: AuditActor, environmentId: string, input: z.infer<typeof RetentionSettingSchema>): Promise<void> {
  await db.$transaction(async (tx) => {
    const [current] = await tx.$queryRaw<{ days: number | null }[]>`SELECT "auditRetentionDays" AS "days" FROM "Environment" WHERE "id" = ${environmentId}::uuid FOR UPDATE`;
    if (!current) throw new StaleWriteError("This environment no longer exists.", null);
    if (current.days !== input.expectedDays) {
      throw new StaleWriteError("Someone changed the retention while you were editing it. Review the current value and save again.", { days: current.days });
    }
    if (current.days === input.days) return;
    await tx.environment.update({ where: { id: environmentId }, data: { auditRetentionDays: input.days } });
    await recordAdminEvent(tx, actor, {
      action: "audit.retention_changed",
      target: `environment:${environmentId}`,
      environmentId,
      details: { from: current.days, to: input.days },
    });
  });
}

/** Where a chain continues after retention: its first kept event, and the hash of the deleted event it points to. */
export type RetentionRestart = { chain: string; seq: string; prevHash: string | null };
export type RetentionOutcome = { deleted: number; cutoff: Date; restarts: RetentionRestart[] };

/**
 * Deletes an environment's events older than `days`, without breaking
 * verification of what remains: the first kept event of each chain still
 * points at the hash of a deleted one, so these restart points are recorded
 * in an event of the environment's own chain, which the verifier accepts in
 * place of the missing predecessors.
 *
 * Events are removed by chain position up to the first one inside the
 * window (and each chain's newest event always stays), so chains stay contiguous.
 */
export async function applyAuditRetention(db: Db, environmentId: string, days: number, now = new Date(), actor?: AuditActor): Promise<RetentionOutcome> {
  const cutoff = new Date(now.getTime() - days * 24 * 60 * 60_000);
  return db.$transaction(
    async (tx) => {
      let deleted = 0;
      const restarts: RetentionRestart[] = [];
      // The impact preview's daily rollup counts these events too: no rollup pass may run until it is corrected below.
      // Taken before the chain locks, as the pass takes none of those.
      await tx.$queryRawUnsafe(`SELECT 1 AS "locked" FROM (SELECT pg_advisory_xact_lock(${ROLLUP_LOCK_SQL})) AS "lock"`);
      // In chain order, like every writer that takes more than one: appends to a lane wait while it is cut.
      for (const chain of chainsOf(environmentId)) {
        await tx.$queryRaw`SELECT 1 FROM "AuditChainHead" WHERE "chain" = ${chain} FOR UPDATE`;
        const [bounds] = await tx.$queryRaw<{ firstKept: bigint | null; last: bigint | null }[]>`
          SELECT (SELECT MIN("seq") FROM "AuditEvent" WHERE "chain" = ${chain} AND "ts" >= ${cutoff}) AS "firstKept",
                 (SELECT MAX("seq") FROM "AuditEvent" WHERE "chain" = ${chain}) AS "last"`;
        if (!bounds?.last) continue;
        const restartSeq = bounds.firstKept ?? bounds.last;
        const removed = await tx.$executeRaw`DELETE FROM "AuditEvent" WHERE "chain" = ${chain} AND "seq" < ${restartSeq}`;
        if (removed === 0) continue;
        const restart = await tx.auditEvent.findFirst({ where: { chain, seq: restartSeq }, select: { prevHash: true } });
        restarts.push({ chain, seq: restartSeq.toString(), prevHash: restart?.prevHash ?? null });
        deleted += removed;
      }
      if (deleted === 0) return { deleted, cutoff, restarts };
      await rebuildRollupBefore((text, values = []) => tx.$queryRawUnsafe(text, ...values), environmentId, cutoff);
      await recordAuditEvents(tx, [
        {
          environmentId,
          source: "admin",
          actor: actor?.id ?? "system",
          actorLabel: actor?.email ?? "retention schedule",
          ip: actor?.ip ?? null,
          action: "audit.retention_applied",
          target: `environment:${environmentId}`,
          details: { days, cutoff: cutoff.toISOString(), deleted, restarts },
        },
      ]);
      return { deleted, cutoff, restarts };
    },
    { timeout: 5 * 60_000 },
  );
}

/** The scheduled run: every environment that has a retention period set. */
export async function applyAllAuditRetention(db: Db, now = new Date()): Promise<{ environment: string; deleted: number }[]> {
  const environments = await db.environment.findMany({ where: { auditRetentionDays: { not: null } }, select: { id: true, key: true, auditRetentionDays: true } });
  const results = [];
  for (const environment of environments) {
    const outcome = await applyAuditRetention(db, environment.id, environment.auditRetentionDays!, now);
    results.push({ environment: environment.key, deleted: outcome.deleted });
  }
  return results;
}
