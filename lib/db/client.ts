import "server-only";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "./generated/client.ts";

export type Db = InstanceType<typeof PrismaClient>;
/** The client handed to a `$transaction` callback. */
export type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

type DbHolder = { client: Db; url: string };
const HOLDER = Symbol.for("warden.db");
const globalStore = globalThis as unknown as { [HOLDER]?: DbHolder };

/**
 * The one Prisma client of this process. server.ts and the Next.js bundle load
 * this module separately, so the client lives on globalThis: both then share a
 * single pool, which must stay within the embedded database's connection cap.
 */
export function getDb(): Db {
  const url = process.env.DATABASE_URL;
  if (!url) {
    throw new Error(
      "DATABASE_URL is not set. Start Warden with `npm start` (embedded database) or set DATABASE_URL to a PostgreSQL URL.",
    );
  }
  const held = globalStore[HOLDER];
  if (held && held.url === url) return held.client;
  const client = createDb(url);
  globalStore[HOLDER] = { client, url };
  return client;
}

// On globalThis for the same reason as the client: the module instance that
// made a client may not be the one asked for its pool.
const POOLS = Symbol.for("warden.db.pools");
const globalPools = globalThis as unknown as { [POOLS]?: WeakMap<Db, pg.Pool> };
const pools = (globalPools[POOLS] ??= new WeakMap<Db, pg.Pool>());

export function createDb(url: string, poolMax = Number(process.env.WARDEN_DB_POOL_MAX ?? 8)): Db {
  // The pool is ours, so hot paths can borrow its connections (withSqlTransaction);
  // Prisma still closes it on $disconnect.
  // A connection attempt to an unreachable host gives up after 5 s instead of
  // hanging (pg's default), so callers can answer 503 and serve from memory.
  const pool = new pg.Pool({ connectionString: url, max: poolMax, connectionTimeoutMillis: 5_000 });
  // A connection that breaks while no statement is waiting on it (idle in the
  // pool, or borrowed between two statements) is reported as an 'error' event,
  // and an unheard one ends the process. The pool drops an idle one by itself,
  // and a borrowed one fails its next statement; either way the caller answers
  // 503 and the next connection is opened afresh.
  pool.on("error", () => {});
  pool.on("connect", (connection) => connection.on("error", () => {}));
  const client = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(client, pool);
  return client;
}

function poolOf(db: Db): pg.Pool {
  const pool = pools.get(db);
  if (!pool) throw new Error("This database client was not made by createDb.");
  return pool;
}

/** Runs SQL text with positional parameters and returns the rows. */
export type Sql = <Row = Record<string, unknown>>(text: string, values?: unknown[]) => Promise<Row[]>;

/**
 * A transaction on one of the client's own connections, without Prisma's
 * per-query work in between: for audit ingestion, where a batch of a
 * thousand events is a few large statements and that work showed up as a
 * large share of the CPU. Everything else goes through Prisma.
 */
export async function withSqlTransaction<T>(db: Db, run: (sql: Sql) => Promise<T>, options: { statementTimeoutMs?: number } = {}): Promise<T> {
  const connection = await poolOf(db).connect();
  const sql: Sql = async <Row,>(text: string, values: unknown[] = []) => (await connection.query(text, values)).rows as Row[];
  let broken = false;
  try {
    await connection.query(`BEGIN; SET LOCAL statement_timeout = ${Math.round(options.statementTimeoutMs ?? 30_000)}`);
    const result = await run(sql);
    await connection.query("COMMIT");
    return result;
  } catch (error) {
    await connection.query("ROLLBACK").catch(() => (broken = true));
    throw error;
  } finally {
    // A connection that could not even roll back is dropped, not handed out again.
    connection.release(broken);
  }
}

/**
 * Statements on any of the client's connections, each committed on its own:
 * for a write that is a single statement (audit ingestion's), where BEGIN and
 * COMMIT would be two more round trips.
 */
export function autocommitSql(db: Db): Sql {
  const pool = poolOf(db);
  return async <Row,>(text: string, values: unknown[] = []) => (await pool.query(text, values)).rows as Row[];
}

/**
 * One statement on any of the client's connections, each row an array of
 * column values: for bulk reads (the audit export) that would spend most of
 * their time in Prisma turning rows into objects.
 */
export async function queryRowArrays(db: Db, text: string, values: unknown[] = []): Promise<unknown[][]> {
  return (await poolOf(db).query({ text, values, rowMode: "array" })).rows as unknown[][];
}

/** Closes the process-wide client, for scripts and graceful shutdown. */
export async function disconnectDb(): Promise<void> {
  const held = globalStore[HOLDER];
  delete globalStore[HOLDER];
  await held?.client.$disconnect();
}
