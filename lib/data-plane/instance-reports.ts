import "server-only";
import type { Db } from "@/lib/db/client";

type Report = { apiKeyId: string; serverId: string | null; instanceId: string; appliedVersion: number | null; sdkVersion: string | null; at: Date };

/**
 * Which MCP server instances poll, and what they run, for the fleet view.
 * Reports are kept in memory and written in batches, so that a poll answered
 * 304 from memory stays free of database work.
 */
export function createInstanceReporter(db: Db) {
  const pending = new Map<string, Report>();

  function report(entry: Report) {
    if (pending.size > 10_000) return;
    pending.set(`${entry.apiKeyId}|${entry.instanceId}`, entry);
  }

  async function flush(): Promise<number> {
    const batch = [...pending.values()];
    pending.clear();
    for (const [index, entry] of batch.entries()) {
      try {
        await db.serverInstance.upsert({
          where: { apiKeyId_instanceId: { apiKeyId: entry.apiKeyId, instanceId: entry.instanceId } },
          create: { apiKeyId: entry.apiKeyId, serverId: entry.serverId, instanceId: entry.instanceId, lastPollAt: entry.at, appliedVersion: entry.appliedVersion, sdkVersion: entry.sdkVersion },
          update: { lastPollAt: entry.at, appliedVersion: entry.appliedVersion, sdkVersion: entry.sdkVersion },
        });
      } catch (error) {
        // Kept for the next flush (a database outage must not empty the fleet view), unless a newer report came meanwhile.
        for (const unsent of batch.slice(index)) {
          const key = `${unsent.apiKeyId}|${unsent.instanceId}`;
          if (!pending.has(key)) pending.set(key, unsent);
        }
        throw error;
      }
    }
    return batch.length;
  }

  return { report, flush };
}
