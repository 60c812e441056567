import { hash } from "node:crypto";

/**
 * JSON with object keys sorted recursively and no insignificant whitespace, so
 * that the same value always hashes the same, whoever serialised it.
 * `undefined` members are dropped, as JSON.stringify does.
 *
 * Written with an explicit stack rather than recursion: a value nested deeper
 * than the call stack (a hostile document, a bug) must give its hash, not a
 * RangeError. Its output is byte for byte what the earlier recursive version
 * (sort the keys of a copy, then JSON.stringify it) wrote, hashes stored in
 * audit chains and config versions included; the test keeps that version as
 * the reference.
 */
export function canonicalJson(value: unknown): string {
  // JSON.stringify writes nothing (undefined) for these at the top level.
  if (value === undefined || typeof value === "function" || typeof value === "symbol") return JSON.stringify(value);
  let out = "";
  const stack: Frame[] = [];
  let current: unknown = value;
  for (;;) {
    // Write the current value: a scalar whole, a container's opening bracket.
    if (typeof current === "string") out += quote(current);
    else if (typeof current === "number") out += Number.isFinite(current) ? String(current) : "null";
    else if (current === null) out += "null";
    else if (typeof current === "boolean") out += current ? "true" : "false";
    else if (current instanceof Date) out += quote(current.toISOString());
    else if (Array.isArray(current)) {
      stack.push({ items: current, object: null, keys: null, index: 0, written: 0 });
      out += "[";
    } else if (typeof current === "object") {
      stack.push({ items: null, object: current as Record<string, unknown>, keys: sortedKeys(current), index: 0, written: 0 });
      out += "{";
    } else out += JSON.stringify(current); // a bigint throws, as it always did

    // Find the next value to write, closing every container that has no more.
    let found = false;
    while (!found && stack.length) {
      const frame = stack[stack.length - 1]!;
      if (frame.items) {
        if (frame.index < frame.items.length) {
          if (frame.index > 0) out += ",";
          const item = frame.items[frame.index++];
          // An array keeps its length: what JSON cannot write there becomes null.
          current = item === undefined || typeof item === "function" || typeof item === "symbol" ? null : item;
          found = true;
        } else {
          out += "]";
          stack.pop();
        }
      } else {
        const keys = frame.keys!;
        while (frame.index < keys.length) {
          const key = keys[frame.index++]!;
          const member = frame.object![key];
          // Dropped, as JSON.stringify drops them. A "__proto__" key was always
          // dropped too: copying it onto a plain object set the copy's
          // prototype instead of a member, and stored hashes depend on that.
          if (member === undefined || typeof member === "function" || typeof member === "symbol" || key === "__proto__") continue;
          if (frame.written++) out += ",";
          out += quote(key);
          out += ":";
          current = member;
          found = true;
          break;
        }
        if (!found) {
          out += "}";
          stack.pop();
        }
      }
    }
    if (!found) return out;
  }
}

// One shape for both kinds of container, so the loop stays monomorphic.
type Frame = { items: readonly unknown[] | null; object: Record<string, unknown> | null; keys: string[] | null; index: number; written: number };

// What JSON.stringify escapes (quote, backslash, control characters) or may
// (surrogates: a lone one is escaped). Most keys and values have none, and
// skipping the call for them keeps this as fast as the recursive version.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/**
 * Keys in code-unit order, except that integer-like keys ("0", "10") come
 * first in numeric order: a JavaScript object enumerates them so, and the
 * sorted copy the earlier version stringified did.
 */
function sortedKeys(object: object): string[] {
  const keys = Object.keys(object).sort();
  let indices: string[] | null = null;
  for (const key of keys) {
    const first = key.charCodeAt(0);
    if (first >= 0x30 && first <= 0x39 && isArrayIndex(key)) (indices ??= []).push(key);
  }
  if (!indices) return keys;
  indices.sort((a, b) => Number(a) - Number(b));
  return [...indices, ...keys.filter((key) => !isArrayIndex(key))];
}

const MAX_ARRAY_INDEX = 2 ** 32 - 2;
function isArrayIndex(key: string): boolean {
  return /^(?:0|[1-9][0-9]{0,9})$/.test(key) && Number(key) <= MAX_ARRAY_INDEX;
}

export function sha256Hex(input: string | Buffer): string {
  // One-shot: audit ingestion hashes every event, and a Hash object per call costs more than the digest.
  return hash("sha256", input, "hex");
}

/** How a content digest is written on the wire and in the database: "sha256:" and 64 lower-case hex digits. */
export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

/**
 * "sha256:<hex>" of a value's canonical JSON: the digest of a config's
 * content, a tool's definition, a call's arguments. Equal values give equal
 * digests, whoever serialised them and in whatever key order.
 */
export function contentDigest(value: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(value))}`;
}
