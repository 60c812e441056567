import { stringify } from "csv-stringify/sync";
import type { Db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client.ts";
import { recordAdminEvent, type AuditActor } from "./record";
import { auditWhere, keysetWhere, type AuditFilters } from "./query";

export const EXPORT_FORMATS = ["csv", "jsonl"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const BATCH = 2_000;

export const EXPORT_COLUMNS = [
  "id",
  "ts",
  "source",
  "actor",
  "actorLabel",
  "clientId",
  "server",
  "tool",
  "action",
  "target",
  "decision",
  "reason",
  "configVersion",
  "requestId",
  "ip",
  "details",
  "hash",
] as const;

const EXPORT_SELECT = Object.fromEntries(EXPORT_COLUMNS.map((column) => [column, true])) as Record<(typeof EXPORT_COLUMNS)[number], true>;
type ExportRow = Prisma.AuditEventGetPayload<{ select: typeof EXPORT_SELECT }>;

/**
 * A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage
 * return before one) as a formula. Such cells get a leading apostrophe, the
 * convention spreadsheets display as plain text (OWASP "CSV injection").
 */
export function neutralizeFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function cells(row: ExportRow): string[] {
  return EXPORT_COLUMNS.map((column) => {
    const value = row[column];
    if (value === null || value === undefined) return "";
    if (value instanceof Date) return value.toISOString();
    if (typeof value === "object") return neutralizeFormula(JSON.stringify(value));
    return neutralizeFormula(String(value));
  });
}

function jsonLine(row: ExportRow): string {
  return `${JSON.stringify({ ...row, ts: row.ts.toISOString() })}\n`;
}

/**
 * Every event matching the filters, newest first, as CSV (UTF-8 with a BOM so
 * spreadsheets read it as UTF-8, and a header row) or JSON Lines. Reads by
 * keyset in batches, so memory stays flat whatever the size of the export.
 */
export async function* exportAuditEvents(db: Db, environmentId: string, filters: AuditFilters, format: ExportFormat, now = new Date(), progress?: (rows: number) => void): AsyncGenerator<string> {
  const where = auditWhere(environmentId, filters, now);
  if (format === "csv") yield `\uFEFF${stringify([[...EXPORT_COLUMNS]])}`;
  const batch = (cursor: { ts: Date; id: string } | null): Promise<ExportRow[]> =>
    db.auditEvent.findMany({
      where: cursor ? { AND: [where, keysetWhere({ olderThan: cursor })!] } : where,
      orderBy: [{ ts: "desc" }, { id: "desc" }],
      take: BATCH,
      select: EXPORT_SELECT,
    });
  let count = 0;
  let next: Promise<ExportRow[]> | null = batch(null);
  while (next) {
    const rows: ExportRow[] = await next;
    const last = rows[rows.length - 1];
    // The next batch is read while this one is formatted and written: the
    // database and the formatting overlap instead of taking turns.
    next = rows.length === BATCH && last ? batch({ ts: last.ts, id: last.id }) : null;
    // A consumer that stops early (a closed download) leaves no read unhandled.
    next?.catch(() => {});
    if (rows.length === 0) return;
    yield format === "csv" ? stringify(rows.map(cells)) : rows.map(jsonLine).join("");
    count += rows.length;
    progress?.(count);
  }
}

/** Exports are audited too: who took which slice of the trail, and how much of it. */
export async function recordAuditExport(
  db: Db,
  actor: AuditActor,
  environmentId: string,
  details: { format: ExportFormat; filters: AuditFilters; rows: number; completed: boolean },
): Promise<void> {
  await db.$transaction((tx) =>
    recordAdminEvent(tx, actor, {
      action: "audit.exported",
      target: `environment:${environmentId}`,
      environmentId,
      details: { ...details, filters: JSON.parse(JSON.stringify(details.filters)) as Record<string, unknown> },
    }),
  );
}
