import { jsonProblem, MAX_JSON_DEPTH } from "@/sdk/src/contract/input-rules";

// The rules themselves are part of the wire contract (the SDK applies them
// too); this module adds what only the server does with text from outside:
// reading request bodies and batches without letting them overflow the stack.
export {
  dateProblem,
  integerProblem,
  jsonProblem,
  MAX_DATE,
  MAX_JSON_DEPTH,
  MIN_DATE,
  PG_INT_MAX,
  PG_INT_MIN,
  refineDateText,
  refineJson,
  refineText,
  safeInt,
  safeString,
  textProblem,
} from "@/sdk/src/contract/input-rules";

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
