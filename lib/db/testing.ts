import "server-only";
import { randomBytes } from "node:crypto";
import pg from "pg";

/** Where throwaway databases are created unless TEST_DATABASE_ADMIN_URL says otherwise. */
export const DEFAULT_TEST_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";

export interface ScratchDatabase {
  /** Connection URL of the new, empty database. */
  url: string;
  name: string;
  /** Drops the database, disconnecting anyone still connected. Idempotent. */
  drop(): Promise<void>;
}

/**
 * Creates an empty database with a random name (`warden_test_<hex>`) on a real
 * PostgreSQL, for a test or a one-off tool to use and then drop.
 */
export async function createScratchDatabase(
  adminUrl: string = process.env.TEST_DATABASE_ADMIN_URL ?? DEFAULT_TEST_ADMIN_URL,
): Promise<ScratchDatabase> {
  const name = `warden_test_${randomBytes(6).toString("hex")}`;
  await withAdminClient(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));

  const url = new URL(adminUrl);
  url.pathname = `/${name}`;

  let dropping: Promise<void> | undefined;
  return {
    url: url.toString(),
    name,
    drop() {
      // FORCE (PostgreSQL 13+) terminates sessions a test forgot to close,
      // which would otherwise make the drop fail.
      dropping ??= withAdminClient(adminUrl, async (client) => {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      }).catch((error: unknown) => {
        dropping = undefined;
        throw error;
      });
      return dropping;
    },
  };
}

async function withAdminClient<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on("error", () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}
