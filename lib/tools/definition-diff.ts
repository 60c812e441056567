import { canonicalJson } from "@/sdk/src/contract/canonical-json";
import { annotationsOf } from "./schemas";
import type { ToolDefinition } from "./definition-hash";

/** One changed path of a tool definition, e.g. `inputSchema.properties.id.type`. */
export type DefinitionChange = { path: string; kind: "added" | "removed" | "changed"; before?: unknown; after?: unknown };

const TOP_FIELDS = ["title", "description", "inputSchema", "outputSchema", "annotations", "execution", "icons", "meta"] as const;
const FIELD_LABEL: Record<(typeof TOP_FIELDS)[number], string> = {
  title: "title",
  description: "description",
  inputSchema: "inputSchema",
  outputSchema: "outputSchema",
  annotations: "annotations",
  execution: "execution",
  icons: "icons",
  meta: "_meta",
};

// What MCP says a field means when it is absent is not a change: a missing
// hint is its default, a missing title or schema is "none".
function normalised(tool: ToolDefinition): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of TOP_FIELDS) {
    const value = field === "annotations" ? annotationsOf(tool.annotations) : tool[field];
    if (value !== null && value !== undefined) out[FIELD_LABEL[field]] = value;
  }
  return out;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * A semantic diff of two tool definitions, for a human reviewing drift: key
 * order is ignored, MCP's defaults are not presented as changes, and only
 * the paths that differ are listed, in a stable order.
 */
export function diffToolDefinition(before: ToolDefinition, after: ToolDefinition): DefinitionChange[] {
  const changes: DefinitionChange[] = [];
  walk(normalised(before), normalised(after), "", changes);
  return changes;
}

function walk(before: unknown, after: unknown, path: string, changes: DefinitionChange[]) {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) {
      const at = path ? `${path}.${key}` : key;
      if (!(key in before)) changes.push({ path: at, kind: "added", after: after[key] });
      else if (!(key in after)) changes.push({ path: at, kind: "removed", before: before[key] });
      else walk(before[key], after[key], at, changes);
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    for (let index = 0; index < Math.max(before.length, after.length); index++) {
      const at = `${path}[${index}]`;
      if (index >= before.length) changes.push({ path: at, kind: "added", after: after[index] });
      else if (index >= after.length) changes.push({ path: at, kind: "removed", before: before[index] });
      else walk(before[index], after[index], at, changes);
    }
    return;
  }
  if (!sameValue(before, after)) changes.push({ path, kind: "changed", before, after });
}

// Reached only for leaves and for values of different shapes (an object
// against an array, say), so comparing their canonical forms is enough.
function sameValue(a: unknown, b: unknown): boolean {
  return a === b || canonicalJson(a) === canonicalJson(b);
}
