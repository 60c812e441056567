import "server-only";
import { afterAll, beforeAll, beforeEach, describe } from "vitest";
import { createDb, type Db } from "./client";
import { startEmbeddedDatabase } from "./embedded";
import { applyPendingMigrations } from "./migrate";
import { createScratchDatabase } from "./testing";

/** The two databases Warden runs on; domain tests run against both. */
export const DATABASE_BACKENDS = ["postgresql", "pglite"] as const;
export type DatabaseBackend = (typeof DATABASE_BACKENDS)[number];

export interface TestDatabase {
  readonly backend: DatabaseBackend;
  /** A client on the migrated database; usable in tests and hooks inside the block. */
  readonly db: Db;
  /** Empties every table but the migration history; runs before each test anyway. */
  reset(): Promise<void>;
}

// Room for the concurrency tests to hold several transactions open at once.
const POSTGRES_POOL_MAX = 10;

/**
 * Runs `body` once per backend, each time against a freshly migrated database
 * of its own: a throwaway database on the real PostgreSQL, and an in-memory
 * PGlite. Every test starts with empty tables.
 */
export function describeEachDatabase(name: string, body: (database: TestDatabase) => void): void {
  for (const backend of DATABASE_BACKENDS) {
    describe(`${name} [${backend}]`, () => {
      let client: Db | undefined;
      let release: (() => Promise<void>) | undefined;
      let truncateSql = "";

      const database: TestDatabase = {
        backend,
        get db() {
          if (!client) throw new Error("The test database is only available inside tests and hooks.");
          return client;
        },
        async reset() {
          if (truncateSql) await database.db.$executeRawUnsafe(truncateSql);
        },
      };

      beforeAll(async () => {
        const opened = await openDatabase(backend);
        release = opened.release;
        await applyPendingMigrations(opened.url, { engineConnections: opened.poolMax });
        client = createDb(opened.url, opened.poolMax);
        const tables = await client.$queryRaw<{ tablename: string }[]>`
          SELECT tablename FROM pg_tables
          WHERE schemaname = current_schema() AND tablename <> '_prisma_migrations'`;
        // RESTART IDENTITY keeps audit sequence numbers comparable between tests.
        truncateSql = tables.length
          ? `TRUNCATE ${tables.map((t) => `"${t.tablename}"`).join(", ")} RESTART IDENTITY CASCADE`
          : "";
      });

      afterAll(async () => {
        await client?.$disconnect();
        client = undefined;
        await release?.();
      });

      beforeEach(() => database.reset());

      body(database);
    });
  }
}

async function openDatabase(backend: DatabaseBackend) {
  if (backend === "postgresql") {
    const scratch = await createScratchDatabase();
    return { url: scratch.url, poolMax: POSTGRES_POOL_MAX, release: () => scratch.drop() };
  }
  const embedded = await startEmbeddedDatabase({});
  return { url: embedded.url, poolMax: embedded.poolMax, release: () => embedded.stop() };
}
