import { toolDefinitionHash } from "@/lib/tools/definition-hash";
import type { RemoteTool } from "./list-remote-tools";

/** A tool as Warden holds it, enough to compare with what a server now lists. */
export type KnownTool = {
  name: string;
  title: string | null;
  description: string | null;
  inputSchema: unknown;
  annotations: unknown;
};

export type FieldChange = { field: "title" | "description" | "inputSchema" | "annotations"; before: unknown; after: unknown };

export type ToolImportChange =
  | { kind: "new"; name: string; remote: RemoteTool }
  | { kind: "changed"; name: string; remote: RemoteTool; fields: FieldChange[] }
  | { kind: "unchanged"; name: string }
  | { kind: "removed"; name: string };

const FIELDS = ["title", "description", "inputSchema", "annotations"] as const;

/**
 * What importing `remote` would do to the tools Warden knows for a server,
 * field by field. "removed" tools are only reported: deleting a tool is the
 * admin's call, never a side effect of an import.
 */
export function diffToolDefinitions(known: KnownTool[], remote: RemoteTool[]): ToolImportChange[] {
  const knownByName = new Map(known.map((tool) => [tool.name, tool]));
  const remoteNames = new Set(remote.map((tool) => tool.name));
  const changes: ToolImportChange[] = remote.map((tool) => {
    const current = knownByName.get(tool.name);
    if (!current) return { kind: "new", name: tool.name, remote: tool };
    if (toolDefinitionHash(current) === toolDefinitionHash(tool)) return { kind: "unchanged", name: tool.name };
    const fields = FIELDS.filter((field) => comparable(field, current[field]) !== comparable(field, tool[field])).map((field) => ({
      field,
      before: current[field] ?? null,
      after: tool[field] ?? null,
    }));
    return { kind: "changed", name: tool.name, remote: tool, fields };
  });
  for (const tool of known) if (!remoteNames.has(tool.name)) changes.push({ kind: "removed", name: tool.name });
  const order = { new: 0, changed: 1, removed: 2, unchanged: 3 } as const;
  return changes.sort((a, b) => order[a.kind] - order[b.kind] || a.name.localeCompare(b.name));
}

// By content, not key order, with the same defaults as the definition hash.
function comparable(field: (typeof FIELDS)[number], value: unknown): string {
  return JSON.stringify(normalise(value ?? (field === "annotations" ? {} : null)));
}

function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, normalise((value as Record<string, unknown>)[key])]));
  }
  return value ?? null;
}
