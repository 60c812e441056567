import { v7 as uuidv7 } from "uuid";
import { expect, it } from "vitest";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { withSqlTransaction } from "@/lib/db/client";
import { AuditFilterSchema, auditEventsStoredAfter, auditFilterSql, AuditPageQuerySchema, auditWhere, listAuditEvents, liveStartPosition } from "./query";
import { appendAuditEvents, chainsOf, recordAuditEvents, type AuditEventInput } from "./record";

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

  it("live mode sees every batch stored after the page was rendered, whichever lane it went to and in whatever order lanes commit", async () => {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    const filters = AuditPageQuerySchema.parse({});
    const store = (actor: string) =>
      withSqlTransaction(t.db, (sql) => appendAuditEvents(sql, [{ environmentId: environment.id, source: "mcp", actor, action: "tool.call" }], { anyLane: true }));
    await store("before");
    let position = await liveStartPosition(t.db, environment.id, "environment");
    const seen: string[] = [];
    for (let round = 0; round < 4; round++) {
      await Promise.all([0, 1, 2, 3].map((i) => store(`round ${round} #${i}`)));
      const answer = await auditEventsStoredAfter(t.db, environment.id, filters, position);
      seen.push(...answer.rows.map((row) => row.actor));
      position = answer.position;
    }
    expect(seen.sort()).toEqual([0, 1, 2, 3].flatMap((round) => [0, 1, 2, 3].map((i) => `round ${round} #${i}`)).sort());
    expect((await auditEventsStoredAfter(t.db, environment.id, filters, position)).rows).toEqual([]);
  });

  it("live mode reads a position from before a lane existed as zero for it", async () => {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    await t.db.$transaction((tx) => recordAuditEvents(tx, [{ environmentId: environment.id, source: "admin", actor: "a", action: "x" }]));
    const answer = await auditEventsStoredAfter(t.db, environment.id, AuditPageQuerySchema.parse({}), "0");
    expect(answer.rows.map((row) => row.action)).toEqual(["x"]);
    expect(answer.position.split(".")).toHaveLength(chainsOf(environment.id).length);
  });

  it("selects the same events in SQL (for the export) as in the page's query, for every filter", async () => {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    const other = await t.db.environment.create({ data: { key: "dev", name: "Development" } });
    const now = new Date(Date.UTC(2026, 0, 10));
    const pick = <T,>(list: T[], i: number) => list[i % list.length]!;
    const inputs: AuditEventInput[] = Array.from({ length: 60 }, (_, i) => ({
      ts: new Date(now.getTime() - i * 3 * 60 * 60_000),
      environmentId: pick([environment.id, environment.id, other.id, null], i),
      source: pick(["admin", "mcp", "mcp"] as const, i),
      actor: pick(["alice", "bob", "carol"], i),
      actorLabel: pick([null, "alice", "dave"], i),
      clientId: pick(["https://a.example/c.json", null], i),
      server: pick(["sales", "hr"], i),
      tool: pick(["lookup", "refund", null], i),
      action: pick(["tool.call", "grant.created"], i),
      decision: pick(["allow", "deny", "error", null] as const, i),
      reason: pick(["100% sure", "role_admin granted", "Missing scope", null], i),
    }));
    await t.db.$transaction((tx) => recordAuditEvents(tx, inputs));
    const cases: Record<string, string>[] = [
      { range: "all" },
      { range: "24h" },
      { range: "custom", from: new Date(now.getTime() - 50 * 60 * 60_000).toISOString(), to: new Date(now.getTime() - 10 * 60 * 60_000).toISOString() },
      { range: "all", scope: "account" },
      { range: "all", source: "admin" },
      { range: "all", actor: "alice" },
      { range: "all", actor: "alice", decision: "deny" },
      { range: "all", client: "https://a.example/c.json", server: "sales", tool: "lookup" },
      { range: "all", action: "grant.created" },
      { range: "all", q: "100%" },
      { range: "all", q: "ROLE_" },
      { range: "all", q: "e_a" },
    ];
    for (const params of cases) {
      const filters = AuditFilterSchema.parse(params);
      const viaPrisma = await t.db.auditEvent.findMany({ where: auditWhere(environment.id, filters, now), select: { id: true }, orderBy: { id: "asc" } });
      const { condition, values } = auditFilterSql(environment.id, filters, now);
      const viaSql = await t.db.$queryRawUnsafe<{ id: string }[]>(`SELECT "id"::text AS "id" FROM "AuditEvent" WHERE ${condition} ORDER BY "id"`, ...values);
      expect(viaSql.map((row) => row.id), JSON.stringify(params)).toEqual(viaPrisma.map((row) => row.id));
      expect(viaSql.length, JSON.stringify(params)).toBeGreaterThan(0);
    }
  });

  it("pauses a text search that runs out of time, and continues it on the next page without missing or repeating a match", async () => {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    const now = new Date(Date.UTC(2026, 0, 10));
    // Three days of events, one every 20 minutes; every seventh one matches.
    const inputs: AuditEventInput[] = Array.from({ length: 216 }, (_, i) => ({
      id: uuidv7(),
      ts: new Date(now.getTime() - i * 20 * 60_000),
      environmentId: environment.id,
      source: "mcp",
      actor: `user-${i % 5}`,
      action: "tool.call",
      reason: i % 7 === 0 ? `Missing scope #${i}` : "granted",
    }));
    await t.db.$transaction((tx) => recordAuditEvents(tx, inputs));
    const expected = inputs.filter((input) => input.reason!.startsWith("Missing")).map((input) => input.reason);

    // No time at all and no minimum: every page reads one slice (an hour) and pauses, so 72 hours take 72 pages or so.
    let query = AuditPageQuerySchema.parse({ range: "all", q: "missing scope", size: "10" });
    const seen: (string | null | undefined)[] = [];
    let paused = 0;
    for (let pages = 0; pages < 200; pages++) {
      const page = await listAuditEvents(t.db, environment.id, query, now, { budgetMs: 0, minEventsBeforePause: 1 });
      seen.push(...page.rows.map((row) => row.reason));
      if (page.searchedBackTo) paused++;
      if (!page.older) break;
      query = { ...query, before: page.older };
    }
    expect(seen).toEqual(expected);
    expect(paused).toBeGreaterThan(1);

    // With time to spare (a minute, so a busy machine cannot make it pause), the trail is searched in one go.
    const whole = await listAuditEvents(t.db, environment.id, AuditPageQuerySchema.parse({ range: "all", q: "missing scope", size: "50" }), now, { budgetMs: 60_000, minEventsBeforePause: 1 });
    expect(whole.rows.map((row) => row.reason)).toEqual(expected);
    expect(whole).toMatchObject({ searchedBackTo: null, older: null });

    // Out of time but with fewer events read than the minimum, it keeps going: a small trail never pauses.
    const small = await listAuditEvents(t.db, environment.id, AuditPageQuerySchema.parse({ range: "all", q: "missing scope", size: "50" }), now, { budgetMs: 0, minEventsBeforePause: 10_000 });
    expect(small.rows.map((row) => row.reason)).toEqual(expected);
    expect(small).toMatchObject({ searchedBackTo: null, older: null });
  });
});
