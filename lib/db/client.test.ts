import { afterAll, beforeAll, expect, it } from "vitest";
import { createDb, withSqlTransaction, type Db } from "./client";
import { applyPendingMigrations } from "./migrate";
import { startPartitionProxy } from "./partition-proxy";
import { createScratchDatabase, type ScratchDatabase } from "./testing";

// A connection that breaks while nobody is waiting on it (idle in the pool,
// or borrowed between two statements) must not take the process down: the
// data plane keeps serving config from memory through a database outage.
// The database is reached through a TCP proxy that stands in for a stopped
// one; the machine's PostgreSQL is never touched.

let scratch: ScratchDatabase;
let proxy: Awaited<ReturnType<typeof startPartitionProxy>>;
let db: Db;

beforeAll(async () => {
  scratch = await createScratchDatabase();
  await applyPendingMigrations(scratch.url);
  proxy = await startPartitionProxy(scratch.url);
  db = createDb(proxy.url, 2);
});

afterAll(async () => {
  await db?.$disconnect();
  await proxy?.close();
  await scratch?.drop();
});

it("survives connections dropped while idle or borrowed, and reconnects once the database is back", async () => {
  // One connection idle in the pool, another borrowed by a transaction that is between statements.
  await db.$queryRaw`SELECT 1`;
  let dropped!: () => void;
  const databaseGone = new Promise<void>((resolve) => (dropped = resolve));
  const transaction = withSqlTransaction(db, async (sql) => {
    await sql("SELECT 1");
    await databaseGone;
    return sql("SELECT 2");
  });

  await new Promise((resolve) => setTimeout(resolve, 100));
  proxy.cut();
  // Both sockets close and pg reports the broken connections as 'error' events.
  await new Promise((resolve) => setTimeout(resolve, 200));
  dropped();
  await expect(transaction).rejects.toThrow();
  await expect(db.$queryRaw`SELECT 1`).rejects.toThrow();

  proxy.heal();
  expect(await db.$queryRaw<{ ok: number }[]>`SELECT 1 AS ok`).toEqual([{ ok: 1 }]);
  expect(await withSqlTransaction(db, (sql) => sql<{ ok: number }>("SELECT 2 AS ok"))).toEqual([{ ok: 2 }]);
});
