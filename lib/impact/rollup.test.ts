import { expect, it } from "vitest";
import { recordAuditEvents, type AuditEventInput } from "@/lib/audit/record";
import { applyAuditRetention } from "@/lib/audit/retention";
import { describeEachDatabase } from "@/lib/db/test-harness";
import type { DecisionInputs } from "./inputs";
import { draftImpact, groupWindow } from "./impact";
import { DAY_MS, rollUpDecisions } from "./rollup";

// A Tuesday, midday UTC: windows ending at other times of day are taken from here.
const NOW = new Date("2026-03-10T12:00:00.000Z");
const HOUR = 3_600_000;

const INPUTS: (DecisionInputs | null)[] = [
  null,
  { scopes: ["orders:read"], roles: [], claims: { groups: ["sales"] } },
  { scopes: ["orders:read", "orders:write"], roles: [], claims: { groups: ["finance", "sales"] } },
  { scopes: [], roles: ["auditor"], claims: {} },
];

// A small deterministic generator, so a failure can be replayed.
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

describeEachDatabase("the daily rollup behind the impact preview", (t) => {
  const environments = async () => {
    const prod = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    const staging = await t.db.environment.create({ data: { key: "staging", name: "Staging" } });
    return { prod: prod.id, staging: staging.id };
  };

  /** Tool calls (and some other events) spread over `from`..`to`, in several transactions so they land in several lanes. */
  const record = async (environmentId: string, count: number, span: { from: Date; to: Date }, seed: number, options: { sorted?: boolean } = {}) => {
    const next = random(seed);
    const pick = <T,>(list: T[]) => list[Math.floor(next() * list.length)]!;
    const events: AuditEventInput[] = Array.from({ length: count }, () => {
      const ts = new Date(span.from.getTime() + Math.floor(next() * (span.to.getTime() - span.from.getTime())));
      if (next() < 0.05) return { environmentId, source: "admin", actor: "owner", action: "config.published", ts };
      const inputs = pick(INPUTS);
      return {
        environmentId,
        source: "mcp",
        actor: pick(["fiona", "gary", "sam", "olga"]),
        clientId: pick(["https://a.example/client.json", "https://b.example/client.json", null]),
        server: "sales",
        tool: pick(["refund", "read_orders"]),
        action: "tool.call",
        // An approval still pending records no decision: not a decision to replay.
        decision: next() < 0.05 ? null : pick(["allow", "deny"] as const),
        configVersion: 1,
        ...(inputs ? { inputs } : {}),
        ts,
      };
    });
    if (options.sorted) events.sort((a, b) => a.ts!.getTime() - b.ts!.getTime());
    for (let index = 0; index < events.length; index += 25) {
      await t.db.$transaction((tx) => recordAuditEvents(tx, events.slice(index, index + 25), { anyLane: true }));
    }
  };

  const rollUpAll = async () => {
    while ((await rollUpDecisions(t.db, { perChain: 40 })).chainsBehind > 0);
  };

  // The ends of windows to compare: times of day on both sides of noon, midnight, ahead of every event, and 30 days.
  const WINDOWS = [
    { to: NOW, days: 7 },
    { to: new Date(NOW.getTime() - 9 * HOUR), days: 7 },
    { to: new Date(NOW.getTime() + 9 * HOUR), days: 7 },
    { to: new Date(NOW.getTime() - 12 * HOUR), days: 3 },
    { to: new Date(NOW.getTime() - HOUR), days: 1 },
    { to: new Date(NOW.getTime() - 2 * DAY_MS + 5 * HOUR), days: 30 },
  ];

  /** The preview's groups, from the rollup, next to the groups of every stored event. */
  const expectSameAsEvents = async (environmentId: string) => {
    for (const window of WINDOWS) {
      const from = new Date(window.to.getTime() - window.days * DAY_MS);
      const viaRollup = await groupWindow(t.db, environmentId, from, window.to);
      const viaEvents = await groupWindow(t.db, environmentId, from, window.to, { fromEvents: true });
      const rows = (grouped: typeof viaRollup) =>
        grouped.groups
          .map((group) => ({ ...group, lastSeen: group.lastSeen.toISOString() }))
          .sort((a, b) => JSON.stringify([a.subject, a.clientId, a.tool, a.inputsKey]).localeCompare(JSON.stringify([b.subject, b.clientId, b.tool, b.inputsKey])));
      expect({ window, calls: viaRollup.calls, replayable: viaRollup.replayableCalls, groups: rows(viaRollup) }).toEqual({
        window,
        calls: viaEvents.calls,
        replayable: viaEvents.replayableCalls,
        groups: rows(viaEvents),
      });
    }
  };

  /** What the rollup holds per day equals the rolled-up tool calls of that day still stored. */
  const expectRollupMatchesEvents = async (environmentId: string) => {
    const held = await t.db.$queryRawUnsafe<{ day: string; calls: number }[]>(
      `SELECT to_char("day", 'YYYY-MM-DD') AS "day", sum("calls")::int AS "calls" FROM "DecisionRollup" WHERE "environmentId" = $1::uuid GROUP BY 1 ORDER BY 1`,
      environmentId,
    );
    const stored = await t.db.$queryRawUnsafe<{ day: string; calls: number }[]>(
      `SELECT to_char(e."ts" AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS "day", count(*)::int AS "calls"
       FROM "AuditEvent" e JOIN "DecisionRollupCursor" c ON c."chain" = e."chain" AND e."seq" <= c."lastSeq"
       WHERE e."environmentId" = $1::uuid AND e."source" = 'mcp' AND e."decision" IS NOT NULL
       GROUP BY 1 ORDER BY 1`,
      environmentId,
    );
    expect(held).toEqual(stored);
  };

  it("replays exactly the calls of the window, whether rolled up yet or not, in the environment's own traffic only", async () => {
    const { prod, staging } = await environments();
    // Two weeks of traffic; a few producers' clocks run up to two hours ahead.
    await record(prod, 300, { from: new Date(NOW.getTime() - 14 * DAY_MS), to: new Date(NOW.getTime() + 2 * HOUR) }, 1);
    await record(staging, 100, { from: new Date(NOW.getTime() - 14 * DAY_MS), to: NOW }, 2);
    // Nothing rolled up yet: every call is read from the events.
    await expectSameAsEvents(prod);

    // Partly rolled up.
    await rollUpDecisions(t.db, { perChain: 30 });
    await expectSameAsEvents(prod);

    await rollUpAll();
    await expectRollupMatchesEvents(prod);
    await expectSameAsEvents(prod);
    await expectSameAsEvents(staging);

    // Late arrivals, dated days back, not rolled up yet.
    await record(prod, 60, { from: new Date(NOW.getTime() - 10 * DAY_MS), to: NOW }, 3);
    await expectSameAsEvents(prod);
    await rollUpAll();
    await expectRollupMatchesEvents(prod);
    await expectSameAsEvents(prod);
    // A few thousand events would make a few dozen rows: one per day and distinct inputs.
    const rows = await t.db.decisionRollup.count({ where: { environmentId: prod } });
    expect(rows).toBeLessThan(300);
  });

  it("replays nothing, without an error, for an environment with no traffic yet, whatever the window", async () => {
    const { prod } = await environments();
    for (const window of WINDOWS) {
      const from = new Date(window.to.getTime() - window.days * DAY_MS);
      await expect(groupWindow(t.db, prod, from, window.to)).resolves.toMatchObject({ calls: 0 });
    }
    await expect(draftImpact(t.db, prod, { days: 7 })).resolves.toMatchObject({ traffic: { calls: 0 }, losesAccess: [], gainsAccess: [] });
  });

  it("counts a call in the preview as soon as it is stored, before the rollup catches up", async () => {
    const { prod } = await environments();
    await record(prod, 50, { from: new Date(Date.now() - 3 * DAY_MS), to: new Date(Date.now() - HOUR) }, 4);
    await rollUpAll();
    const before = await draftImpact(t.db, prod);
    await t.db.$transaction((tx) =>
      recordAuditEvents(tx, [
        { environmentId: prod, source: "mcp", actor: "fiona", clientId: null, server: "sales", tool: "refund", action: "tool.call", decision: "allow", configVersion: 1, inputs: INPUTS[1]!, ts: new Date(Date.now() - 1_000) },
      ]),
    );
    const after = await draftImpact(t.db, prod);
    expect(after.traffic).toEqual({ ...before.traffic, calls: before.traffic.calls + 1, replayedCalls: before.traffic.replayedCalls + 1, groups: expect.any(Number) });
  });

  it("forgets purged calls: retention takes them out of the rollup, and days fully purged leave no rows", async () => {
    const { prod, staging } = await environments();
    // In order of time, as producers mostly report, then late arrivals dated all over the period.
    await record(prod, 250, { from: new Date(NOW.getTime() - 20 * DAY_MS), to: NOW }, 5, { sorted: true });
    await record(prod, 40, { from: new Date(NOW.getTime() - 20 * DAY_MS), to: NOW }, 6);
    await record(staging, 60, { from: new Date(NOW.getTime() - 20 * DAY_MS), to: NOW }, 7, { sorted: true });
    await rollUpAll();
    // Some stored later, not rolled up when retention runs.
    await record(prod, 20, { from: new Date(NOW.getTime() - 20 * DAY_MS), to: NOW }, 8);

    const outcome = await applyAuditRetention(t.db, prod, 5, NOW);
    expect(outcome.deleted).toBeGreaterThan(0);
    await expectRollupMatchesEvents(prod);
    await expectSameAsEvents(prod);
    // Days with no tool call left have no rows.
    const days = await t.db.$queryRawUnsafe<{ orphaned: number }[]>(
      `SELECT count(*)::int AS "orphaned" FROM "DecisionRollup" r WHERE r."environmentId" = $1::uuid AND NOT EXISTS (
         SELECT 1 FROM "AuditEvent" e WHERE e."environmentId" = r."environmentId" AND (e."ts" AT TIME ZONE 'UTC')::date = r."day")`,
      prod,
    );
    expect(days).toEqual([{ orphaned: 0 }]);
    // The other environment's rollup is untouched.
    await expectRollupMatchesEvents(staging);
    await rollUpAll();
    await expectRollupMatchesEvents(prod);
    await expectSameAsEvents(prod);
  });
});
