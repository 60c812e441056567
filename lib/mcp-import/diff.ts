import { diffToolDefinition, type DefinitionChange } from "@/lib/tools/definition-diff";
import type { RemoteTool } from "./list-remote-tools";

/** A tool as Warden holds it, enough to compare with what a server now lists. */
export type KnownTool = {
  name: string;
  title: string | null;
  description: string | null;
  inputSchema: unknown;
  annotations: unknown;
  outputSchema?: unknown;
  execution?: unknown;
  icons?: unknown;
  meta?: unknown;
};

export type ToolImportChange =
  | { kind: "new"; name: string; remote: RemoteTool }
  | { kind: "changed"; name: string; remote: RemoteTool; /** The top-level fields that differ. */ fields: string[]; /** Each changed path, for review. */ changes: DefinitionChange[] }
  | { kind: "unchanged"; name: string }
  | { kind: "removed"; name: string };

/**
 * What importing `remote` would do to the tools Warden knows for a server,
 * path by path. "removed" tools are only reported: deleting a tool is the
 * admin's call, never a side effect of an import.
 */
export function diffToolDefinitions(known: KnownTool[], remote: RemoteTool[]): ToolImportChange[] {
  const knownByName = new Map(known.map((tool) => [tool.name, tool]));
  const remoteNames = new Set(remote.map((tool) => tool.name));
  const changes: ToolImportChange[] = remote.map((tool) => {
    const current = knownByName.get(tool.name);
    if (!current) return { kind: "new", name: tool.name, remote: tool };
    const differences = diffToolDefinition(current, tool);
    if (differences.length === 0) return { kind: "unchanged", name: tool.name };
    const fields = [...new Set(differences.map((change) => change.path.split(/[.[]/)[0]!))];
    return { kind: "changed", name: tool.name, remote: tool, fields, changes: differences };
  });
  for (const tool of known) if (!remoteNames.has(tool.name)) changes.push({ kind: "removed", name: tool.name });
  const order = { new: 0, changed: 1, removed: 2, unchanged: 3 } as const;
  return changes.sort((a, b) => order[a.kind] - order[b.kind] || a.name.localeCompare(b.name));
}
