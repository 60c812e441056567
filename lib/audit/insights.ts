import "server-only";
import { z } from "zod";
import type { Db } from "@/lib/db/client";
import { STALE_AFTER_MS } from "@/lib/fleet/fleet";

export const INSIGHT_WINDOWS = { "24h": { hours: 24, bucket: "hour" }, "7d": { hours: 7 * 24, bucket: "day" }, "30d": { hours: 30 * 24, bucket: "day" } } as const;
export type InsightWindow = keyof typeof INSIGHT_WINDOWS;
export const InsightWindowSchema = z.enum(["24h", "7d", "30d"]).catch("7d");

// What the flags call unusual. Hours are UTC: a team elsewhere reads them against its own day.
export const BUSINESS_HOURS_UTC = { start: 7, end: 19 } as const;
export const VOLUME_SPIKE = { factor: 5, minimumEvents: 100 } as const;
export const LARGE_EXPORT_ROWS = 10_000;

export type DecisionBucket = { bucket: string; allow: number; deny: number; error: number };
export type Ranked = { label: string; calls: number; denied: number };
export type Flag = { kind: "after_hours" | "volume_spike" | "large_export"; title: string; detail: string; href: string };

export type AuditInsights = {
  window: InsightWindow;
  since: string;
  totals: { allow: number; deny: number; error: number };
  series: DecisionBucket[];
  topTools: Ranked[];
  topClients: Ranked[];
  recentDenials: { id: string; ts: string; actor: string; clientId: string | null; tool: string | null; reason: string | null }[];
  fleet: { instances: number; stale: number; drifting: number };
  flags: Flag[];
};

const count = (value: bigint | number | null | undefined) => Number(value ?? 0);

/**
 * The Overview's picture of an environment's MCP traffic over a window: how
 * many calls were allowed and denied over time, by tool and by client, the
 * latest denials, the fleet's health, and patterns worth a look (calls at
 * night or at weekends, a client suddenly far busier than usual, large
 * exports of the trail). All aggregation happens in the database, on the
 * (environment, time) index.
 */
export async function auditInsights(db: Db, environment: { id: string; key: string }, window: InsightWindow, now = new Date()): Promise<AuditInsights> {
  const { hours, bucket } = INSIGHT_WINDOWS[window];
  const since = new Date(now.getTime() - hours * 60 * 60_000);
  const environmentId = environment.id;
  const base = `/${environment.key}/audit?source=mcp&range=${window === "24h" ? "24h" : window}`;

  const [series, tools, clients, denials, afterHours, lastHour, weekBefore, exports, live, instances] = await Promise.all([
    db.$queryRawUnsafe<{ bucket: Date; decision: string | null; n: bigint }[]>(
      `SELECT date_trunc('${bucket}', "ts", 'UTC') AS "bucket", "decision"::text AS "decision", COUNT(*) AS "n"
       FROM "AuditEvent" WHERE "environmentId" = $1::uuid AND "source" = 'mcp' AND "ts" >= $2 GROUP BY 1, 2 ORDER BY 1`,
      environmentId,
      since,
    ),
    db.$queryRaw<{ server: string | null; tool: string; n: bigint; denied: bigint }[]>`
      SELECT "server", "tool", COUNT(*) AS "n", COUNT(*) FILTER (WHERE "decision" = 'deny') AS "denied"
      FROM "AuditEvent" WHERE "environmentId" = ${environmentId}::uuid AND "source" = 'mcp' AND "ts" >= ${since} AND "tool" IS NOT NULL
      GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 5`,
    db.$queryRaw<{ clientId: string; n: bigint; denied: bigint }[]>`
      SELECT "clientId", COUNT(*) AS "n", COUNT(*) FILTER (WHERE "decision" = 'deny') AS "denied"
      FROM "AuditEvent" WHERE "environmentId" = ${environmentId}::uuid AND "source" = 'mcp' AND "ts" >= ${since} AND "clientId" IS NOT NULL
      GROUP BY 1 ORDER BY 2 DESC LIMIT 5`,
    db.auditEvent.findMany({
      where: { environmentId, source: "mcp", decision: "deny", ts: { gte: since } },
      orderBy: [{ ts: "desc" }, { id: "desc" }],
      take: 6,
      select: { id: true, ts: true, actor: true, clientId: true, tool: true, reason: true },
    }),
    db.$queryRaw<{ n: bigint; users: bigint }[]>`
      SELECT COUNT(*) AS "n", COUNT(DISTINCT "actor") AS "users" FROM "AuditEvent"
      WHERE "environmentId" = ${environmentId}::uuid AND "source" = 'mcp' AND "ts" >= ${since}
        AND (EXTRACT(ISODOW FROM "ts" AT TIME ZONE 'UTC') > 5
             OR EXTRACT(HOUR FROM "ts" AT TIME ZONE 'UTC') < ${BUSINESS_HOURS_UTC.start}
             OR EXTRACT(HOUR FROM "ts" AT TIME ZONE 'UTC') >= ${BUSINESS_HOURS_UTC.end})`,
    db.$queryRaw<{ clientId: string; n: bigint }[]>`
      SELECT "clientId", COUNT(*) AS "n" FROM "AuditEvent"
      WHERE "environmentId" = ${environmentId}::uuid AND "source" = 'mcp' AND "ts" >= ${new Date(now.getTime() - 60 * 60_000)} AND "clientId" IS NOT NULL
      GROUP BY 1 HAVING COUNT(*) >= ${VOLUME_SPIKE.minimumEvents}`,
    db.$queryRaw<{ clientId: string; n: bigint }[]>`
      SELECT "clientId", COUNT(*) AS "n" FROM "AuditEvent"
      WHERE "environmentId" = ${environmentId}::uuid AND "source" = 'mcp' AND "clientId" IS NOT NULL
        AND "ts" >= ${new Date(now.getTime() - 8 * 24 * 60 * 60_000)} AND "ts" < ${new Date(now.getTime() - 60 * 60_000)}
      GROUP BY 1`,
    db.auditEvent.findMany({
      where: { environmentId, action: "audit.exported", ts: { gte: since } },
      orderBy: { ts: "desc" },
      take: 50,
      select: { id: true, actorLabel: true, actor: true, details: true, ts: true },
    }),
    db.configVersion.findFirst({ where: { environmentId }, orderBy: { version: "desc" }, select: { version: true } }),
    db.serverInstance.findMany({ where: { apiKey: { environmentId } }, select: { lastPollAt: true, appliedVersion: true } }),
  ]);

  // Every period of the window gets a bar, quiet ones included, so the axis is time and not just "days with calls".
  const buckets = new Map<string, DecisionBucket>();
  const step = bucket === "hour" ? 60 * 60_000 : 24 * 60 * 60_000;
  const first = new Date(since);
  if (bucket === "hour") first.setUTCMinutes(0, 0, 0);
  else first.setUTCHours(0, 0, 0, 0);
  for (let at = first.getTime(); at <= now.getTime(); at += step) {
    const key = new Date(at).toISOString();
    buckets.set(key, { bucket: key, allow: 0, deny: 0, error: 0 });
  }
  const totals = { allow: 0, deny: 0, error: 0 };
  for (const row of series) {
    const key = row.bucket.toISOString();
    const entry = buckets.get(key) ?? { bucket: key, allow: 0, deny: 0, error: 0 };
    const decision = (row.decision ?? "error") as keyof typeof totals;
    entry[decision] += count(row.n);
    totals[decision] += count(row.n);
    buckets.set(key, entry);
  }

  const flags: Flag[] = [];
  const [offHours] = afterHours;
  if (count(offHours?.n) > 0) {
    flags.push({
      kind: "after_hours",
      title: `${count(offHours!.n).toLocaleString("en")} call${count(offHours!.n) === 1 ? "" : "s"} outside business hours`,
      detail: `By ${count(offHours!.users)} user(s), at night or at the weekend (Mon–Fri ${BUSINESS_HOURS_UTC.start}:00–${BUSINESS_HOURS_UTC.end}:00 UTC counts as business hours).`,
      href: base,
    });
  }
  const usual = new Map(weekBefore.map((row) => [row.clientId, count(row.n) / (7 * 24)]));
  for (const row of lastHour) {
    const hourlyAverage = usual.get(row.clientId) ?? 0;
    if (count(row.n) >= VOLUME_SPIKE.factor * Math.max(hourlyAverage, 1)) {
      flags.push({
        kind: "volume_spike",
        title: `Sudden volume from ${row.clientId}`,
        detail: `${count(row.n).toLocaleString("en")} calls in the last hour, against ${hourlyAverage.toFixed(1)} an hour over the week before.`,
        href: `/${environment.key}/audit?source=mcp&range=1h&client=${encodeURIComponent(row.clientId)}`,
      });
    }
  }
  for (const event of exports) {
    const rows = Number((event.details as { rows?: unknown } | null)?.rows ?? 0);
    if (rows >= LARGE_EXPORT_ROWS) {
      flags.push({
        kind: "large_export",
        title: `Large export of the audit trail`,
        detail: `${event.actorLabel ?? event.actor} exported ${rows.toLocaleString("en")} events ${event.ts.toISOString().slice(0, 16).replace("T", " ")} UTC.`,
        href: `/${environment.key}/audit?source=admin&action=audit.exported&range=${window}&event=${event.id}`,
      });
    }
  }

  return {
    window,
    since: since.toISOString(),
    totals,
    // A window without a single call is "nothing to chart", not a row of empty bars.
    series: totals.allow + totals.deny + totals.error ? [...buckets.values()] : [],
    topTools: tools.map((row) => ({ label: row.server ? `${row.server}/${row.tool}` : row.tool, calls: count(row.n), denied: count(row.denied) })),
    topClients: clients.map((row) => ({ label: row.clientId, calls: count(row.n), denied: count(row.denied) })),
    recentDenials: denials.map((row) => ({ ...row, ts: row.ts.toISOString() })),
    fleet: {
      instances: instances.length,
      stale: instances.filter((instance) => now.getTime() - instance.lastPollAt.getTime() > STALE_AFTER_MS).length,
      drifting: live ? instances.filter((instance) => instance.appliedVersion !== live.version).length : 0,
    },
    flags,
  };
}
