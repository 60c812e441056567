import { hash } from "node:crypto";

/**
 * JSON with object keys sorted recursively and no insignificant whitespace, so
 * that the same value always hashes the same, whoever serialised it.
 * `undefined` members are dropped, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : sortKeys(item)));
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === "object") {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined) sorted[key] = sortKeys(member);
    }
    return sorted;
  }
  return value;
}

export function sha256Hex(input: string | Buffer): string {
  // One-shot: audit ingestion hashes every event, and a Hash object per call costs more than the digest.
  return hash("sha256", input, "hex");
}
