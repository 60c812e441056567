// Applies pending migrations: `npm run db:migrate`.
//
// With DATABASE_URL set, to that PostgreSQL; otherwise to the embedded PGlite
// database under ./data/pglite (which must not be open in a running app at the
// same time; the app applies migrations itself at start-up).
import path from "node:path";
import { startEmbeddedDatabase } from "../lib/db/embedded";
import { applyPendingMigrations } from "../lib/db/migrate";

const EMBEDDED_DATA_DIR = path.join("data", "pglite");

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  let applied: string[];
  if (databaseUrl) {
    console.log(`Applying migrations to ${redact(databaseUrl)}`);
    applied = await applyPendingMigrations(databaseUrl);
  } else {
    console.log(`DATABASE_URL is not set; applying migrations to the embedded database in ./${EMBEDDED_DATA_DIR}`);
    const embedded = await startEmbeddedDatabase({ dataDir: EMBEDDED_DATA_DIR });
    try {
      applied = await applyPendingMigrations(embedded.url, { engineConnections: embedded.poolMax });
    } finally {
      await embedded.stop();
    }
  }

  if (applied.length === 0) {
    console.log("Already up to date; no migrations applied.");
  } else {
    console.log(`Applied ${applied.length} migration(s):`);
    for (const name of applied) console.log(`  ${name}`);
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(DATABASE_URL)";
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
