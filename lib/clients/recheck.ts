import "server-only";
import type { Db } from "@/lib/db/client";
import { recordAuditEvents } from "@/lib/audit/record";
import { DomainError } from "@/lib/errors";
import { applyMetadataRefresh } from "./clients";
import { attachLogo } from "./logo";
import { previewClient, type FetchSettings } from "./preview";

type DueClient = { id: string; clientId: string; environmentId: string };

export type RecheckSummary = { checked: number; changed: number; backToReview: number; failed: number };

// How long a claimed client is left alone by other instances (and, after a failed fetch, before the next try).
const LEASE_MS = 5 * 60_000;

/**
 * Re-fetches approved clients whose cached metadata has expired, as a refresh
 * by hand would: a change that needs review sends the client back to PENDING
 * (its access pauses at the next publish). A fetch that fails leaves the
 * client as it is and is recorded, so a flaky publisher cannot make Warden
 * forget a review, and a vanished one shows up in the audit trail.
 */
export async function recheckDueClients(db: Db, settings: FetchSettings, options: { now?: Date; limit?: number } = {}): Promise<RecheckSummary> {
  const now = options.now ?? new Date();
  // Claim the due clients by pushing their expiry a lease ahead, skipping rows
  // another instance is claiming right now: each client is re-checked once.
  const due = await db.$queryRaw<DueClient[]>`
    UPDATE "Client" SET "cacheExpiresAt" = ${new Date(now.getTime() + LEASE_MS)}
    WHERE "id" IN (
      SELECT "id" FROM "Client"
      WHERE "status" = 'APPROVED' AND "kind" = 'CIMD' AND ("cacheExpiresAt" IS NULL OR "cacheExpiresAt" <= ${now})
      ORDER BY "cacheExpiresAt" ASC NULLS FIRST
      LIMIT ${options.limit ?? 50}
      FOR UPDATE SKIP LOCKED)
    RETURNING "id", "clientId", "environmentId"`;
  const summary: RecheckSummary = { checked: 0, changed: 0, backToReview: 0, failed: 0 };
  for (const client of due) {
    summary.checked++;
    // Each client on its own: whatever one document or publisher does (a
    // refusal, a throw), the clients after it in the batch are still checked.
    try {
      const preview = await attachLogo(db, await previewClient(client.clientId, settings, now), settings);
      const outcome = await applyMetadataRefresh(db, null, client.environmentId, client.id, preview);
      if (outcome.changes.length) summary.changed++;
      if (outcome.backToReview) summary.backToReview++;
    } catch (error) {
      summary.failed++;
      await recordFailure(db, client, error);
    }
  }
  return summary;
}

/**
 * Records a failed re-check in the audit trail. The lease stays: the next try
 * comes after it, not on every round. If even the record fails (the database
 * went away), the failure is logged and the batch goes on.
 */
async function recordFailure(db: Db, client: DueClient, error: unknown): Promise<void> {
  const reason = error instanceof Error ? error.message : String(error);
  if (!(error instanceof DomainError)) console.error(`[warden] re-check of client ${client.clientId} failed`, error);
  try {
    await db.$transaction(async (tx) => {
      await recordAuditEvents(tx, [
        {
          source: "admin",
          actor: "system",
          actorLabel: "scheduled re-check",
          environmentId: client.environmentId,
          action: "client.recheck_failed",
          target: `client:${client.clientId}`,
          reason,
        },
      ]);
    });
  } catch (recordError) {
    console.error(`[warden] could not record the failed re-check of client ${client.clientId}`, recordError);
  }
}
