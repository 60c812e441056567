import { v7 as uuidv7 } from "uuid";
import { expect, it } from "vitest";
import type { AuditEvent } from "@/lib/db/generated/client.ts";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { auditEventHash, hashedFieldsOf } from "./hash";
import { autocommitSql, withSqlTransaction } from "@/lib/db/client";
import { appendAuditEvents, appendToFreeLane, chainsOf, DuplicateAuditEventError, GLOBAL_CHAIN, recordAuditEvents, type AuditEventInput } from "./record";
import { REDACTED } from "@/sdk/src/contract/redact";

const event = (action: string, extra: Partial<AuditEventInput> = {}): AuditEventInput => ({
  source: "admin",
  actor: "admin-1",
  actorLabel: "owner@example.com",
  action,
  ...extra,
});

/** What an auditor's verifier does: recompute every hash from the stored row and follow the links. */
function chainProblems(events: AuditEvent[]): string[] {
  const problems: string[] = [];
  let prevHash: string | null = null;
  for (const row of events) {
    if (row.prevHash !== prevHash) problems.push(`${row.action} #${row.seq}: prevHash does not point at its predecessor`);
    const recomputed = auditEventHash(row.prevHash, hashedFieldsOf(row));
    if (recomputed !== row.hash) problems.push(`${row.action} #${row.seq}: hash does not match its content`);
    prevHash = row.hash;
  }
  return problems;
}

describeEachDatabase("audit trail", (t) => {
  const chainEvents = (chain: string) => t.db.auditEvent.findMany({ where: { chain }, orderBy: { seq: "asc" } });
  const record = (inputs: AuditEventInput[]) => t.db.$transaction((tx) => recordAuditEvents(tx, inputs));
  const createEnvironment = (key: string) => t.db.environment.create({ data: { key, name: key } });

  it("links every event to the one before it, in one verifiable chain", async () => {
    await record([event("first")]);
    await record([event("second", { details: { role: "ADMIN", nested: { list: [1, "two", null], b: true, a: 1.5 } } }), event("third")]);
    await record([
      event("fourth", {
        id: uuidv7(),
        ts: new Date("2026-02-03T04:05:06.789Z"),
        clientId: "https://agent.example.com/client.json",
        server: "sales",
        tool: "lookup",
        decision: "deny",
        reason: "no grant",
        configVersion: 7,
        requestId: "req-1",
        ip: "2001:db8::1",
      }),
    ]);

    const events = await chainEvents(GLOBAL_CHAIN);
    expect(events.map((e) => e.action)).toEqual(["first", "second", "third", "fourth"]);
    expect(events[0]!.prevHash).toBeNull();
    expect(chainProblems(events)).toEqual([]);
    const head = await t.db.auditChainHead.findUniqueOrThrow({ where: { chain: GLOBAL_CHAIN } });
    expect(head.lastHash).toBe(events.at(-1)!.hash);
    expect(head.lastSeq).toBe(events.at(-1)!.seq);
  });

  it("exposes an edited event: its hash no longer matches", async () => {
    await record([event("granted", { details: { role: "VIEWER" } }), event("later")]);
    await t.db.$executeRaw`UPDATE "AuditEvent" SET "details" = '{"role":"OWNER"}' WHERE "action" = 'granted'`;

    expect(chainProblems(await chainEvents(GLOBAL_CHAIN))).toEqual([expect.stringMatching(/^granted .*hash does not match/)]);
  });

  it("keeps one chain per environment, and a global one for events without an environment", async () => {
    const dev = await createEnvironment("dev");
    const prod = await createEnvironment("prod");

    await record([event("g1"), event("d1", { environmentId: dev.id }), event("p1", { environmentId: prod.id })]);
    await record([event("p2", { environmentId: prod.id }), event("d2", { environmentId: dev.id })]);
    await record([event("g2", { environmentId: null })]);

    const chains = { [GLOBAL_CHAIN]: ["g1", "g2"], [dev.id]: ["d1", "d2"], [prod.id]: ["p1", "p2"] };
    for (const [chain, actions] of Object.entries(chains)) {
      const events = await chainEvents(chain);
      expect(events.map((e) => e.action)).toEqual(actions);
      expect(events[0]!.prevHash).toBeNull();
      expect(chainProblems(events)).toEqual([]);
    }
    expect((await chainEvents(dev.id)).every((e) => e.environmentId === dev.id)).toBe(true);
    expect(await t.db.auditChainHead.count()).toBe(3);
  });

  it("writes nothing, and leaves the chain head alone, when the transaction rolls back", async () => {
    await record([event("kept")]);
    const headBefore = await t.db.auditChainHead.findUniqueOrThrow({ where: { chain: GLOBAL_CHAIN } });
    const dev = await createEnvironment("dev");

    await expect(
      t.db.$transaction(async (tx) => {
        await recordAuditEvents(tx, [event("lost"), event("lost too", { environmentId: dev.id })]);
        throw new Error("the change this event describes failed");
      }),
    ).rejects.toThrow(/failed/);

    expect(await t.db.auditEvent.count()).toBe(1);
    expect(await t.db.auditChainHead.findUniqueOrThrow({ where: { chain: GLOBAL_CHAIN } })).toEqual(headBefore);
    expect(await t.db.auditChainHead.count({ where: { chain: dev.id } })).toBe(0);

    await record([event("next")]);
    const events = await chainEvents(GLOBAL_CHAIN);
    expect(events.map((e) => e.action)).toEqual(["kept", "next"]);
    expect(chainProblems(events)).toEqual([]);
  });

  it("keeps every chain unbroken under 20 concurrent writers", async () => {
    const dev = await createEnvironment("dev");

    // Half the writers name the environment first and half the global chain,
    // so a writer that locked chains in input order would deadlock.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const pair = [event(`global ${i}`), event(`dev ${i}`, { environmentId: dev.id })];
        return record(i % 2 ? pair : pair.reverse());
      }),
    );

    for (const chain of [GLOBAL_CHAIN, dev.id]) {
      const events = await chainEvents(chain);
      expect(events).toHaveLength(20);
      expect(chainProblems(events)).toEqual([]);
      const head = await t.db.auditChainHead.findUniqueOrThrow({ where: { chain } });
      expect(head.lastHash).toBe(events.at(-1)!.hash);
    }
  });

  it("spreads concurrent ingestion over an environment's lanes, each an unbroken chain", async () => {
    const prod = await createEnvironment("prod");
    // 16 batches that each take whichever lane is free (chosen at random): all in one lane would be a 1 in 10^9 chance.
    await Promise.all(
      Array.from({ length: 16 }, (_, batch) =>
        withSqlTransaction(t.db, (sql) =>
          appendAuditEvents(
            sql,
            Array.from({ length: 10 }, (_, i) => ({ ...event(`batch ${batch} #${i}`), source: "mcp" as const, environmentId: prod.id })),
            { anyLane: true },
          ),
        ),
      ),
    );
    const lanes = chainsOf(prod.id);
    const used = [];
    for (const chain of lanes) {
      const events = await chainEvents(chain);
      if (events.length === 0) continue;
      used.push(chain);
      expect(chainProblems(events)).toEqual([]);
      // A batch is contiguous within its lane.
      const batches = events.map((e) => e.action.split(" #")[0]);
      expect(batches.filter((name, i) => i % 10 !== 0 && name !== batches[i - 1])).toEqual([]);
      expect((await t.db.auditChainHead.findUniqueOrThrow({ where: { chain } })).lastHash).toBe(events.at(-1)!.hash);
    }
    expect(used.length).toBeGreaterThan(1);
    expect(await t.db.auditEvent.count({ where: { environmentId: prod.id, chain: { notIn: lanes } } })).toBe(0);
    expect(await t.db.auditEvent.count({ where: { environmentId: prod.id } })).toBe(160);
  });

  // Each identity stands for another instance of Warden: its own memory of the
  // lane heads, the same database. Admin transactions extend lane 0 meanwhile.
  it("keeps every lane unbroken when several instances ingest at once and admin changes land in between", async () => {
    const prod = await createEnvironment("prod");
    const instances = [{}, {}, {}];
    const ingest = (instance: object, batch: string) =>
      appendToFreeLane(
        instance,
        autocommitSql(t.db),
        (run) => withSqlTransaction(t.db, run),
        Array.from({ length: 5 }, (_, i) => ({ ...event(`${batch} #${i}`), source: "mcp" as const, environmentId: prod.id })),
      );
    const results = await Promise.all([
      ...instances.flatMap((instance, n) => Array.from({ length: 8 }, (_, batch) => ingest(instance, `instance ${n} batch ${batch}`))),
      ...Array.from({ length: 4 }, (_, i) => record([{ ...event(`admin change ${i}`), environmentId: prod.id }])),
    ]);
    expect(results.slice(0, 24).every((result) => result.inserted === 5)).toBe(true);

    const lanes = chainsOf(prod.id);
    let total = 0;
    const used = [];
    for (const chain of lanes) {
      const events = await chainEvents(chain);
      total += events.length;
      if (events.length) used.push(chain);
      expect(chainProblems(events)).toEqual([]);
      // A batch is contiguous within its lane, and the head names the last event and its seq.
      const batches = events.filter((e) => e.source === "mcp").map((e) => e.action.split(" #")[0]);
      expect(batches.filter((name, i) => i % 5 !== 0 && name !== batches[i - 1])).toEqual([]);
      const head = await t.db.auditChainHead.findUnique({ where: { chain } });
      if (events.length) expect({ lastHash: head?.lastHash, lastSeq: head?.lastSeq }).toEqual({ lastHash: events.at(-1)!.hash, lastSeq: events.at(-1)!.seq });
    }
    expect(used.length).toBeGreaterThan(1);
    expect(total).toBe(3 * 8 * 5 + 4);
    // Each instance writes on after its memory of the heads went stale.
    expect(await ingest(instances[0]!, "after")).toEqual({ inserted: 5 });
    for (const chain of lanes) expect(chainProblems(await chainEvents(chain))).toEqual([]);
  });

  it("writes nothing of a one-statement batch holding a stored id, and leaves its lane's head alone", async () => {
    const prod = await createEnvironment("prod");
    const instance = {};
    const write = (inputs: AuditEventInput[], skipExisting = false) =>
      appendToFreeLane(instance, autocommitSql(t.db), (run) => withSqlTransaction(t.db, run), inputs, { skipExisting });
    const stored = { ...event("first"), source: "mcp" as const, id: uuidv7(), environmentId: prod.id };
    await write([stored]);
    const heads = await t.db.auditChainHead.findMany({ orderBy: { chain: "asc" } });
    const batch = [{ ...event("second"), source: "mcp" as const, id: uuidv7(), environmentId: prod.id }, stored];
    await expect(write(batch)).rejects.toBeInstanceOf(DuplicateAuditEventError);
    expect(await t.db.auditEvent.count()).toBe(1);
    expect(await t.db.auditChainHead.findMany({ orderBy: { chain: "asc" } })).toEqual(heads);
    expect(await write(batch, true)).toEqual({ inserted: 1 });
    expect((await t.db.auditEvent.findMany({ orderBy: { seq: "asc" } })).map((e) => e.action)).toEqual(["first", "second"]);
  });

  it("refuses a batch with an id that is already stored, leaving nothing of it behind", async () => {
    const prod = await createEnvironment("prod");
    const stored = { ...event("first"), id: uuidv7(), environmentId: prod.id };
    await record([stored]);
    const batch = [{ ...event("second"), environmentId: prod.id }, stored];
    await expect(record(batch)).rejects.toBeInstanceOf(DuplicateAuditEventError);
    expect((await chainEvents(prod.id)).map((e) => e.action)).toEqual(["first"]);
    // Told to look first, the writer leaves the stored one out.
    expect(await t.db.$transaction((tx) => recordAuditEvents(tx, batch, { skipExisting: true }))).toEqual({ inserted: 1 });
    expect(chainProblems(await chainEvents(prod.id))).toEqual([]);
  });

  it("redacts secrets from details before they are stored and hashed", async () => {
    const apiKey = "wdn_prod_a1b2c3_S3cr3tS3cr3t";
    await record([
      event("client.updated", {
        details: {
          email: "owner@example.com",
          password: "hunter2hunter2",
          clientSecret: "s3cr3t",
          headers: { Authorization: "Bearer abc.def.ghi", accept: "application/json" },
          note: `rotated ${apiKey} for the sales server`,
          tokens: ["refresh-token-value"],
        },
      }),
    ]);

    const [stored] = await chainEvents(GLOBAL_CHAIN);
    expect(stored!.details).toEqual({
      email: "owner@example.com",
      password: REDACTED,
      clientSecret: REDACTED,
      headers: { Authorization: REDACTED, accept: "application/json" },
      note: `rotated ${REDACTED} for the sales server`,
      tokens: REDACTED,
    });
    const everything = await t.db.$queryRaw<{ row: string }[]>`SELECT row_to_json(e)::text AS row FROM "AuditEvent" e`;
    expect(everything[0]!.row).not.toMatch(/hunter2|s3cr3t|abc\.def|S3cr3tS3cr3t|refresh-token-value/);
    // The hash covers what was stored, so the redacted event still verifies.
    expect(chainProblems([stored!])).toEqual([]);
  });

  it("stores a large batch in order and exactly as given: nulls, quotes, unicode, nested details", async () => {
    const environment = await createEnvironment("prod");
    const inputs: AuditEventInput[] = Array.from({ length: 1_500 }, (_, i) =>
      i % 3 === 0
        ? event(`bare ${i}`, { environmentId: environment.id })
        : {
            id: uuidv7(),
            ts: new Date(Date.UTC(2026, 0, 1) + i),
            environmentId: environment.id,
            source: "mcp",
            actor: `user-${i}@example.com`,
            clientId: 'https://agent.example.com/{"quoted"},\\back',
            server: "sales",
            tool: "lookup",
            action: "tool.call",
            decision: i % 2 ? "allow" : "deny",
            reason: i % 5 ? "naïve 日本語 \"quoted\" {braces}, commas" : null,
            configVersion: i % 7 ? i : null,
            requestId: null,
            ip: "2001:db8::1",
            details: i % 4 ? { list: [1, "two", null, { deep: "é\n\t" }], NULL: "NULL", empty: "" } : null,
          },
    );
    await record(inputs);
    const stored = await chainEvents(environment.id);
    expect(stored.map((row) => row.action)).toEqual(inputs.map((input) => input.action));
    inputs.forEach((input, i) => {
      const row = stored[i]!;
      expect(row.details).toEqual(input.details ?? null);
      expect([row.reason, row.configVersion, row.clientId, row.decision, row.requestId]).toEqual([
        input.reason ?? null,
        input.configVersion ?? null,
        input.clientId ?? null,
        input.decision ?? null,
        input.requestId ?? null,
      ]);
      if (input.ts) expect(row.ts.toISOString()).toBe(input.ts.toISOString());
    });
    expect(chainProblems(stored)).toEqual([]);
  });
});
