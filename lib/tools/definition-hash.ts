import { canonicalJson, sha256Hex } from "@/lib/crypto/canonical-json";

/** What an admin approves when they approve a tool: everything an agent reads about it. */
export type ToolDefinition = {
  name: string;
  title?: string | null;
  description?: string | null;
  inputSchema: unknown;
  annotations?: unknown;
};

/**
 * "sha256:<hex>" of the canonical JSON of a tool's definition. A tool whose
 * live definition hashes differently from the one approved has changed since
 * approval (a rug pull or tool poisoning) and stays out of published config.
 */
export function toolDefinitionHash(tool: ToolDefinition): string {
  return `sha256:${sha256Hex(
    canonicalJson({
      name: tool.name,
      title: tool.title ?? null,
      description: tool.description ?? null,
      inputSchema: tool.inputSchema ?? null,
      annotations: tool.annotations ?? {},
    }),
  )}`;
}
