import "server-only";
import { queryRowArrays, type Db } from "@/lib/db/client";
import { AUDIT_EVENT_FIELDS, EXPORTED_AUDIT_FIELDS } from "@/sdk/src/contract/audit-event";
import { recordAdminEvent, type AuditActor } from "./record";
import { auditFilterSql, type AuditFilters } from "./query";

export const EXPORT_FORMATS = ["csv", "jsonl"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const BATCH = 2_000;

/** The export's columns, in order: the contract's exported fields. */
export const EXPORT_COLUMNS = EXPORTED_AUDIT_FIELDS;
type ExportColumn = (typeof EXPORT_COLUMNS)[number];

/**
 * A column as PostgreSQL's text: nothing to parse on the way in. `ts` in the
 * ISO 8601 form of Date#toISOString; `details` and `inputs` as jsonb prints
 * them (stored redacted), an event without them an empty cell.
 */
function selectText(column: ExportColumn): string {
  const name = JSON.stringify(column);
  const sqlType = AUDIT_EVENT_FIELDS[column].sqlType;
  if (sqlType === "timestamptz") return `to_char(${name} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  return sqlType === "text" ? name : `${name}::text`;
}
const TS = EXPORT_COLUMNS.indexOf("ts");
const ID = EXPORT_COLUMNS.indexOf("id");
// Columns whose text is JSON already (a number, an object) in a JSON line.
const JSON_VALUED = new Set<ExportColumn>(EXPORT_COLUMNS.filter((column) => ["int4", "jsonb"].includes(AUDIT_EVENT_FIELDS[column].sqlType ?? "")));

/**
 * A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage
 * return before one) as a formula. Such cells get a leading apostrophe, the
 * convention spreadsheets display as plain text (OWASP "CSV injection").
 */
export function neutralizeFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One CSV cell as RFC 4180 (and csv-stringify, which a test compares it
 * with) writes it: quoted only when it holds a comma, a quote or a line
 * break. Written by hand because a general CSV writer's per-cell options
 * cost more than the rest of a million-row export together.
 */
export function csvCell(value: string | null): string {
  if (value === null) return "";
  const text = neutralizeFormula(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const csvLine = (row: (string | null)[]) => `${row.map(csvCell).join(",")}\n`;

function jsonLine(row: (string | null)[]): string {
  const members = EXPORT_COLUMNS.map((column, index) => {
    const value = row[index] ?? null;
    return `${JSON.stringify(column)}:${value === null ? "null" : JSON_VALUED.has(column) ? value : JSON.stringify(value)}`;
  });
  return `{${members.join(",")}}\n`;
}

/**
 * Every event matching the filters, newest first, as CSV (UTF-8 with a BOM so
 * spreadsheets read it as UTF-8, and a header row) or JSON Lines. Reads by
 * keyset in batches, so memory stays flat whatever the size of the export,
 * and other work gets the database between two batches.
 */
export async function* exportAuditEvents(db: Db, environmentId: string, filters: AuditFilters, format: ExportFormat, now = new Date(), progress?: (rows: number) => void): AsyncGenerator<string> {
  const { condition, values } = auditFilterSql(environmentId, filters, now);
  const select = `SELECT ${EXPORT_COLUMNS.map(selectText).join(", ")} FROM "AuditEvent" WHERE ${condition}`;
  const order = `ORDER BY "ts" DESC, "id" DESC LIMIT ${BATCH}`;
  // The plain bound on ts lets the index scan start at the cursor (as in keysetWhere).
  const after = `AND "ts" <= $${values.length + 1}::timestamptz AND ("ts" < $${values.length + 1}::timestamptz OR "id" < $${values.length + 2}::uuid)`;
  const batch = (cursor: { ts: string; id: string } | null) =>
    queryRowArrays(db, cursor ? `${select} ${after} ${order}` : `${select} ${order}`, cursor ? [...values, cursor.ts, cursor.id] : values) as Promise<(string | null)[][]>;

  if (format === "csv") yield `\uFEFF${csvLine([...EXPORT_COLUMNS])}`;
  let count = 0;
  let next: Promise<(string | null)[][]> | null = batch(null);
  while (next) {
    const rows: (string | null)[][] = await next;
    const last = rows[rows.length - 1];
    // The next batch is read while this one is formatted and written: the
    // database and the formatting overlap instead of taking turns.
    next = rows.length === BATCH && last ? batch({ ts: last[TS]!, id: last[ID]! }) : null;
    // A consumer that stops early (a closed download) leaves no read unhandled.
    next?.catch(() => {});
    if (rows.length === 0) return;
    yield rows.map(format === "csv" ? csvLine : jsonLine).join("");
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
