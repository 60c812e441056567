import { v7 as uuidv7 } from "uuid";
import { expect, it } from "vitest";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { storeAuditEvents, type IndexedEvent } from "./ingest";
import type { AuditEventInput } from "./record";
import { verifyAuditChain } from "./verify";

// Validation stops every value below before it gets here. These tests hand
// them to the writer beneath it directly, as a kind of value nobody foresaw
// would arrive: each is refused by the database itself (PostgreSQL, or
// PGlite), not by a stand-in.
describeEachDatabase("storing audit events the database refuses", (t) => {
  async function environment() {
    return t.db.environment.create({ data: { key: "prod", name: "Production" } });
  }

  const eventIn = (environmentId: string, overrides: Partial<AuditEventInput> = {}): AuditEventInput => ({
    id: uuidv7(),
    ts: new Date(),
    environmentId,
    source: "mcp",
    actor: "alice@example.com",
    server: "sales",
    tool: "get_invoice",
    action: "tool.call",
    decision: "allow",
    configVersion: 3,
    details: { arguments: { invoiceId: "INV-1" } },
    ...overrides,
  });

  it("isolates the events the database refuses: the good ones are stored once, each refused one is reported with its index", async () => {
    const { id: environmentId } = await environment();
    const refusedByDatabase: Partial<AuditEventInput>[] = [
      { actor: "alice\u0000" }, // text cannot hold U+0000
      { configVersion: 2 ** 31 }, // above integer
      { ts: new Date("0000-01-01T00:00:00Z") }, // PostgreSQL has no year 0
      { reason: "denied \ud800" }, // a lone surrogate is not valid JSON text for PostgreSQL
    ];
    const batch: IndexedEvent[] = [];
    const good: string[] = [];
    // Good events around and between the bad ones, at the odd indexes.
    for (let index = 0; index < 9; index++) {
      const event = index % 2 === 1 ? eventIn(environmentId, refusedByDatabase[(index - 1) / 2]) : eventIn(environmentId);
      if (index % 2 === 0) good.push(event.id!);
      batch.push({ index: index * 10, event });
    }

    const result = await storeAuditEvents(t.db, batch);
    expect(result.inserted).toBe(5);
    expect(result.refused.sort((a, b) => a.index - b.index)).toEqual([10, 30, 50, 70].map((index) => ({ index, reason: "the database refused this event" })));
    const stored = await t.db.auditEvent.findMany({ where: { source: "mcp" }, select: { id: true } });
    expect(stored.map((row) => row.id).sort()).toEqual([...good].sort());
    // The lanes that took the pieces still verify: a refused event left no hole.
    expect(await verifyAuditChain(t.db, environmentId)).toMatchObject({ ok: true, checked: 5 });

    // Sent again, after splitting the same way: the good events are already stored (nothing twice), the bad ones refused again.
    const again = await storeAuditEvents(t.db, batch);
    expect(again.inserted).toBe(0);
    expect(again.refused).toHaveLength(4);
  });
});
