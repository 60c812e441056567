import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOutageLog, isDatabaseUnavailable } from "./availability";
import { createDb, type Db } from "./client";

/** A loopback port nobody listens on: connections to it are refused, as to a stopped database. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("telling an unreachable database from a refusal", () => {
  let db: Db;
  let url: string;
  beforeAll(async () => {
    url = `postgres://postgres@127.0.0.1:${await closedPort()}/warden`;
    db = createDb(url, 1);
  });
  afterAll(() => db.$disconnect());

  it("recognises Prisma's errors for a database it cannot reach, from model queries and raw ones", async () => {
    const modelError = await db.apiKey.findUnique({ where: { selector: "x" } }).catch((error: unknown) => error);
    expect(isDatabaseUnavailable(modelError)).toBe(true);
    const rawError = await db.$queryRaw`SELECT 1`.catch((error: unknown) => error);
    expect(isDatabaseUnavailable(rawError)).toBe(true);
  });

  it("recognises pg's own connection errors", async () => {
    const client = new pg.Client({ connectionString: url });
    const error = await client.connect().catch((caught: unknown) => caught);
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(isDatabaseUnavailable(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error("the database system is shutting down"), { code: "57P03" }))).toBe(true);
  });

  it("does not mistake a refusal or a bug for an outage", () => {
    expect(isDatabaseUnavailable(Object.assign(new Error("Unique constraint failed"), { code: "P2002" }))).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error('relation "Nope" does not exist'), { code: "42P01" }))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError("Cannot read properties of undefined"))).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
  });
});

describe("the outage log", () => {
  it("says once that the database went away and once that it came back, however many ticks fail between", () => {
    const lines: string[] = [];
    const log = createOutageLog("config refresh", { error: (line) => lines.push(`error: ${String(line)}`), info: (line) => lines.push(`info: ${String(line)}`) });
    const outage = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    for (let tick = 0; tick < 10; tick++) log.failed(outage);
    expect(log.downSince).not.toBeNull();
    log.succeeded();
    log.succeeded();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^error: \[warden\] config refresh: the database is unreachable \(connect ECONNREFUSED/);
    expect(lines[1]).toMatch(/^info: \[warden\] config refresh: the database is reachable again after \d+ s$/);
  });

  it("logs every other failure, since each may be a different bug", () => {
    const lines: unknown[] = [];
    const log = createOutageLog("config refresh", { error: (...args) => lines.push(args), info: () => undefined });
    log.failed(new Error("bug one"));
    log.failed(new Error("bug two"));
    expect(lines).toHaveLength(2);
    expect(log.downSince).toBeNull();
  });
});
