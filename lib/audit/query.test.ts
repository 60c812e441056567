import { v7 as uuidv7 } from "uuid";
import { expect, it } from "vitest";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { AuditPageQuerySchema, listAuditEvents } from "./query";
import { recordAuditEvents, type AuditEventInput } from "./record";

describeEachDatabase("audit trail pages", (t) => {
  async function seed() {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    const base = Date.UTC(2026, 0, 1);
    // Every third event is alice's as an admin (actor id, email as label), every third one hers as an MCP user (email as actor).
    const inputs: AuditEventInput[] = Array.from({ length: 30 }, (_, i) => ({
      id: uuidv7(),
      // Pairs of events share a timestamp, so the id breaks ties.
      ts: new Date(base + Math.floor(i / 2) * 1000),
      environmentId: environment.id,
      source: i % 3 === 0 ? "admin" : "mcp",
      actor: i % 3 === 0 ? "admin-alice" : i % 3 === 1 ? "alice@example.com" : "bob@example.com",
      actorLabel: i % 3 === 0 ? "alice@example.com" : null,
      action: `action ${i}`,
      decision: i % 2 ? "deny" : "allow",
    }));
    await t.db.$transaction((tx) => recordAuditEvents(tx, inputs));
    const newestFirst = [...inputs].sort((a, b) => b.ts!.getTime() - a.ts!.getTime() || (a.id! < b.id! ? 1 : -1));
    return { environment, newestFirst, now: new Date(base + 3600_000) };
  }

  async function walk(environmentId: string, params: Record<string, string>, now: Date, size?: number) {
    const seen: string[] = [];
    let query = AuditPageQuerySchema.parse({ range: "all", size: "25", ...params });
    // Smaller than the UI offers, to cross pages within a few events.
    if (size) query = { ...query, size };
    for (;;) {
      const page = await listAuditEvents(t.db, environmentId, query, now);
      seen.push(...page.rows.map((row) => row.action));
      if (!page.older) return { seen, last: page };
      query = { ...query, before: page.older, after: undefined };
    }
  }

  it("pages through the trail newest first by (ts, id), and back again", async () => {
    const { environment, newestFirst, now } = await seed();
    // Two pages of 25 over the 30 events.
    const { seen, last } = await walk(environment.id, {}, now);
    expect(seen).toEqual(newestFirst.map((input) => input.action));
    const back = await listAuditEvents(t.db, environment.id, AuditPageQuerySchema.parse({ range: "all", size: "25", after: last.newer! }), now);
    expect(back.rows.map((row) => row.action)).toEqual(newestFirst.slice(0, 25).map((input) => input.action));
    expect(back.newer).toBeNull();
  });

  it("finds a user by actor or by label, in order, across pages and with other filters", async () => {
    const { environment, newestFirst, now } = await seed();
    const alice = newestFirst.filter((input) => input.actor === "alice@example.com" || input.actorLabel === "alice@example.com");
    expect(alice).toHaveLength(20);
    const { seen } = await walk(environment.id, { actor: "alice@example.com" }, now);
    expect(seen).toEqual(alice.map((input) => input.action));
    const small = await walk(environment.id, { actor: "alice@example.com", decision: "deny" }, now);
    expect(small.seen).toEqual(alice.filter((input) => input.decision === "deny").map((input) => input.action));
    // Pages smaller than either half still merge correctly.
    expect((await walk(environment.id, { actor: "alice@example.com" }, now, 3)).seen).toEqual(alice.map((input) => input.action));
  });
});
