import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { startEmbeddedDatabase } from "@/lib/db/embedded";
import {
  DEFAULT_MIGRATIONS_DIR,
  MIGRATION_ADVISORY_LOCK_KEY,
  applyPendingMigrations,
  diffSchemaAgainstMigrations,
} from "@/lib/db/migrate";
import { createScratchDatabase, type ScratchDatabase } from "@/lib/db/testing";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function scratch(): Promise<ScratchDatabase> {
  const db = await createScratchDatabase();
  cleanups.push(() => db.drop());
  return db;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function migrationNames(): Promise<string[]> {
  const entries = await readdir(DEFAULT_MIGRATIONS_DIR, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

async function appliedRows(url: string) {
  return query<{ migration_name: string; finished_at: Date | null; rolled_back_at: Date | null }>(
    url,
    `SELECT migration_name, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY migration_name`,
  );
}

async function migrationsFolder(migrations: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "warden-migrations-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, "migration_lock.toml"), 'provider = "postgresql"\n');
  for (const [name, sql] of Object.entries(migrations)) {
    await mkdir(path.join(dir, name));
    await writeFile(path.join(dir, name, "migration.sql"), sql);
  }
  return dir;
}

function withApplicationName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("application_name", name);
  return parsed.toString();
}

describe("migrations", () => {
  it("match prisma/schema.prisma (no drift)", async () => {
    const shadow = await scratch();
    const pending = await diffSchemaAgainstMigrations({ shadowUrl: shadow.url });
    expect(
      pending,
      "prisma/schema.prisma has changes that no migration contains. " +
        "Create one with `npm run db:migration:new -- <name>` and commit it. Missing SQL:\n" +
        pending,
    ).toBe("");
  });

  it("apply everything to a fresh PostgreSQL database, then nothing on a second run", async () => {
    const db = await scratch();
    const expected = await migrationNames();
    expect(expected.length).toBeGreaterThan(0);

    expect(await applyPendingMigrations(db.url)).toEqual(expected);
    expect(await applyPendingMigrations(db.url)).toEqual([]);

    const rows = await appliedRows(db.url);
    expect(rows.map((row) => row.migration_name)).toEqual(expected);
    expect(rows.every((row) => row.finished_at !== null && row.rolled_back_at === null)).toBe(true);
    const tables = await query<{ table_name: string }>(
      db.url,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(["Admin", "Tool", "AuditEvent"]));
  });

  it("apply once when two instances start at the same time", async () => {
    const db = await scratch();
    const expected = await migrationNames();

    // Distinct URLs, so the in-process queue does not serialize the two calls
    // and the database advisory lock is what keeps them apart, as it is for
    // separate instances.
    const results = await Promise.all([
      applyPendingMigrations(withApplicationName(db.url, "instance-a")),
      applyPendingMigrations(withApplicationName(db.url, "instance-b")),
    ]);

    expect([...results[0], ...results[1]].sort()).toEqual(expected);
    expect(results.some((applied) => applied.length === 0)).toBe(true);
    const rows = await appliedRows(db.url);
    expect(rows.map((row) => row.migration_name)).toEqual(expected);
  });

  it("give up with a clear error when another instance holds the lock too long", async () => {
    const db = await scratch();
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    cleanups.push(() => holder.end());
    await holder.query("SELECT pg_advisory_lock($1)", [MIGRATION_ADVISORY_LOCK_KEY.toString()]);

    await expect(applyPendingMigrations(db.url, { lockTimeoutMs: 300 })).rejects.toThrow(
      /waiting for another instance/,
    );
    const tables = await query(db.url, `SELECT 1 FROM pg_tables WHERE tablename = '_prisma_migrations'`);
    expect(tables).toHaveLength(0);
  });

  it("run each migration script whole and atomically", async () => {
    const db = await scratch();
    const migrationsDir = await migrationsFolder({
      "1_literal": `CREATE TABLE "Note" ("body" TEXT NOT NULL DEFAULT 'a;b');\nCREATE TABLE "Other" ("id" INT);\n`,
      "2_broken": `CREATE TABLE "Half" ("id" INT);\nCREATE TABLE "Broken" (;\n`,
    });

    await expect(applyPendingMigrations(db.url, { migrationsDir })).rejects.toThrow(/2_broken/);

    const tables = await query<{ tablename: string }>(
      db.url,
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
    );
    // "Half" would exist if statements were sent one by one.
    expect(tables.map((t) => t.tablename)).toEqual(["Note", "Other", "_prisma_migrations"]);
    const [note] = await query<{ body: string }>(db.url, `INSERT INTO "Note" DEFAULT VALUES RETURNING body`);
    expect(note?.body).toBe("a;b");
  });

  it("apply to the embedded in-memory PGlite database", async () => {
    const embedded = await startEmbeddedDatabase();
    cleanups.push(() => embedded.stop());
    const expected = await migrationNames();

    expect(await applyPendingMigrations(embedded.url, { engineConnections: embedded.poolMax })).toEqual(expected);
    expect(await applyPendingMigrations(embedded.url, { engineConnections: embedded.poolMax })).toEqual([]);

    const tables = await query<{ table_name: string }>(
      embedded.url,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(["_prisma_migrations", "Admin", "Environment", "Tool", "AuditEvent"]),
    );
    // The schema is usable, not just present: defaults and enums work.
    const [environment] = await query<{ key: string; position: number }>(
      embedded.url,
      `INSERT INTO "Environment" (id, key, name) VALUES (gen_random_uuid(), 'dev', 'Development') RETURNING key, position`,
    );
    expect(environment).toEqual({ key: "dev", position: 0 });
  });
});
