import { expect, it } from "vitest";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { withSqlTransaction } from "@/lib/db/client";
import { appendAuditEvents, recordAuditEvents } from "./record";
import { verifyAuditChain } from "./verify";

describeEachDatabase("audit chain verification", (t) => {
  async function chainOf(count: number) {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    const base = Date.parse("2026-11-01T00:00:00Z");
    await t.db.$transaction((tx) =>
      recordAuditEvents(
        tx,
        Array.from({ length: count }, (_, index) => ({
          environmentId: environment.id,
          source: "mcp" as const,
          actor: `user-${index}`,
          action: "tool.call",
          tool: "get_invoice",
          decision: "allow" as const,
          ts: new Date(base + index * 60_000),
          details: { n: index },
        })),
      ),
    );
    const rows = await t.db.auditEvent.findMany({ where: { environmentId: environment.id }, orderBy: { seq: "asc" } });
    return { environment, rows, base };
  }

  it("passes an untouched chain, whole or over a time range", async () => {
    const { environment, base } = await chainOf(12);
    expect(await verifyAuditChain(t.db, environment.id)).toEqual({ ok: true, checked: 12 });
    expect(await verifyAuditChain(t.db, environment.id, { from: new Date(base + 3 * 60_000), to: new Date(base + 6 * 60_000) })).toEqual({ ok: true, checked: 4 });
    expect(await verifyAuditChain(t.db, environment.id, { from: new Date(base + 60 * 60_000) })).toEqual({ ok: true, checked: 0 });
  });

  it("points at a row edited directly in the database", async () => {
    const { environment, rows } = await chainOf(10);
    const victim = rows[6]!;
    await t.db.$executeRaw`UPDATE "AuditEvent" SET "decision" = 'deny' WHERE "id" = ${victim.id}::uuid`;
    const result = await verifyAuditChain(t.db, environment.id);
    expect(result).toMatchObject({ ok: false, checked: 6, broken: { id: victim.id, seq: victim.seq.toString() } });
    expect(!result.ok && result.broken.problem).toMatch(/changed after it was written/);
    // A range that starts after the edit still verifies; one that covers it does not.
    expect((await verifyAuditChain(t.db, environment.id, { from: rows[7]!.ts })).ok).toBe(true);
    expect((await verifyAuditChain(t.db, environment.id, { from: rows[5]!.ts, to: rows[8]!.ts })).ok).toBe(false);
  });

  it("points at the event after a deleted one, even when the attacker re-hashed the row itself", async () => {
    const { environment, rows } = await chainOf(8);
    await t.db.$executeRaw`DELETE FROM "AuditEvent" WHERE "id" = ${rows[3]!.id}::uuid`;
    const result = await verifyAuditChain(t.db, environment.id);
    expect(result).toMatchObject({ ok: false, checked: 3, broken: { id: rows[4]!.id } });
    expect(!result.ok && result.broken.problem).toMatch(/link to the previous event is broken/);
  });

  it("refuses a chain whose first events were deleted without a recorded restart", async () => {
    const { environment, rows } = await chainOf(5);
    await t.db.$executeRaw`DELETE FROM "AuditEvent" WHERE "seq" < ${rows[2]!.seq}`;
    expect(await verifyAuditChain(t.db, environment.id)).toMatchObject({ ok: false, checked: 0, broken: { id: rows[2]!.id } });
  });

  it("checks every lane of an environment, and points at a row edited in any of them", async () => {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    // 16 batches into random free lanes: all of them in the first lane would be a 1 in 10^9 chance.
    for (let batch = 0; batch < 16; batch++) {
      await withSqlTransaction(t.db, (sql) =>
        appendAuditEvents(sql, [0, 1, 2].map((i) => ({ environmentId: environment.id, source: "mcp" as const, actor: `user-${batch}-${i}`, action: "tool.call" })), { anyLane: true }),
      );
    }
    expect(await verifyAuditChain(t.db, environment.id)).toEqual({ ok: true, checked: 48 });
    const victim = await t.db.auditEvent.findFirstOrThrow({ where: { environmentId: environment.id, chain: { not: environment.id } }, orderBy: { seq: "desc" } });
    await t.db.$executeRaw`UPDATE "AuditEvent" SET "actor" = 'someone-else' WHERE "id" = ${victim.id}::uuid`;
    expect(await verifyAuditChain(t.db, environment.id)).toMatchObject({ ok: false, broken: { id: victim.id } });
    // Moving a row into another lane breaks the links of both.
    await t.db.$executeRaw`UPDATE "AuditEvent" SET "actor" = ${victim.actor}, "chain" = ${environment.id} WHERE "id" = ${victim.id}::uuid`;
    expect((await verifyAuditChain(t.db, environment.id)).ok).toBe(false);
  });

  it("verifies an event whose producer sent its id in upper case", async () => {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    await t.db.$transaction((tx) =>
      recordAuditEvents(tx, [{ id: "0193C5E4-AAAA-7BBB-8CCC-0123456789AB", environmentId: environment.id, source: "mcp", actor: "alice", action: "tool.call" }]),
    );
    expect(await verifyAuditChain(t.db, environment.id)).toEqual({ ok: true, checked: 1 });
  });
});
