import "server-only";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import type { SchemaEngine } from "@prisma/schema-engine-wasm";
import * as engineBindings from "@prisma/schema-engine-wasm/schema_engine_bg";
import pg from "pg";

// Prisma's schema engine (migrations, diffing) compiled to Wasm and driven
// through a driver adapter. The native engine binary is a download that is not
// always possible; this runs anywhere Node runs, over any postgres:// URL
// (a real PostgreSQL or the embedded PGlite socket).

export type { SchemaEngine } from "@prisma/schema-engine-wasm";

/** One Prisma schema file, as the engine wants it. */
export interface SchemaFile {
  path: string;
  content: string;
}

export interface OpenSchemaEngineOptions {
  /** Prisma schema files the engine starts with; applying migrations needs none. */
  datamodels?: SchemaFile[];
  /**
   * Size of the engine's connection pool. Keep it small: on the embedded
   * database every connection counts against the socket server's limit.
   */
  maxConnections?: number;
  /** Receives the engine's log lines (JSON strings). */
  log?: (line: string) => void;
}

export interface OpenSchemaEngine {
  engine: SchemaEngine;
  /** Frees the engine and closes every connection it opened. Idempotent. */
  close(): Promise<void>;
}

interface PanicRegistry {
  set_message(message: string): void;
}

declare global {
  // Read by the Wasm bindings when the engine panics.
  var PRISMA_WASM_PANIC_REGISTRY: PanicRegistry | undefined;
}

// The bindings module keeps the instance in a module-level variable, so the
// Wasm is instantiated once per process and shared by every engine.
let wasmReady: Promise<void> | undefined;
let lastPanicMessage: string | undefined;

function loadEngineWasm(): Promise<void> {
  wasmReady ??= (async () => {
    // Without a registry a panic only surfaces as "unreachable executed".
    globalThis.PRISMA_WASM_PANIC_REGISTRY = {
      set_message(message: string) {
        lastPanicMessage = message;
      },
    };
    // Node 20 cannot import .wasm modules, so instantiate the file by hand
    // with the JS glue as its import object, as the package's own entry
    // point would under a bundler.
    const require = createRequire(import.meta.url);
    const gluePath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const bytes = await readFile(path.join(path.dirname(gluePath), "schema_engine_bg.wasm"));
    const imports: Record<string, unknown> = { ...engineBindings };
    for (const name of Object.keys(imports)) {
      if (name.startsWith("__wbg_setTimeout_")) imports[name] = trackedSetTimeout;
    }
    const { instance } = await wasmRuntime().instantiate(bytes, { "./schema_engine_bg.js": imports });
    engineBindings.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
  })().catch((error: unknown) => {
    wasmReady = undefined;
    throw error;
  });
  return wasmReady;
}

// The global WebAssembly object, typed here because its declarations come
// from the DOM lib, which a server-only compilation need not include.
interface WasmRuntime {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, Record<string, unknown>>,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
}

function wasmRuntime(): WasmRuntime {
  return (globalThis as unknown as { WebAssembly: WasmRuntime }).WebAssembly;
}

// The engine arms timers (for example a 10 s timeout around its advisory
// lock) and never clears them, which keeps a finished script alive until they
// fire. Timers still pending when the last engine closes serve nothing, so
// they are cleared then.
const pendingTimers = new Set<NodeJS.Timeout>();
let openEngines = 0;

function trackedSetTimeout(callback: () => void, ms: number): NodeJS.Timeout {
  const timer = setTimeout(() => {
    pendingTimers.delete(timer);
    callback();
  }, ms >>> 0);
  pendingTimers.add(timer);
  return timer;
}

function clearTimersIfIdle(): void {
  if (openEngines > 0) return;
  for (const timer of pendingTimers) clearTimeout(timer);
  pendingTimers.clear();
}

/** The version string of the Wasm schema engine. */
export async function schemaEngineVersion(): Promise<string> {
  await loadEngineWasm();
  return engineBindings.version();
}

// PostgreSQL's internal single-byte type "char" (OID 18) appears in the
// catalog columns the engine's introspection selects, and @prisma/adapter-pg
// refuses to map it ("Column type 'char' could not be deserialized"). Its
// values arrive as strings anyway, so reporting the column as text (OID 25)
// is exact. This lives in a Client subclass used only by the engine's pool,
// so the application's own connections are untouched.
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

function relabelCharColumns<T>(result: T): T {
  for (const single of Array.isArray(result) ? result : [result]) {
    const fields = (single as { fields?: Array<{ dataTypeID: number }> } | null)?.fields;
    if (!Array.isArray(fields)) continue;
    for (const field of fields) {
      if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
    }
  }
  return result;
}

type QueryCallback = (error: Error | null, result?: unknown) => void;

function relabelingCallback(callback: QueryCallback): QueryCallback {
  return (error, result) => callback(error, error ? result : relabelCharColumns(result));
}

class MigrationClient extends pg.Client {}

const baseQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown;
// Replacing the method (rather than overriding it in the class body) avoids
// restating pg's many query() overloads; the behaviour is the same.
MigrationClient.prototype.query = function query(this: pg.Client, ...args: unknown[]) {
  const [config, values, callback] = args;
  // Submittables (cursors, streams) deliver rows their own way.
  if (typeof (config as { submit?: unknown } | null)?.submit === "function") {
    return baseQuery.apply(this, args);
  }
  // pg-pool's Pool#query uses the callback form.
  if (typeof values === "function") {
    return baseQuery.call(this, config, relabelingCallback(values as QueryCallback));
  }
  if (typeof callback === "function") {
    return baseQuery.call(this, config, values, relabelingCallback(callback as QueryCallback));
  }
  const configCallback = (config as { callback?: unknown } | null)?.callback;
  if (typeof configCallback === "function") {
    const wrapped = { ...(config as object), callback: relabelingCallback(configCallback as QueryCallback) };
    return baseQuery.call(this, wrapped, values);
  }
  return (baseQuery.apply(this, args) as Promise<unknown>).then(relabelCharColumns);
} as typeof pg.Client.prototype.query;

// @prisma/adapter-pg runs a migration script by splitting it on every ";" and
// sending the pieces one by one. That breaks on a semicolon inside a string
// literal or function body, and a failure halfway leaves the database half
// migrated. Sending the script whole, as the native engine does, fixes both:
// a parameterless query goes over the simple query protocol, which accepts
// several statements and runs them in one implicit transaction.
interface ScriptRunner {
  executeScript(script: string): Promise<void>;
  executeRaw(query: { sql: string; args: unknown[]; argTypes: never[] }): Promise<number>;
}

function runScriptsWhole<A extends ScriptRunner>(adapter: A): A {
  adapter.executeScript = async (script) => {
    await adapter.executeRaw({ sql: script, args: [], argTypes: [] });
  };
  return adapter;
}

class MigrationAdapterFactory extends PrismaPg {
  override async connect() {
    return runScriptsWhole(await super.connect());
  }

  override async connectToShadowDb() {
    return runScriptsWhole(await super.connectToShadowDb());
  }
}

/**
 * Opens a schema engine whose database is `url`. The engine connects through
 * a pool that this module owns, so close() can reliably end it: the engine
 * never releases the session advisory lock it takes while migrating, so its
 * connections must be closed before anyone else migrates.
 */
export async function openSchemaEngine(
  url: string,
  options: OpenSchemaEngineOptions = {},
): Promise<OpenSchemaEngine> {
  await loadEngineWasm();

  const clients = new Set<pg.Client>();
  class TrackedMigrationClient extends MigrationClient {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      clients.add(this);
      this.once("end", () => clients.delete(this));
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 2,
    Client: TrackedMigrationClient,
  });
  // An idle connection dropped by the server must not crash the process; the
  // next query reports the problem.
  pool.on("error", () => {});

  const adapterFactory = bindMigrationAwareSqlAdapterFactory(new MigrationAdapterFactory(pool));
  const log = options.log ?? (() => {});
  const datamodels = options.datamodels?.map((file): [string, string] => [file.path, file.content]);

  openEngines++;
  let engine: SchemaEngine;
  try {
    engine = await guardPanics(() =>
      engineBindings.SchemaEngine.new({ datamodels }, log, adapterFactory),
    );
  } catch (error) {
    openEngines--;
    await endPool(pool, clients);
    clearTimersIfIdle();
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    engine,
    close() {
      closing ??= (async () => {
        try {
          engine.free();
        } catch {
          // After a panic the engine is left mid-borrow and refuses to be
          // freed; the panic is the error worth reporting, not this one.
        } finally {
          openEngines--;
          await endPool(pool, clients);
          clearTimersIfIdle();
        }
      })();
      return closing;
    },
  };
}

/** Opens an engine, runs `fn` with it, and always closes it. */
export async function withSchemaEngine<T>(
  url: string,
  options: OpenSchemaEngineOptions,
  fn: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const opened = await openSchemaEngine(url, options);
  try {
    return await guardPanics(() => fn(opened.engine));
  } finally {
    await opened.close();
  }
}

/**
 * Runs an engine call and, if the engine panicked, rethrows with the panic
 * message (the raw error is only a Wasm trap).
 */
export async function guardPanics<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (lastPanicMessage !== undefined) {
      const message = lastPanicMessage;
      lastPanicMessage = undefined;
      throw new Error(`Prisma schema engine panicked: ${message}`, { cause: error });
    }
    throw error;
  }
}

async function endPool(pool: pg.Pool, clients: Set<pg.Client>): Promise<void> {
  // pool.end() waits for checked-out clients to be released; an engine call
  // that failed midway may never release one, so end stragglers directly.
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), 2_000);
  });
  const outcome = await Promise.race([pool.end().catch(() => "ended" as const), timedOut]);
  clearTimeout(timer);
  if (outcome === "timeout") {
    await Promise.all([...clients].map((client) => client.end().catch(() => {})));
  }
}
