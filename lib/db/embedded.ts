import "server-only";
import { mkdir, open, readFile, unlink } from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

/**
 * How many client connections the embedded socket server accepts at once.
 *
 * pglite-socket sets this as `net.Server#maxConnections` and additionally
 * refuses handlers beyond it, so a connection over the limit is dropped
 * ("Server has closed the connection") instead of waiting. Every `pg` pool
 * pointed at the embedded database, summed, must stay at or below this.
 */
export const EMBEDDED_MAX_CONNECTIONS = 8;

/**
 * How many connections a client pool (Prisma, the schema engine) may open.
 * The socket server multiplexes every connection onto one PGlite session and
 * keeps a connection's messages together only inside a transaction: a plain
 * statement from one connection interleaved with another's was seen to fail
 * ("portal \"\" cannot be run"), and worse, to report success without its
 * row being written. PGlite runs one query at a time anyway, so a single
 * connection costs nothing.
 */
export const EMBEDDED_POOL_MAX = 1;

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "::1", "localhost"]);

export interface EmbeddedDatabaseOptions {
  /** Directory holding the database files; undefined keeps everything in memory. */
  dataDir?: string;
  /** Loopback address to listen on. */
  host?: string;
  /** TCP port; 0 lets the OS pick a free one. */
  port?: number;
  maxConnections?: number;
}

export interface EmbeddedDatabase {
  /** postgres:// URL usable by `pg`, `@prisma/adapter-pg` and the schema engine. */
  url: string;
  host: string;
  port: number;
  maxConnections: number;
  /** The size every client pool on this database must use; see EMBEDDED_POOL_MAX. */
  poolMax: number;
  /** Absolute data directory, or undefined for an in-memory database. */
  dataDir: string | undefined;
  /** Closes client connections, the listener and the database (flushing it to disk). Idempotent. */
  stop(): Promise<void>;
}

// Data directories opened by this process. A lock file naming our own pid is
// only "ours" if it is in here; otherwise it is left over from an earlier
// process that happened to have the same pid (typical for PID 1 in containers).
const openDataDirs = new Set<string>();

/**
 * Starts PGlite (PostgreSQL compiled to Wasm, in this process) and serves it
 * over the PostgreSQL wire protocol on a loopback port, so the app and the
 * migration tooling use one code path: a postgres:// URL.
 *
 * PGlite is a single session: every socket connection shares it, queries are
 * serialized, and session state (SET, advisory locks) is shared between
 * connections.
 */
export async function startEmbeddedDatabase(
  options: EmbeddedDatabaseOptions = {},
): Promise<EmbeddedDatabase> {
  const host = options.host ?? "127.0.0.1";
  // The socket server performs no authentication at all.
  if (!LOOPBACK_HOSTS.has(host)) {
    throw new Error(`The embedded database only listens on loopback addresses, not "${host}"`);
  }
  const maxConnections = options.maxConnections ?? EMBEDDED_MAX_CONNECTIONS;
  const dataDir = options.dataDir === undefined ? undefined : path.resolve(options.dataDir);

  const releaseLock = dataDir === undefined ? async () => {} : await lockDataDir(dataDir);
  let db: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  try {
    db = dataDir === undefined ? await PGlite.create() : await PGlite.create(dataDir);
    server = new PGLiteSocketServer({ db, host, port: options.port ?? 0, maxConnections });
    await server.start();
  } catch (error) {
    await server?.stop().catch(() => {});
    await db?.close().catch(() => {});
    await releaseLock();
    throw error;
  }

  // getServerConn() is "host:port" once listening; with port 0 the OS chose it.
  const conn = server.getServerConn();
  const port = Number(conn.slice(conn.lastIndexOf(":") + 1));
  const urlHost = host.includes(":") ? `[${host}]` : host;

  const runningServer = server;
  const runningDb = db;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      try {
        // Resolves once every client socket is closed; handlers roll back an
        // open transaction of theirs before closing their socket.
        await runningServer.stop();
        // A detach still in flight may touch the database on the next turn.
        await new Promise((resolve) => setImmediate(resolve));
        await runningDb.close();
      } finally {
        await releaseLock();
      }
    })();
    return stopping;
  };

  return {
    url: `postgres://postgres@${urlHost}:${port}/postgres`,
    host,
    port,
    maxConnections,
    poolMax: EMBEDDED_POOL_MAX,
    dataDir,
    stop,
  };
}

/**
 * PGlite does not guard its data directory, and two processes writing the same
 * files corrupt it (for example the app running while `npm run db:migrate` is
 * started against the same directory). A pid file next to the directory makes
 * the second one fail clearly instead.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true });
  const lockPath = `${dataDir}.lock`;

  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, "wx");
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      openDataDirs.add(dataDir);
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        openDataDirs.delete(dataDir);
        await unlink(lockPath).catch(() => {});
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }

    const holder = Number.parseInt(await readFile(lockPath, "utf8").catch(() => ""), 10);
    if (Number.isInteger(holder) && holder > 0 && isHeldBy(holder, dataDir)) {
      throw new Error(
        `The embedded database in ${dataDir} is in use by process ${holder}. ` +
          `Stop that process first (or delete ${lockPath} if no such process is using it).`,
      );
    }
    await unlink(lockPath).catch(() => {});
  }
  throw new Error(`Could not lock the embedded database directory ${dataDir}`);
}

function isHeldBy(pid: number, dataDir: string): boolean {
  if (pid === process.pid) return openDataDirs.has(dataDir);
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
