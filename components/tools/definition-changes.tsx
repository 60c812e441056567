import type { DefinitionChange } from "@/lib/tools/definition-diff";

const KIND_LABEL = { added: "added", removed: "removed", changed: "changed" } as const;

function Value({ value, tone }: { value: unknown; tone: "before" | "after" }) {
  if (value === undefined) return <span className="text-muted-foreground">—</span>;
  return (
    <pre className={`max-h-48 overflow-auto font-mono text-xs whitespace-pre-wrap [overflow-wrap:anywhere] ${tone === "before" ? "text-destructive line-through" : "text-success"}`}>
      {typeof value === "string" ? value : JSON.stringify(value, null, 2)}
    </pre>
  );
}

/**
 * What changed in a tool's definition, one row per changed path (key order and
 * MCP's defaults already ignored), so a reviewer reads only what moved.
 */
export function DefinitionChanges({ changes, label }: { changes: DefinitionChange[]; label: string }) {
  return (
    <table className="w-full table-fixed text-xs" aria-label={label}>
      <thead>
        <tr className="text-left text-muted-foreground">
          <th scope="col" className="w-1/4 py-1 pr-3 font-medium">
            Path
          </th>
          <th scope="col" className="py-1 pr-3 font-medium">
            Before
          </th>
          <th scope="col" className="py-1 font-medium">
            After
          </th>
        </tr>
      </thead>
      <tbody>
        {changes.map((change) => (
          <tr key={change.path} className="border-t align-top">
            <th scope="row" className="py-1 pr-3 text-left font-mono font-medium [overflow-wrap:anywhere]">
              {change.path} <span className="font-sans font-normal text-muted-foreground">({KIND_LABEL[change.kind]})</span>
            </th>
            <td className="py-1 pr-3">
              <Value value={change.before} tone="before" />
            </td>
            <td className="py-1">
              <Value value={change.after} tone="after" />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
