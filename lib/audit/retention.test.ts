import { expect, it } from "vitest";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { StaleWriteError } from "@/lib/errors";
import { withSqlTransaction } from "@/lib/db/client";
import { appendAuditEvents, chainsOf, recordAuditEvents } from "./record";
import { applyAllAuditRetention, applyAuditRetention, RetentionSettingSchema, setAuditRetention } from "./retention";
import { verifyAuditChain } from "./verify";

const DAY = 24 * 60 * 60_000;
const NOW = new Date("2026-11-20T12:00:00Z");

describeEachDatabase("audit retention", (t) => {
  async function environmentWithEvents(ages: number[]) {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    await t.db.$transaction((tx) =>
      recordAuditEvents(
        tx,
        ages.map((age, index) => ({ environmentId: environment.id, source: "mcp" as const, actor: `user-${index}`, action: "tool.call", ts: new Date(NOW.getTime() - age * DAY) })),
      ),
    );
    return environment;
  }
  const remaining = (environmentId: string) =>
    t.db.auditEvent.findMany({ where: { environmentId, action: "tool.call" }, orderBy: { seq: "asc" }, select: { actor: true } }).then((rows) => rows.map((row) => row.actor));

  it("deletes events older than the period, records where the chain restarts, and what remains still verifies", async () => {
    const environment = await environmentWithEvents([100, 60, 40, 20, 5, 1]);
    const outcome = await applyAuditRetention(t.db, environment.id, 30, NOW);
    expect(outcome.deleted).toBe(3);
    expect(await remaining(environment.id)).toEqual(["user-3", "user-4", "user-5"]);
    const record = await t.db.auditEvent.findFirstOrThrow({ where: { action: "audit.retention_applied" } });
    expect(record).toMatchObject({ environmentId: environment.id, actorLabel: "retention schedule", details: { days: 30, deleted: 3, restarts: outcome.restarts } });
    expect(outcome.restarts).toEqual([{ chain: environment.id, seq: expect.any(String), prevHash: expect.any(String) }]);
    expect(await verifyAuditChain(t.db, environment.id)).toEqual({ ok: true, checked: 4 });

    // Deleting one more event by hand is still caught.
    await t.db.$executeRaw`DELETE FROM "AuditEvent" WHERE "actor" = 'user-3'`;
    expect((await verifyAuditChain(t.db, environment.id)).ok).toBe(false);
  });

  it("cuts every lane of the environment and records each restart, so all of them still verify", async () => {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    // 16 old batches, then 8 recent ones, each into a random free lane: the old
    // ones landing in a single lane would be a 1 in 10^9 chance.
    for (let batch = 0; batch < 24; batch++) {
      await withSqlTransaction(t.db, (sql) =>
        appendAuditEvents(
          sql,
          [0, 1].map((i) => ({ environmentId: environment.id, source: "mcp" as const, actor: `user-${batch}-${i}`, action: "tool.call", ts: new Date(NOW.getTime() - (batch < 16 ? 90 : 1) * DAY) })),
          { anyLane: true },
        ),
      );
    }
    const outcome = await applyAuditRetention(t.db, environment.id, 30, NOW);
    expect(outcome.restarts.length).toBeGreaterThan(1);
    expect(outcome.restarts.length).toBe(new Set(outcome.restarts.map((restart) => restart.chain)).size);
    expect(await verifyAuditChain(t.db, environment.id)).toMatchObject({ ok: true });
    // Only old events went (a lane keeps its newest one, however old), and every recent one stayed.
    const left = await t.db.auditEvent.findMany({ where: { environmentId: environment.id, action: "tool.call" }, select: { ts: true } });
    expect(outcome.deleted + left.length).toBe(48);
    expect(left.filter((event) => event.ts > outcome.cutoff)).toHaveLength(16);
    expect(left.length - 16).toBeLessThanOrEqual(chainsOf(environment.id).length);
  });

  it("always keeps the newest event, and does nothing when nothing is old enough", async () => {
    const environment = await environmentWithEvents([90, 80]);
    expect((await applyAuditRetention(t.db, environment.id, 30, NOW)).deleted).toBe(1);
    expect(await remaining(environment.id)).toEqual(["user-1"]);
    expect(await verifyAuditChain(t.db, environment.id)).toMatchObject({ ok: true });
    const again = await applyAuditRetention(t.db, environment.id, 365, NOW);
    expect(again.deleted).toBe(0);
    expect(await t.db.auditEvent.count({ where: { action: "audit.retention_applied" } })).toBe(1);
  });

  it("runs only for environments that set a period (off by default)", async () => {
    const environment = await environmentWithEvents([100, 1]);
    await t.db.environment.create({ data: { key: "dev", name: "Development" } });
    expect(await applyAllAuditRetention(t.db, NOW)).toEqual([]);
    await t.db.environment.update({ where: { id: environment.id }, data: { auditRetentionDays: 30 } });
    expect(await applyAllAuditRetention(t.db, NOW)).toEqual([{ environment: "prod", deleted: 1 }]);
  });

  it("audits a change of the period and refuses a stale one", async () => {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    const actor = { id: "00000000-0000-7000-8000-000000000001", email: "owner@example.com" };
    await setAuditRetention(t.db, actor, environment.id, { days: 90, expectedDays: null });
    expect((await t.db.environment.findUniqueOrThrow({ where: { id: environment.id } })).auditRetentionDays).toBe(90);
    expect(await t.db.auditEvent.findFirst({ where: { action: "audit.retention_changed" } })).toMatchObject({ actorLabel: "owner@example.com", details: { from: null, to: 90 } });
    await expect(setAuditRetention(t.db, actor, environment.id, { days: 30, expectedDays: null })).rejects.toBeInstanceOf(StaleWriteError);
    expect((await t.db.environment.findUniqueOrThrow({ where: { id: environment.id } })).auditRetentionDays).toBe(90);
  });
});

it("accepts 1 to 3650 whole days or null, with a clear message otherwise", () => {
  const message = (days: unknown) => RetentionSettingSchema.safeParse({ days, expectedDays: null }).error?.issues[0]?.message;
  expect(message(null)).toBeUndefined();
  expect(message(30)).toBeUndefined();
  expect(message(0)).toBe("Keep events for at least 1 day.");
  expect(message(3651)).toBe("Keep events for at most 3650 days (ten years).");
  expect(message(1.5)).toBe("Enter a whole number of days.");
});
