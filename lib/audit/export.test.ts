import { v7 as uuidv7 } from "uuid";
import { expect, it } from "vitest";
import { describeEachDatabase } from "@/lib/db/test-harness";
import fc from "fast-check";
import { stringify } from "csv-stringify/sync";
import { csvCell, EXPORT_COLUMNS, exportAuditEvents, neutralizeFormula, type ExportFormat } from "./export";
import { AuditFilterSchema } from "./query";
import { recordAuditEvents, type AuditEventInput } from "./record";

/** RFC 4180, as a spreadsheet reads it: quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = "";
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ",") endField();
    else if (char === "\n") {
      endField();
      rows.push(row);
      row = [];
    } else field += char;
  }
  if (field || row.length) {
    endField();
    rows.push(row);
  }
  return rows;
}

describeEachDatabase("audit export", (t) => {
  const all = AuditFilterSchema.parse({ range: "all" });

  async function drain(environmentId: string, format: ExportFormat, filters = all) {
    const chunks: string[] = [];
    for await (const chunk of exportAuditEvents(t.db, environmentId, filters, format)) chunks.push(chunk);
    return chunks;
  }

  async function seed(inputs: Omit<AuditEventInput, "environmentId" | "source">[]) {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    await t.db.$transaction((tx) => recordAuditEvents(tx, inputs.map((input) => ({ source: "mcp" as const, environmentId: environment.id, ...input }))), { timeout: 60_000 });
    return environment;
  }

  it("writes CSV with a BOM and a header row, and neutralises cells a spreadsheet would run as formulas", async () => {
    const ts = new Date("2026-02-03T04:05:06.789Z");
    const environment = await seed([
      {
        id: uuidv7(),
        ts,
        actor: "=HYPERLINK(\"http://evil\")",
        clientId: "+cmd",
        tool: "-2+3",
        action: "@SUM(A1)",
        reason: "\tTab, \"quoted\"\nnewline",
        details: { a: 1 },
        inputs: { scopes: ["orders:read"], roles: ["=cmd"], claims: { groups: ["sales", "support"], access_token: "eyJhbGciOi.eyJzdWIiOi.c2ln" } },
      },
      { id: uuidv7(), ts: new Date(ts.getTime() - 1), actor: "\rcarriage", action: "tool.call", decision: "deny", configVersion: 7, ip: "10.0.0.1" },
    ]);
    const text = (await drain(environment.id, "csv")).join("");
    expect(text.startsWith("\uFEFF")).toBe(true);
    const [header, first, second, ...rest] = parseCsv(text.slice(1));
    expect(rest).toEqual([]);
    expect([header, first, second].map((row) => row!.length)).toEqual([EXPORT_COLUMNS.length, EXPORT_COLUMNS.length, EXPORT_COLUMNS.length]);
    expect(header).toEqual([...EXPORT_COLUMNS]);
    // The columns come from the contract's field list; spreadsheets and SIEM mappings built on an export expect exactly these.
    expect(header).toEqual(["id", "ts", "source", "actor", "actorLabel", "clientId", "server", "tool", "action", "target", "decision", "reason", "configVersion", "requestId", "ip", "details", "inputs", "hash"]);
    const cell = (row: string[], column: (typeof EXPORT_COLUMNS)[number]) => row[EXPORT_COLUMNS.indexOf(column)];
    expect(cell(first!, "ts")).toBe("2026-02-03T04:05:06.789Z");
    expect(cell(first!, "actor")).toBe("'=HYPERLINK(\"http://evil\")");
    expect(cell(first!, "clientId")).toBe("'+cmd");
    expect(cell(first!, "tool")).toBe("'-2+3");
    expect(cell(first!, "action")).toBe("'@SUM(A1)");
    expect(cell(first!, "reason")).toBe("'\tTab, \"quoted\"\nnewline");
    expect(JSON.parse(cell(first!, "details")!)).toEqual({ a: 1 });
    // Decision inputs as stored: redacted, and JSON whose first character no spreadsheet runs.
    expect(JSON.parse(cell(first!, "inputs")!)).toEqual({ scopes: ["orders:read"], roles: ["=cmd"], claims: { groups: ["sales", "support"], access_token: "[redacted]" } });
    expect(cell(first!, "inputs")).toMatch(/^\{/);
    // An event without inputs (an older SDK, an admin change) leaves the cell empty.
    expect(cell(second!, "inputs")).toBe("");
    expect(cell(first!, "decision")).toBe("");
    expect(cell(second!, "actor")).toBe("'\rcarriage");
    expect([cell(second!, "decision"), cell(second!, "configVersion"), cell(second!, "ip")]).toEqual(["deny", "7", "10.0.0.1"]);
    expect(cell(second!, "hash")).toMatch(/^[0-9a-f]{64}$/);
    expect(["=1", "+1", "-1", "@1", "\t1", "\r1", "1=", "a"].map(neutralizeFormula)).toEqual(["'=1", "'+1", "'-1", "'@1", "'\t1", "'\r1", "1=", "a"]);
  });

  it("writes JSON Lines, one event per line, with the same columns", async () => {
    const ts = new Date("2026-02-03T04:05:06.789Z");
    const inputs = { scopes: ["a", "b"], roles: [], claims: { tier: "=gold" } };
    const environment = await seed([
      { id: uuidv7(), ts, actor: "=alice", action: "tool.call", details: { nested: { list: [1, null] } }, inputs },
      { id: uuidv7(), ts: new Date(ts.getTime() - 1), actor: "bob", action: "tool.call" },
    ]);
    const lines = (await drain(environment.id, "jsonl")).join("").split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toHaveLength(2);
    const [event, older] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(Object.keys(event!)).toEqual([...EXPORT_COLUMNS]);
    // JSON is not a spreadsheet: values stay as they are.
    expect(event).toMatchObject({ ts: "2026-02-03T04:05:06.789Z", actor: "=alice", details: { nested: { list: [1, null] } }, inputs, decision: null });
    expect(older).toMatchObject({ actor: "bob", details: null, inputs: null });
  });

  it("streams a large export in constant batches, newest first, every event once", async () => {
    const base = Date.UTC(2026, 0, 1);
    // 4,500 events, many sharing a timestamp, so batches end inside a run of equal ts.
    const inputs = Array.from({ length: 4_500 }, (_, i) => ({ id: uuidv7(), ts: new Date(base + Math.floor(i / 7)), actor: `user-${i}`, action: "tool.call" }));
    const environment = await seed(inputs);
    const chunks = await drain(environment.id, "jsonl");
    expect(chunks.map((chunk) => chunk.split("\n").length - 1)).toEqual([2_000, 2_000, 500]);
    const ids = chunks.join("").trim().split("\n").map((line) => (JSON.parse(line) as { id: string }).id);
    const expected = [...inputs].sort((a, b) => b.ts.getTime() - a.ts.getTime() || (a.id < b.id ? 1 : -1)).map((input) => input.id);
    expect(ids).toEqual(expected);
    const csv = await drain(environment.id, "csv");
    expect(csv).toHaveLength(4);
    expect(csv.join("").split("\n").length - 2).toBe(4_500);
  });
});

it("quotes CSV cells exactly as csv-stringify would, after neutralising formulas", () => {
  // The export writes cells by hand for speed; csv-stringify is the reference it must not drift from.
  const cell = fc.option(fc.string({ unit: fc.constantFrom("a", ",", '"', "\n", "\r", "=", "+", "-", "@", "\t", " ", "é", "'") }), { nil: null });
  fc.assert(
    fc.property(fc.array(cell, { minLength: 1, maxLength: 5 }), (cells) => {
      const expected = stringify([cells.map((value) => (value === null ? null : neutralizeFormula(value)))]);
      expect(`${cells.map(csvCell).join(",")}\n`).toBe(expected);
    }),
    { numRuns: 1_000 },
  );
});
