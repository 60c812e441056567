import { z } from "zod";

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

/**
 * How deeply a JSON text nests, read without parsing (strings skipped), so a
 * document nested thousands deep is refused before JSON.parse builds it.
 * Returns true when it nests deeper than maxDepth.
 */
export function jsonTextTooDeep(text: string, maxDepth = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c) i++; // backslash: skip the escaped character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x7b || code === 0x5b) {
      if (++depth > maxDepth) return true;
    } else if (code === 0x7d || code === 0x5d) depth--;
  }
  return false;
}

export type JsonTextResult = { ok: true; value: unknown } | { ok: false; error: string };

/** JSON.parse for text from outside: refuses bad syntax, excess depth and unstorable values with a sentence. */
export function parseExternalJson(text: string, maxDepth = MAX_JSON_DEPTH): JsonTextResult {
  if (jsonTextTooDeep(text, maxDepth)) return { ok: false, error: `The JSON is nested deeper than ${maxDepth} levels.` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: "The body is not valid JSON." };
  }
  const problem = jsonProblem(value, maxDepth);
  return problem ? { ok: false, error: `The JSON is not acceptable: ${problem}.` } : { ok: true, value };
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

/** Stands in a batch for an item nested too deep to be parsed, so the other items keep their places. */
export class JsonItemTooDeep {
  constructor(readonly maxDepth: number) {}
}

/**
 * parseExternalJson for a batch whose items are judged one by one, such as
 * `{"events": [item, item, …]}`: the envelope (an object or array holding
 * arrays) may nest two levels, and each item of those arrays up to
 * `itemMaxDepth` more. An item nested deeper is cut out of the text before
 * JSON.parse builds it and stands as a JsonItemTooDeep, so one hostile item
 * costs neither the parse nor the other items. The items' strings are not
 * checked here: each item's own schema applies the text rules and rejects it
 * alone.
 */
export function parseExternalJsonBatch(text: string, itemMaxDepth = MAX_JSON_DEPTH): JsonTextResult {
  const ENVELOPE_DEPTH = 2;
  const cuts: [start: number, end: number][] = [];
  const kinds: number[] = [];
  let depth = 0;
  let itemStart = -1;
  let itemTooDeep = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) {
      // Most of a batch is string content: jump to the closing quote (one not escaped by an odd run of backslashes).
      let end = text.indexOf('"', i + 1);
      while (end !== -1) {
        let backslashes = 0;
        while (text.charCodeAt(end - 1 - backslashes) === 0x5c) backslashes++;
        if (backslashes % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      if (end === -1) break;
      i = end;
    } else if (code === 0x7b || code === 0x5b) {
      depth++;
      if (depth <= ENVELOPE_DEPTH) kinds[depth] = code;
      else if (depth === ENVELOPE_DEPTH + 1 && kinds[ENVELOPE_DEPTH] === 0x5b) {
        itemStart = i;
        itemTooDeep = false;
      } else if (itemStart < 0) {
        // Outside any item (an object inside the envelope's object): the plain rule.
        if (depth > MAX_JSON_DEPTH) return { ok: false, error: `The JSON is nested deeper than ${MAX_JSON_DEPTH} levels.` };
      }
      if (itemStart >= 0 && depth - ENVELOPE_DEPTH > itemMaxDepth) itemTooDeep = true;
    } else if (code === 0x7d || code === 0x5d) {
      if (depth === ENVELOPE_DEPTH + 1 && itemStart >= 0) {
        if (itemTooDeep) cuts.push([itemStart, i + 1]);
        itemStart = -1;
      }
      depth--;
    }
  }
  // An item that never closes cannot be cut out; the text is not JSON anyway.
  if (itemStart >= 0 && itemTooDeep) return { ok: false, error: "The body is not valid JSON." };
  if (cuts.length === 0) return parseJson(text);
  // A placeholder no sender can guess marks where each cut item stood.
  const placeholder = `too-deep-${globalThis.crypto.randomUUID()}`;
  let cutText = "";
  let from = 0;
  for (const [start, end] of cuts) {
    cutText += `${text.slice(from, start)}"${placeholder}"`;
    from = end;
  }
  const parsed = parseJson(cutText + text.slice(from));
  if (!parsed.ok) return parsed;
  const marker = new JsonItemTooDeep(itemMaxDepth);
  const envelope = parsed.value;
  if (envelope !== null && typeof envelope === "object") {
    for (const member of Object.values(envelope)) {
      if (!Array.isArray(member)) continue;
      member.forEach((item, index) => {
        if (item === placeholder) member[index] = marker;
      });
    }
  }
  return parsed;
}

function parseJson(text: string): JsonTextResult {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, error: "The body is not valid JSON." };
  }
}
