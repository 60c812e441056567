import "server-only";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { MigrationDirectory, MigrationList, SchemaFilter } from "@prisma/schema-engine-wasm";
import pg from "pg";
import { withSchemaEngine, type SchemaFile } from "./schema-engine";

// Migrations live in Prisma's own layout (prisma/migrations/<ts>_<name>/migration.sql
// plus migration_lock.toml) and are recorded in Prisma's _prisma_migrations
// table, so `prisma migrate deploy` stays a drop-in alternative wherever the
// native engine is available.

export const DEFAULT_MIGRATIONS_DIR = "prisma/migrations";
export const DEFAULT_SCHEMA_PATH = "prisma/schema.prisma";
export const MIGRATION_LOCK_FILE = "migration_lock.toml";
export const MIGRATION_LOCK_CONTENT = 'provider = "postgresql"\n';

/**
 * Key of the session advisory lock that serializes migration runs across
 * instances. It must differ from Prisma's own key (72707369): the engine takes
 * that one on its own pool connection, and would time out waiting for ours.
 */
export const MIGRATION_ADVISORY_LOCK_KEY = 5_861_770_220_351_001n;

const ENGINE_CONNECTIONS = 2;

/**
 * Connections one applyPendingMigrations call opens at most: the lock
 * connection plus the engine's pool. On the embedded database these count
 * against its connection limit alongside any pool the app already has open.
 */
export const MIGRATION_CONNECTIONS = 1 + ENGINE_CONNECTIONS;

const NO_FILTERS: SchemaFilter = { externalTables: [], externalEnums: [] };

export interface ApplyMigrationsOptions {
  /** Relative paths resolve against the working directory. */
  migrationsDir?: string;
  /** Size of the schema engine's pool; the embedded database needs 1 (see EMBEDDED_POOL_MAX). */
  engineConnections?: number;
  /**
   * How long to wait for another instance that is migrating the same
   * database, in ms; 0 waits indefinitely.
   */
  lockTimeoutMs?: number;
  /** Receives the schema engine's log lines. */
  log?: (line: string) => void;
}

export interface DiffOptions {
  /**
   * An empty scratch database on a real PostgreSQL (not PGlite: the engine's
   * describer panics on PGlite's catalog). The migration history is replayed
   * into it.
   */
  shadowUrl: string;
  migrationsDir?: string;
  /** A .prisma file, or a folder of them. */
  schemaPath?: string;
  log?: (line: string) => void;
}

// Advisory locks cannot tell apart two callers in one process when the
// database is the embedded PGlite, whose connections all share one session.
// Chaining per URL covers that case, and spares a real server a pointless wait.
const inProcessRuns = new Map<string, Promise<unknown>>();

/**
 * Applies every migration in the migrations folder that the database has not
 * recorded yet, and returns their names in order (empty when up to date).
 *
 * Safe to call from several instances at once: runs are serialized by a
 * PostgreSQL session advisory lock held on a dedicated connection.
 */
export async function applyPendingMigrations(
  url: string,
  options: ApplyMigrationsOptions = {},
): Promise<string[]> {
  const previous = inProcessRuns.get(url) ?? Promise.resolve();
  const run = previous.catch(() => {}).then(() => applyUnderLock(url, options));
  inProcessRuns.set(url, run);
  try {
    return await run;
  } finally {
    if (inProcessRuns.get(url) === run) inProcessRuns.delete(url);
  }
}

async function applyUnderLock(url: string, options: ApplyMigrationsOptions): Promise<string[]> {
  const migrationsList = await readMigrations(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR, {
    mustExist: true,
  });
  const lockTimeoutMs = options.lockTimeoutMs ?? 120_000;

  const lockClient = new pg.Client({ connectionString: url });
  // A server-side disconnect surfaces through the pending query instead.
  lockClient.on("error", () => {});
  await lockClient.connect();
  try {
    // lock_timeout also bounds waits for advisory locks.
    await lockClient.query(`SET lock_timeout = ${Math.max(0, Math.floor(lockTimeoutMs))}`);
    try {
      await lockClient.query("SELECT pg_advisory_lock($1)", [MIGRATION_ADVISORY_LOCK_KEY.toString()]);
    } catch (error) {
      if ((error as { code?: string }).code === "55P03") {
        throw new Error(
          `Timed out after ${lockTimeoutMs} ms waiting for another instance to finish applying migrations`,
          { cause: error },
        );
      }
      throw error;
    }
    // On the embedded database every connection shares this session, so the
    // setting would otherwise outlive the migration run.
    await lockClient.query("RESET lock_timeout");
    try {
      // The engine must be closed (its connections ended) before the lock is
      // released, because it never releases its own advisory lock.
      const engineOptions = { log: options.log, maxConnections: options.engineConnections ?? ENGINE_CONNECTIONS };
      const output = await withSchemaEngine(url, engineOptions, (engine) =>
        engine.applyMigrations({ migrationsList, filters: NO_FILTERS }),
      );
      return output.appliedMigrationNames;
    } finally {
      // Must not mask the migration's own error; ending the session below
      // releases the lock anyway.
      await lockClient
        .query("SELECT pg_advisory_unlock($1)", [MIGRATION_ADVISORY_LOCK_KEY.toString()])
        .catch(() => {});
    }
  } finally {
    // Closing the session also releases the lock if the unlock above failed.
    await lockClient.end().catch(() => {});
  }
}

/**
 * Returns the SQL of the migration that would bring the migration history up
 * to the Prisma schema, or "" when they already agree. Works with no
 * migrations at all (the result is then the full initial script).
 */
export async function diffSchemaAgainstMigrations(options: DiffOptions): Promise<string> {
  const migrationsList = await readMigrations(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR, {
    mustExist: false,
  });
  // Before the first migration there is no lock file yet, and the engine
  // learns the provider from it.
  migrationsList.lockfile.content ??= MIGRATION_LOCK_CONTENT;
  const files = await readSchemaFiles(options.schemaPath ?? DEFAULT_SCHEMA_PATH);

  // The engine's createMigration insists on a shadow database from an external
  // factory; diff from "migrations" replays the history into the engine's own
  // database instead, which is why that database must be a throwaway.
  const engineOptions = { datamodels: files, log: options.log };
  const result = await withSchemaEngine(options.shadowUrl, engineOptions, (engine) =>
    engine.diff({
      from: { tag: "migrations", ...migrationsList },
      to: { tag: "schemaDatamodel", files },
      script: true,
      // Makes exitCode 2 mean "there are changes"; the script for no changes
      // is a comment, not an empty string.
      exitCode: true,
      filters: NO_FILTERS,
    }),
  );
  if (result.exitCode !== 2) return "";
  return result.stdout ?? "";
}

/** Reads the migrations folder into the engine's input shape. */
export async function readMigrations(
  migrationsDir: string,
  { mustExist }: { mustExist: boolean },
): Promise<MigrationList> {
  const baseDir = path.resolve(migrationsDir);
  let entries: string[];
  try {
    entries = (await readdir(baseDir, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    if (mustExist) throw new Error(`No migrations folder at ${baseDir}`, { cause: error });
    entries = [];
  }

  const migrationDirectories: MigrationDirectory[] = await Promise.all(
    entries.map(async (name): Promise<MigrationDirectory> => {
      const file = path.join(baseDir, name, "migration.sql");
      try {
        return {
          path: name,
          migrationFile: { path: "migration.sql", content: { tag: "ok", value: await readFile(file, "utf8") } },
        };
      } catch (error) {
        // The engine reports a directory without a script as an error of its
        // own, naming the directory.
        return {
          path: name,
          migrationFile: { path: "migration.sql", content: { tag: "error", value: String(error) } },
        };
      }
    }),
  );

  const lockContent = await readFile(path.join(baseDir, MIGRATION_LOCK_FILE), "utf8").catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return null;
      throw error;
    },
  );

  return {
    baseDir,
    lockfile: { path: MIGRATION_LOCK_FILE, content: lockContent },
    shadowDbInitScript: "",
    migrationDirectories,
  };
}

/** Reads a .prisma file, or every .prisma file under a folder (multi-file schemas). */
export async function readSchemaFiles(schemaPath: string): Promise<SchemaFile[]> {
  const resolved = path.resolve(schemaPath);
  if (!(await stat(resolved)).isDirectory()) {
    return [{ path: resolved, content: await readFile(resolved, "utf8") }];
  }
  const names = (await readdir(resolved, { recursive: true }))
    .filter((name) => name.endsWith(".prisma"))
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(resolved, name);
      return { path: file, content: await readFile(file, "utf8") };
    }),
  );
}
