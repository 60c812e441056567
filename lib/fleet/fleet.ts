import "server-only";
import { z } from "zod";
import { pagingFields } from "@/lib/list-query";
import type { Db } from "@/lib/db/client";

/** An instance that has not polled for this long is shown as stale (it polls every 10–20 s when healthy). */
export const STALE_AFTER_MS = 2 * 60_000;

export const FleetQuerySchema = z.object({
  ...pagingFields(),
  sort: z.enum(["lastPollAt", "instanceId", "appliedVersion"]).catch("lastPollAt"),
  dir: z.enum(["asc", "desc"]).catch("desc"),
});

export type FleetRow = {
  id: string;
  instanceId: string;
  server: string | null;
  apiKey: string;
  appliedVersion: number | null;
  sdkVersion: string | null;
  lastPollAt: string;
  firstSeenAt: string;
  stale: boolean;
  /** Running something other than the live version: behind, or never applied one. */
  drift: boolean;
};

/** Every MCP server instance that polled this environment, with staleness and drift against the live version. */
export async function listFleet(db: Db, environmentId: string, query: z.infer<typeof FleetQuerySchema>, now = new Date()) {
  const where = { apiKey: { environmentId } };
  const [rows, total, live] = await db.$transaction([
    db.serverInstance.findMany({
      where,
      orderBy: [{ [query.sort]: query.sort === "appliedVersion" ? { sort: query.dir, nulls: "last" } : query.dir }, { id: "asc" }],
      skip: (query.page - 1) * query.size,
      take: query.size,
      include: { apiKey: { select: { label: true } }, server: { select: { name: true } } },
    }),
    db.serverInstance.count({ where }),
    db.configVersion.findFirst({ where: { environmentId }, orderBy: { version: "desc" }, select: { version: true } }),
  ]);
  return {
    total,
    liveVersion: live?.version ?? null,
    rows: rows.map(
      (row): FleetRow => ({
        id: row.id,
        instanceId: row.instanceId,
        server: row.server?.name ?? null,
        apiKey: row.apiKey.label,
        appliedVersion: row.appliedVersion,
        sdkVersion: row.sdkVersion,
        lastPollAt: row.lastPollAt.toISOString(),
        firstSeenAt: row.firstSeenAt.toISOString(),
        stale: now.getTime() - row.lastPollAt.getTime() > STALE_AFTER_MS,
        drift: live !== null && row.appliedVersion !== live.version,
      }),
    ),
  };
}
