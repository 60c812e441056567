import { contentDigest } from "@/sdk/src/contract/canonical-json";

/** What an admin approves when they approve a tool: everything an agent reads about it. */
export type ToolDefinition = {
  name: string;
  title?: string | null;
  description?: string | null;
  inputSchema: unknown;
  annotations?: unknown;
  outputSchema?: unknown;
  execution?: unknown;
  icons?: unknown;
  meta?: unknown;
};

// Fields added to MCP's tool definition after the first ones: hashed only when
// present, so every tool approved before Warden kept them hashes as it did.
const LATER_FIELDS = ["outputSchema", "execution", "icons", "meta"] as const;

/** The definition an approval pins, as hashed and as stored beside the hash for later review. */
export function approvedDefinition(tool: ToolDefinition): Record<string, unknown> {
  const definition: Record<string, unknown> = {
    name: tool.name,
    title: tool.title ?? null,
    description: tool.description ?? null,
    inputSchema: tool.inputSchema ?? null,
    annotations: tool.annotations ?? {},
  };
  for (const field of LATER_FIELDS) if (tool[field] != null) definition[field] = tool[field];
  return definition;
}

/** The fields of a stored tool that its edit forms and policy files do not carry, kept through an edit. */
export function laterFieldsOf(tool: Partial<Record<(typeof LATER_FIELDS)[number], unknown>>): Pick<ToolDefinition, (typeof LATER_FIELDS)[number]> {
  return { outputSchema: tool.outputSchema ?? null, execution: tool.execution ?? null, icons: tool.icons ?? null, meta: tool.meta ?? null };
}

/**
 * "sha256:<hex>" of the canonical JSON of a tool's definition. A tool whose
 * live definition hashes differently from the one approved has changed since
 * approval (a rug pull or tool poisoning) and stays out of published config.
 */
export function toolDefinitionHash(tool: ToolDefinition): string {
  return contentDigest(approvedDefinition(tool));
}
