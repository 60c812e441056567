import { z } from "zod";

// Part of the wire contract: Warden applies these rules to what MCP servers
// send, and the SDK checks audit events by the same rules before queueing
// them, so both sides refuse the same values.

/**
 * The one set of rules every text and JSON value from outside Warden passes
 * before it reaches PostgreSQL or a recursive routine: what zod's types allow
 * but the database or the runtime refuses (a 500 and a lost batch otherwise).
 *
 * - text: no U+0000 (PostgreSQL text cannot hold it) and well-formed UTF-16
 *   (a lone surrogate cannot be encoded as UTF-8);
 * - integers: within PostgreSQL's `integer` (−2³¹ … 2³¹−1);
 * - dates: years 1 to 9999 (PostgreSQL has no year 0; JavaScript and ISO 8601
 *   disagree beyond 9999);
 * - JSON: at most 32 levels deep, so JSON.stringify, canonical JSON and jsonb
 *   never meet a document that overflows the stack, and every key and string
 *   inside follows the text rule.
 */
export const MAX_JSON_DEPTH = 32;
export const PG_INT_MAX = 2_147_483_647;
export const PG_INT_MIN = -2_147_483_648;
export const MIN_DATE = new Date("0001-01-01T00:00:00.000Z");
export const MAX_DATE = new Date("9999-12-31T23:59:59.999Z");

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// The engine's own check where it has one (Node 20 and current browsers), the pattern elsewhere.
const isWellFormed: (text: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === "function"
    ? (text) => (text as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (text) => !LONE_SURROGATE.test(text);

/** Why a string cannot be stored as text, or null when it can. */
export function textProblem(text: string): string | null {
  if (text.includes("\u0000")) return "contains the character U+0000, which cannot be stored";
  if (!isWellFormed(text)) return "is not well-formed Unicode (a lone UTF-16 surrogate)";
  return null;
}

/** Why an integer cannot be stored in an `integer` column, or null when it can. */
export function integerProblem(value: number): string | null {
  if (!Number.isSafeInteger(value)) return "must be a whole number";
  if (value > PG_INT_MAX || value < PG_INT_MIN) return `must be between ${PG_INT_MIN} and ${PG_INT_MAX}`;
  return null;
}

/** Why a date cannot be stored, or null when it can. */
export function dateProblem(date: Date): string | null {
  const time = date.getTime();
  if (Number.isNaN(time)) return "is not a valid date";
  if (time < MIN_DATE.getTime() || time > MAX_DATE.getTime()) return "must be between the years 1 and 9999";
  return null;
}

/**
 * Why a parsed JSON value cannot be accepted (too deep, a bad key or string,
 * a number JSON cannot carry), with the path of the first problem, or null.
 * Iterative, so a value nested far past the limit cannot overflow the stack.
 */
export function jsonProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): string | null {
  // Each value remembers its parent, and a path is spelled out only for the
  // problem found: most values have none, and audit ingestion checks
  // thousands of them a second.
  const stack: JsonFrame[] = [{ value, depth: 0, parent: null, key: "" }];
  while (stack.length) {
    const frame = stack.pop()!;
    const { value: item, depth } = frame;
    if (typeof item === "string") {
      const problem = textProblem(item);
      if (problem) return `a string${at(frame)} ${problem}`;
    } else if (typeof item === "number") {
      if (!Number.isFinite(item)) return `a number${at(frame)} is not finite`;
    } else if (item !== null && typeof item === "object") {
      if (depth >= maxDepth) return `nested deeper than ${maxDepth} levels${at(frame)}`;
      if (Array.isArray(item)) {
        for (let index = 0; index < item.length; index++) stack.push({ value: item[index], depth: depth + 1, parent: frame, key: index });
      } else {
        for (const key of Object.keys(item)) {
          const problem = textProblem(key);
          if (problem) return `a key${at(frame)} ${problem}`;
          stack.push({ value: (item as Record<string, unknown>)[key], depth: depth + 1, parent: frame, key });
        }
      }
    }
  }
  return null;
}

type JsonFrame = { value: unknown; depth: number; parent: JsonFrame | null; key: string | number };

/** " at a.b[2]" for a value inside the document, "" for the document itself. */
function at(frame: JsonFrame): string {
  const keys: (string | number)[] = [];
  for (let current: JsonFrame | null = frame; current?.parent; current = current.parent) keys.push(current.key);
  const path = keys.reverse().reduce<string>((path, key) => (typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key), "");
  return path ? ` at ${path}` : "";
}

// zod building blocks, so every schema at a boundary says the same thing the same way.

/** A string that can be stored as text. */
export const safeString = () => z.string().superRefine(refineText);

/** An integer that fits PostgreSQL's `integer`. */
export const safeInt = () => z.number().int("must be a whole number").min(PG_INT_MIN).max(PG_INT_MAX, `must be at most ${PG_INT_MAX}`);

/** A JSON value (usually an object from a `z.record`) that can be stored as jsonb and hashed. */
export function refineJson(value: unknown, ctx: z.RefinementCtx) {
  const problem = jsonProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
}

export function refineText(value: string, ctx: z.RefinementCtx) {
  const problem = textProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
}

/** An ISO 8601 date-time string whose date PostgreSQL can store. */
export function refineDateText(value: string, ctx: z.RefinementCtx) {
  const problem = dateProblem(new Date(value));
  if (problem) ctx.addIssue({ code: "custom", message: problem });
}
