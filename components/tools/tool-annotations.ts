import type { ToolAnnotations } from "@/lib/tools/schemas";

/** The MCP annotations a tool form edits, in the order it shows them. */
export const ANNOTATION_LABELS: Record<keyof ToolAnnotations, { label: string; hint: string }> = {
  readOnlyHint: { label: "Read-only", hint: "The tool does not modify its environment." },
  destructiveHint: { label: "Destructive", hint: "It may delete or overwrite (meaningful when not read-only)." },
  idempotentHint: { label: "Idempotent", hint: "Calling it twice with the same arguments has no extra effect." },
  openWorldHint: { label: "Open world", hint: "It reaches outside systems (the web, other services)." },
};

export const ANNOTATION_KEYS = Object.keys(ANNOTATION_LABELS) as (keyof ToolAnnotations)[];
