import { expect, it } from "vitest";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { auditInsights } from "./insights";
import { recordAuditEvents, type AuditEventInput } from "./record";

// A Wednesday, 12:00 UTC.
const NOW = new Date("2026-11-18T12:00:00Z");
const HOUR = 60 * 60_000;

describeEachDatabase("audit insights for the overview", (t) => {
  async function seed(events: Omit<AuditEventInput, "environmentId">[]) {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    await t.db.$transaction((tx) => recordAuditEvents(tx, events.map((event) => ({ ...event, environmentId: environment.id }))));
    return environment;
  }
  const call = (hoursAgo: number, extra: Partial<AuditEventInput> = {}): Omit<AuditEventInput, "environmentId"> => ({
    source: "mcp",
    actor: "alice",
    action: "tool.call",
    server: "sales",
    tool: "get_invoice",
    clientId: "https://agent.example/client.json",
    decision: "allow",
    ts: new Date(NOW.getTime() - hoursAgo * HOUR),
    ...extra,
  });

  it("counts allowed and denied calls per day, ranks tools and clients, and lists the latest denials", async () => {
    const environment = await seed([
      call(1),
      call(2),
      call(3, { decision: "deny", tool: "refund", reason: "no grant" }),
      call(28, { clientId: "https://other.example/client.json" }), // Tuesday 08:00 UTC
      call(24 * 10), // outside the 7-day window
      { source: "admin", actor: "admin-1", action: "role.created", ts: new Date(NOW.getTime() - HOUR) },
    ]);
    const insights = await auditInsights(t.db, environment, "7d", NOW);
    expect(insights.totals).toEqual({ allow: 3, deny: 1, error: 0 });
    // One bar per day of the window, quiet days included.
    expect(insights.series).toHaveLength(8);
    expect(insights.series[0]).toEqual({ bucket: "2026-11-11T00:00:00.000Z", allow: 0, deny: 0, error: 0 });
    expect(insights.series.slice(-2)).toEqual([
      { bucket: "2026-11-17T00:00:00.000Z", allow: 1, deny: 0, error: 0 },
      { bucket: "2026-11-18T00:00:00.000Z", allow: 2, deny: 1, error: 0 },
    ]);
    expect(insights.topTools).toEqual([
      { label: "sales/get_invoice", calls: 3, denied: 0 },
      { label: "sales/refund", calls: 1, denied: 1 },
    ]);
    expect(insights.topClients[0]).toEqual({ label: "https://agent.example/client.json", calls: 3, denied: 1 });
    expect(insights.recentDenials).toEqual([expect.objectContaining({ tool: "refund", reason: "no grant" })]);
    expect(insights.flags).toEqual([]);
  });

  it("flags calls at night, a client suddenly far busier than usual, and large exports", async () => {
    const burst = Array.from({ length: 120 }, () => call(0.5, { clientId: "https://burst.example/client.json" }));
    const environment = await seed([
      call(10), // 02:00 UTC on a Wednesday
      ...burst,
      { source: "admin", actor: "admin-1", actorLabel: "auditor@example.com", action: "audit.exported", ts: new Date(NOW.getTime() - HOUR), details: { rows: 250_000 } },
      { source: "admin", actor: "admin-1", action: "audit.exported", ts: new Date(NOW.getTime() - HOUR), details: { rows: 10 } },
    ]);
    const flags = (await auditInsights(t.db, environment, "24h", NOW)).flags;
    expect(flags.map((flag) => flag.kind).sort()).toEqual(["after_hours", "large_export", "volume_spike"]);
    expect(flags.find((flag) => flag.kind === "after_hours")!.title).toBe("1 call outside business hours");
    expect(flags.find((flag) => flag.kind === "volume_spike")!.title).toBe("Sudden volume from https://burst.example/client.json");
    expect(flags.find((flag) => flag.kind === "large_export")!.detail).toMatch(/^auditor@example\.com exported 250,000 events/);
  });
});
