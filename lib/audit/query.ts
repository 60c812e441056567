import "server-only";
import { z } from "zod";
import type { Db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client.ts";
import type { HashedAuditFields } from "@/sdk/src/contract/audit-event";
import { chainsOf, GLOBAL_CHAIN } from "./record";
import { decodeCursor, encodeCursor, type KeysetCursor } from "@/lib/list-query";
import { AUDIT_PAGE_SIZES } from "./page-sizes";

export const TIME_PRESETS = { "1h": 60 * 60_000, "24h": 24 * 60 * 60_000, "7d": 7 * 24 * 60 * 60_000, "30d": 30 * 24 * 60 * 60_000 } as const;
export type TimePreset = keyof typeof TIME_PRESETS;

// Anything odd in a shared or hand-edited link falls back to "no filter" instead of failing.
const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .optional()
    .catch(undefined)
    .transform((value) => value || undefined);
const isoDate = z
  .string()
  .optional()
  .catch(undefined)
  .transform((value) => {
    if (!value) return undefined;
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? undefined : date;
  });

/** The trail's filters as they live in the URL, shared by the page, the export and the live mode. */
export const AuditFilterSchema = z.object({
  scope: z.enum(["environment", "account"]).catch("environment").default("environment"),
  range: z
    .enum(["1h", "24h", "7d", "30d", "all", "custom"])
    .catch("7d")
    .default("7d"),
  from: isoDate,
  to: isoDate,
  source: z.enum(["admin", "mcp"]).optional().catch(undefined),
  actor: text(256),
  client: text(2048),
  server: text(200),
  tool: text(200),
  decision: z.enum(["allow", "deny", "error"]).optional().catch(undefined),
  action: text(100),
  q: text(200),
});
export type AuditFilters = z.infer<typeof AuditFilterSchema>;

export const AuditPageQuerySchema = AuditFilterSchema.extend({
  before: z.string().max(200).optional().catch(undefined),
  after: z.string().max(200).optional().catch(undefined),
  size: z.coerce
    .number()
    .int()
    .refine((n) => (AUDIT_PAGE_SIZES as readonly number[]).includes(n))
    .catch(50)
    .default(50),
  event: z.uuid().optional().catch(undefined),
});
export type AuditPageQuery = z.infer<typeof AuditPageQuerySchema>;

export type AuditCursor = KeysetCursor;

/** The time window a filter set means right now. */
export function timeWindow(filters: Pick<AuditFilters, "range" | "from" | "to">, now = new Date()): { from?: Date; to?: Date } {
  if (filters.range === "all") return {};
  if (filters.range === "custom") return { from: filters.from, to: filters.to };
  return { from: new Date(now.getTime() - TIME_PRESETS[filters.range]) };
}

const escapeLike = (value: string) => value.replace(/[\\%_]/g, (match) => `\\${match}`);

/** The scope and time range of a filter set alone: what the (environmentId, ts, id) index answers by itself. */
function windowWhere(environmentId: string, filters: Pick<AuditFilters, "scope" | "range" | "from" | "to">, now: Date): Prisma.AuditEventWhereInput {
  const { from, to } = timeWindow(filters, now);
  return {
    // Account events have no environment: (environmentId, ts, id) serves both scopes.
    environmentId: filters.scope === "account" ? null : environmentId,
    ...(from || to ? { ts: { ...(from ? { gte: from } : {}), ...(to ? { lte: to } : {}) } } : {}),
  };
}

/**
 * The WHERE clause of a filter set. Every filter is an equality on an indexed
 * column or the time range, except free text, which searches the reason.
 */
export function auditWhere(environmentId: string, filters: AuditFilters, now = new Date()): Prisma.AuditEventWhereInput {
  return {
    ...windowWhere(environmentId, filters, now),
    ...(filters.source ? { source: filters.source } : {}),
    ...(filters.actor ? { OR: [{ actor: filters.actor }, { actorLabel: filters.actor }] } : {}),
    ...(filters.client ? { clientId: filters.client } : {}),
    ...(filters.server ? { server: filters.server } : {}),
    ...(filters.tool ? { tool: filters.tool } : {}),
    ...(filters.decision ? { decision: filters.decision } : {}),
    ...(filters.action ? { action: filters.action } : {}),
    ...(filters.q ? { reason: { contains: escapeLike(filters.q), mode: "insensitive" as const } } : {}),
  };
}

/**
 * The same filters as auditWhere, as a SQL condition with bound values, for
 * reads that skip Prisma (the export streams millions of rows, and Prisma's
 * per-row work was most of its time). A test holds the two to the same rows.
 */
export function auditFilterSql(environmentId: string, filters: AuditFilters, now = new Date()): { condition: string; values: unknown[] } {
  const values: unknown[] = [];
  const bind = (value: unknown, type: string) => `$${values.push(value)}::${type}`;
  const conditions = [filters.scope === "account" ? `"environmentId" IS NULL` : `"environmentId" = ${bind(environmentId, "uuid")}`];
  const { from, to } = timeWindow(filters, now);
  if (from) conditions.push(`"ts" >= ${bind(from.toISOString(), "timestamptz")}`);
  if (to) conditions.push(`"ts" <= ${bind(to.toISOString(), "timestamptz")}`);
  if (filters.source) conditions.push(`"source" = ${bind(filters.source, `"AuditSource"`)}`);
  if (filters.actor) {
    const actor = bind(filters.actor, "text");
    conditions.push(`("actor" = ${actor} OR "actorLabel" = ${actor})`);
  }
  if (filters.client) conditions.push(`"clientId" = ${bind(filters.client, "text")}`);
  if (filters.server) conditions.push(`"server" = ${bind(filters.server, "text")}`);
  if (filters.tool) conditions.push(`"tool" = ${bind(filters.tool, "text")}`);
  if (filters.decision) conditions.push(`"decision" = ${bind(filters.decision, `"AuditDecision"`)}`);
  if (filters.action) conditions.push(`"action" = ${bind(filters.action, "text")}`);
  if (filters.q) conditions.push(`"reason" ILIKE ${bind(`%${escapeLike(filters.q)}%`, "text")}`);
  return { condition: conditions.join(" AND "), values };
}

// What a row of the trail's list shows: the contract's fields but the
// chain bookkeeping, the request's id and address, and the details, which the
// detail panel reads (getAuditEvent).
const LIST_FIELDS = ["id", "ts", "source", "actor", "actorLabel", "clientId", "server", "tool", "action", "target", "decision", "reason", "configVersion"] as const satisfies readonly (keyof HashedAuditFields)[];
type ListField = (typeof LIST_FIELDS)[number];

export type AuditRow = Omit<Pick<HashedAuditFields, ListField>, "ts"> & { ts: string };

const LIST_SELECT = Object.fromEntries(LIST_FIELDS.map((name) => [name, true])) as { [K in ListField]: true };

/** `searchedBackTo`: a text search paused there (see TEXT_SEARCH); `older` continues it. */
export type AuditPage = { rows: AuditRow[]; newer: string | null; older: string | null; searchedBackTo: string | null };

/**
 * Free text has no index (a trigram index cost ingestion about a tenth of its
 * rate), so a search that matches little reads every event of its window.
 * It reads the window newest first, in slices that grow from an hour, and
 * stops before a slice would take it past this long, returning what it found
 * and where it stopped: no page waits on the whole window, however large.
 * It never pauses before it has read `minEventsBeforePause` events: on a
 * small trail a slow moment (a busy machine, the embedded database) is the
 * cost of a round trip, not of the data, and pausing would only get in the way.
 */
export const TEXT_SEARCH = { budgetMs: 40, minEventsBeforePause: 10_000 };
const FIRST_SLICE_MS = 60 * 60_000;
// Fast growth keeps a small trail to a few slices (each costs a round trip even when empty).
const SLICE_GROWTH = 4;
const NEWEST_ID = "ffffffff-ffff-ffff-ffff-ffffffffffff";

/**
 * One page of the trail, newest first, by keyset on (ts, id): the cost of a
 * page does not grow with how far back it is, unlike OFFSET.
 * `before` pages towards older events, `after` towards newer ones.
 */
export async function listAuditEvents(db: Db, environmentId: string, query: AuditPageQuery, now = new Date(), textSearch = TEXT_SEARCH): Promise<AuditPage> {
  const before = decodeCursor(query.before);
  const after = before ? null : decodeCursor(query.after);
  const keyset = keysetWhere(before ? { olderThan: before } : after ? { newerThan: after } : null);
  const ascending = Boolean(after);
  const orderBy: Prisma.AuditEventOrderByWithRelationInput[] = ascending ? [{ ts: "asc" }, { id: "asc" }] : [{ ts: "desc" }, { id: "desc" }];
  const page = (where: Prisma.AuditEventWhereInput, take: number) =>
    db.auditEvent.findMany({ where: keyset ? { AND: [where, keyset] } : where, orderBy, take, select: LIST_SELECT });
  const matching = async (extra: Prisma.AuditEventWhereInput, take: number) => {
    if (!query.actor) return page({ AND: [auditWhere(environmentId, query, now), extra] }, take);
    // "actor or actorLabel" as one OR cannot walk an index in (ts, id) order,
    // so on a large trail it sorted every event of that user. Each half walks
    // its own index instead, and the two pages merge; the second half leaves
    // out what the first one already matched.
    const rest = auditWhere(environmentId, { ...query, actor: undefined }, now);
    const [byActor, byLabel] = await Promise.all([
      page({ AND: [rest, extra, { actor: query.actor }] }, take),
      page({ AND: [rest, extra, { actorLabel: query.actor }, { actor: { not: query.actor } }] }, take),
    ]);
    const newerFirst = (a: { ts: Date; id: string }, b: { ts: Date; id: string }) => b.ts.getTime() - a.ts.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
    return [...byActor, ...byLabel].sort(ascending ? (a, b) => newerFirst(b, a) : newerFirst).slice(0, take);
  };
  let found: Awaited<ReturnType<typeof matching>> = [];
  let searchedBackTo: Date | null = null;
  if (query.q && !ascending) {
    // The window's own bounds, over the (environmentId, ts) index: the other filters would only make this slower.
    const window = windowWhere(environmentId, query, now);
    // Two index probes: an aggregate's MIN/MAX over this filter read the whole window.
    const [oldest, newest] = await Promise.all(
      (["asc", "desc"] as const).map((direction) => db.auditEvent.findFirst({ where: window, orderBy: { ts: direction }, select: { ts: true } })),
    );
    // Slices are (start, end]; timestamps are whole milliseconds.
    const floor = oldest ? new Date(oldest.ts.getTime() - 1) : null;
    let end = before && newest && before.ts < newest.ts ? before.ts : (newest?.ts ?? null);
    const searchedFrom = end;
    const started = Date.now();
    for (let span = FIRST_SLICE_MS; floor && end && end > floor; span *= SLICE_GROWTH) {
      const start = new Date(Math.max(floor.getTime(), end.getTime() - span));
      const sliceStarted = Date.now();
      found.push(...(await matching({ ts: { gt: start, lte: end } }, query.size + 1 - found.length)));
      end = start;
      if (found.length > query.size || end <= floor) break;
      // The next slice is SLICE_GROWTH times as long: stop now if reading it would likely pass the budget.
      if (
        Date.now() - started + SLICE_GROWTH * (Date.now() - sliceStarted) >= textSearch.budgetMs &&
        (await db.auditEvent.count({ where: { AND: [window, { ts: { gt: end, lte: searchedFrom! } }] }, take: textSearch.minEventsBeforePause })) >=
          textSearch.minEventsBeforePause
      ) {
        searchedBackTo = end;
        break;
      }
    }
  } else {
    found = await matching({}, query.size + 1);
  }
  const more = found.length > query.size;
  const pageRows = found.slice(0, query.size);
  if (ascending) pageRows.reverse();
  const rows = pageRows.map((row) => ({ ...row, ts: row.ts.toISOString() }));
  const first = pageRows[0];
  const last = pageRows[pageRows.length - 1];
  // Going back (after) always has older events behind it; going forward (before) always has newer ones.
  const hasOlder = ascending ? Boolean(last) : more;
  const hasNewer = ascending ? more : Boolean(before);
  return {
    rows,
    // A paused search continues from where it stopped, even when it found nothing yet.
    older: searchedBackTo && !more ? encodeCursor({ ts: searchedBackTo, id: NEWEST_ID }) : hasOlder && last ? encodeCursor(last) : null,
    newer: hasNewer && first ? encodeCursor(first) : null,
    searchedBackTo: searchedBackTo && !more ? searchedBackTo.toISOString() : null,
  };
}

/**
 * The events strictly older (or newer) than a cursor in (ts, id) order. The
 * plain bound on ts is implied by the OR, but only it can start an index scan
 * at the cursor: without it a deep page read every newer event first.
 */
export function keysetWhere(cursor: { olderThan: AuditCursor } | { newerThan: AuditCursor } | null): Prisma.AuditEventWhereInput | undefined {
  if (!cursor) return undefined;
  if ("olderThan" in cursor) {
    const { ts, id } = cursor.olderThan;
    return { AND: [{ ts: { lte: ts } }, { OR: [{ ts: { lt: ts } }, { ts, id: { lt: id } }] }] };
  }
  const { ts, id } = cursor.newerThan;
  return { AND: [{ ts: { gte: ts } }, { OR: [{ ts: { gt: ts } }, { ts, id: { gt: id } }] }] };
}

/** One event in full, for the detail panel; null when it is not in this environment's trail. */
export async function getAuditEvent(db: Db, environmentId: string, id: string) {
  const event = await db.auditEvent.findUnique({ where: { id } });
  if (!event || (event.environmentId !== environmentId && event.chain !== GLOBAL_CHAIN)) return null;
  return event;
}

/**
 * Where live mode starts: the last stored position of each chain the view
 * reads (an environment's lanes, or the account chain), as "12.40.0.7".
 * One position per chain, not one for the trail: lanes commit independently,
 * so a batch can become visible after a later-numbered one in another lane.
 */
export async function liveStartPosition(db: Db, environmentId: string, scope: AuditFilters["scope"]): Promise<string> {
  const chains = liveChains(environmentId, scope);
  const heads = await db.auditChainHead.findMany({ where: { chain: { in: chains } }, select: { chain: true, lastSeq: true } });
  const last = new Map(heads.map((head) => [head.chain, head.lastSeq.toString()]));
  return chains.map((chain) => last.get(chain) ?? "0").join(".");
}

export const LivePositionSchema = z.string().regex(/^\d{1,19}(\.\d{1,19}){0,15}$/, "Send since, the position the page last saw.");

const liveChains = (environmentId: string, scope: AuditFilters["scope"]) => chainsOf(scope === "account" ? null : environmentId);

/**
 * Events stored after `since` (from liveStartPosition or the previous answer)
 * that match the filters (the time range is ignored: they are new). By
 * storage order, not event time, so a batch that an MCP server delivers late
 * still shows up.
 */
export async function auditEventsStoredAfter(
  db: Db,
  environmentId: string,
  filters: AuditFilters,
  since: string,
  limit = 100,
): Promise<{ rows: AuditRow[]; position: string }> {
  const chains = liveChains(environmentId, filters.scope);
  const seen = chains.map((_, index) => BigInt(since.split(".")[index] ?? "0"));
  const found = await db.auditEvent.findMany({
    // (chain, seq) is indexed: one short range per chain.
    where: { AND: [auditWhere(environmentId, { ...filters, range: "all" }), { OR: chains.map((chain, index) => ({ chain, seq: { gt: seen[index] } })) }] },
    orderBy: { seq: "desc" },
    take: limit,
    select: { ...LIST_SELECT, seq: true, chain: true },
  });
  for (const row of found) {
    const index = chains.indexOf(row.chain);
    if (row.seq > seen[index]!) seen[index] = row.seq;
  }
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- seq and chain only order the feed
  const rows = found.map(({ seq, chain, ...row }) => ({ ...row, ts: row.ts.toISOString() }));
  rows.sort((a, b) => (a.ts < b.ts ? 1 : a.ts > b.ts ? -1 : a.id < b.id ? 1 : -1));
  return { rows, position: seen.join(".") };
}
