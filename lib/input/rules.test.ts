import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { z } from "zod";
import { dateProblem, integerProblem, JsonItemTooDeep, jsonProblem, jsonTextTooDeep, MAX_JSON_DEPTH, parseExternalJson, parseExternalJsonBatch, safeInt, safeString, textProblem } from "./rules";

const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

describe("input rules", () => {
  it("refuses U+0000 in text, because PostgreSQL text cannot hold it", () => {
    expect(textProblem("a\u0000b")).toMatch(/U\+0000/);
    expect(textProblem("plain ünïcode 🚀")).toBeNull();
  });

  it("refuses lone UTF-16 surrogates, high or low, but keeps real pairs", () => {
    expect(textProblem("\uD800")).toMatch(/surrogate/);
    expect(textProblem("x\uDC00y")).toMatch(/surrogate/);
    expect(textProblem("\uD83D\uDE80")).toBeNull();
    expect(textProblem("\uDE80\uD83D")).toMatch(/surrogate/);
  });

  it("bounds integers to PostgreSQL's integer", () => {
    expect(integerProblem(2 ** 31 - 1)).toBeNull();
    expect(integerProblem(2 ** 31)).toMatch(/between/);
    expect(integerProblem(-(2 ** 31) - 1)).toMatch(/between/);
    expect(integerProblem(1.5)).toMatch(/whole/);
    expect(safeInt().safeParse(2 ** 31).success).toBe(false);
  });

  it("refuses year 0 and years past 9999", () => {
    expect(dateProblem(new Date("0000-01-01T00:00:00Z"))).toMatch(/years 1 and 9999/);
    expect(dateProblem(new Date("+010000-01-01T00:00:00Z"))).toMatch(/years 1 and 9999/);
    expect(dateProblem(new Date("2026-12-02T00:00:00Z"))).toBeNull();
    expect(dateProblem(new Date("nonsense"))).toMatch(/not a valid date/);
  });

  it(`refuses JSON nested deeper than ${MAX_JSON_DEPTH} levels, as text and as a value, without overflowing the stack`, () => {
    expect(jsonTextTooDeep(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonTextTooDeep(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(jsonTextTooDeep(`{"a":"${"[".repeat(100)}"}`)).toBe(false);
    expect(jsonTextTooDeep(`{"a":"\\"[[[[[["}`, 2)).toBe(false);
    const deep = JSON.parse(nested(100_000)) as unknown;
    expect(jsonProblem(deep)).toMatch(/deeper than 32/);
    expect(parseExternalJson(nested(10_000))).toEqual({ ok: false, error: "The JSON is nested deeper than 32 levels." });
  });

  it("names where in a JSON document a bad key or string sits", () => {
    expect(jsonProblem({ a: { "b\u0000": 1 } })).toBe("a key at a contains the character U+0000, which cannot be stored");
    expect(jsonProblem({ a: ["ok", "\uD800"] })).toBe("a string at a[1] is not well-formed Unicode (a lone UTF-16 surrogate)");
    expect(parseExternalJson('{"a": "\\u0000"}')).toMatchObject({ ok: false });
    expect(parseExternalJson("{not json")).toEqual({ ok: false, error: "The body is not valid JSON." });
  });

  it("accepts every string that encodes as UTF-8 and has no NUL, and nothing else", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        const storable = !text.includes("\u0000") && Buffer.from(text, "utf8").toString("utf8") === text;
        expect(textProblem(text) === null).toBe(storable);
        expect(safeString().safeParse(text).success).toBe(storable);
      }),
    );
  });

  it("agrees with JSON.parse on the depth of any JSON text", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 40 }), (value) => {
        const text = JSON.stringify(value);
        const tooDeep = jsonTextTooDeep(text, 8);
        const problem = jsonProblem(JSON.parse(text), 8);
        expect(tooDeep).toBe(problem?.includes("deeper") ?? false);
      }),
    );
  });

  it("works as zod refinements", () => {
    const schema = z.object({ name: safeString().max(5) });
    const result = schema.safeParse({ name: "a\u0000" });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/U\+0000/);
  });

  it("judges each item of a batch on its own depth: a deep item is cut out before parsing, the others keep their places", () => {
    const good = { note: 'a "quoted" [bracket] \\ and {brace}' };
    const text = `{"events":[${JSON.stringify(good)},${nested(10_000)},{"a":${nested(MAX_JSON_DEPTH - 1)}},{"a":${nested(MAX_JSON_DEPTH)}}]}`;
    const parsed = parseExternalJsonBatch(text, MAX_JSON_DEPTH);
    expect(parsed.ok).toBe(true);
    const events = (parsed as { value: { events: unknown[] } }).value.events;
    expect(events[0]).toEqual(good);
    expect(events[1]).toBeInstanceOf(JsonItemTooDeep);
    expect(events[2]).toEqual({ a: JSON.parse(nested(MAX_JSON_DEPTH - 1)) });
    expect(events[3]).toBeInstanceOf(JsonItemTooDeep);
    // The envelope itself follows the plain rule, and a text that is not JSON stays refused.
    expect(parseExternalJsonBatch(`{"events":[],"extra":{"a":${nested(40)}}}`)).toEqual({ ok: false, error: `The JSON is nested deeper than ${MAX_JSON_DEPTH} levels.` });
    expect(parseExternalJsonBatch(`{"events":[${"[".repeat(100)}`)).toEqual({ ok: false, error: "The body is not valid JSON." });
    expect(parseExternalJsonBatch('{"events":["unterminated]}')).toEqual({ ok: false, error: "The body is not valid JSON." });
  });

  it("agrees with JSON.parse on any batch whose items are within the limit", () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 5 }), { maxLength: 6 }), (items) => {
        const text = JSON.stringify({ events: items });
        expect(parseExternalJsonBatch(text)).toEqual({ ok: true, value: JSON.parse(text) });
      }),
      { numRuns: 200 },
    );
  });
});
