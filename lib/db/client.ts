import { PrismaPg } from "@prisma/adapter-pg";
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

export function createDb(url: string, poolMax = Number(process.env.WARDEN_DB_POOL_MAX ?? 8)): Db {
  const adapter = new PrismaPg({ connectionString: url, max: poolMax });
  return new PrismaClient({ adapter });
}

/** Closes the process-wide client, for scripts and graceful shutdown. */
export async function disconnectDb(): Promise<void> {
  const held = globalStore[HOLDER];
  delete globalStore[HOLDER];
  await held?.client.$disconnect();
}
