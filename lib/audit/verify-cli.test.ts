import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { recordAuditEvents } from "@/lib/audit/record";
import { createDb, type Db } from "@/lib/db/client";
import { applyPendingMigrations } from "@/lib/db/migrate";
import { createScratchDatabase, type ScratchDatabase } from "@/lib/db/testing";

const run = promisify(execFile);

// The command an auditor runs, as a real process against a real PostgreSQL.
let database: ScratchDatabase;
let db: Db;
beforeAll(async () => {
  database = await createScratchDatabase();
  await applyPendingMigrations(database.url);
  db = createDb(database.url, 2);
  const environment = await db.environment.create({ data: { key: "prod", name: "Production" } });
  await db.$transaction((tx) =>
    recordAuditEvents(tx, Array.from({ length: 5 }, (_, index) => ({ environmentId: environment.id, source: "mcp" as const, actor: `user-${index}`, action: "tool.call" }))),
  );
}, 60_000);
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

async function verify(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "scripts/audit-verify.ts", ...args], { env: { ...process.env, DATABASE_URL: database.url } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

it("exits 0 for an intact chain, 1 naming the first tampered event, 2 for bad arguments", async () => {
  expect(await verify("prod")).toMatchObject({ code: 0, stdout: expect.stringContaining("OK: 5 events of prod verified") });

  const [third] = await db.$queryRaw<{ id: string }[]>`SELECT "id"::text AS "id" FROM "AuditEvent" ORDER BY "seq" OFFSET 2 LIMIT 1`;
  await db.$executeRaw`UPDATE "AuditEvent" SET "actor" = 'someone-else' WHERE "id" = ${third!.id}::uuid`;
  const broken = await verify("prod");
  expect(broken.code).toBe(1);
  expect(broken.stderr).toContain(`First broken event: seq 3, id ${third!.id}`);
  expect(broken.stderr).toContain("changed after it was written");

  expect((await verify("nowhere")).code).toBe(2);
  expect((await verify("prod", "--from", "not a date")).stderr).toContain("--from is not a date");
}, 60_000);
