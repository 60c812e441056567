import { createDb, type Db } from "@/lib/db/client";
import { startEmbeddedDatabase } from "@/lib/db/embedded";
import { applyPendingMigrations } from "@/lib/db/migrate";
import { createScratchDatabase } from "@/lib/db/testing";

/**
 * The database an audit benchmark runs on: a scratch database on the real
 * PostgreSQL (TEST_DATABASE_ADMIN_URL, default postgres@127.0.0.1:5432),
 * dropped at the end, or the embedded PGlite with `--pglite`. Migrated.
 */
export async function openBenchDatabase(options: { pglite: boolean; poolMax?: number }): Promise<{ url: string; poolMax: number; db: Db; label: string; close(): Promise<void> }> {
  if (options.pglite) {
    const embedded = await startEmbeddedDatabase({});
    await applyPendingMigrations(embedded.url, { engineConnections: embedded.poolMax });
    const db = createDb(embedded.url, embedded.poolMax);
    return {
      url: embedded.url,
      poolMax: embedded.poolMax,
      db,
      label: "embedded PGlite (in memory)",
      async close() {
        await db.$disconnect();
        await embedded.stop();
      },
    };
  }
  const scratch = await createScratchDatabase();
  // The benchmark dies with the scratch database dropped, even on Ctrl-C.
  const dropOnSignal = () => void scratch.drop().finally(() => process.exit(130));
  process.once("SIGINT", dropOnSignal);
  process.once("SIGTERM", dropOnSignal);
  try {
    await applyPendingMigrations(scratch.url, { engineConnections: 2 });
  } catch (error) {
    await scratch.drop();
    throw error;
  }
  const poolMax = options.poolMax ?? 8;
  const db = createDb(scratch.url, poolMax);
  return {
    url: scratch.url,
    poolMax,
    db,
    label: `PostgreSQL, scratch database ${scratch.name}`,
    async close() {
      await db.$disconnect();
      await scratch.drop();
    },
  };
}

/** A stable pseudo-random sequence (mulberry32), so every run fills the same data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export const fmt = (n: number, digits = 0) => n.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits });
