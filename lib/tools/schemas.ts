import { z } from "zod";

// Tool field rules and constants with no server dependency, so the tool
// editor and the import preview in the browser use exactly what the server checks.

export const RISK_TIERS = ["LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;
export type RiskTier = (typeof RISK_TIERS)[number];

/** MCP tool names: 1–128 characters of letters, digits, "_", "-" and ".". */
export const ToolNameSchema = z
  .string()
  .trim()
  .min(1, "Enter a name.")
  .max(128, "A tool name has at most 128 characters.")
  .regex(/^[A-Za-z0-9_.-]{1,128}$/, 'Use only letters, digits, "_", "-" and "." (no spaces).');

/** MCP tool annotations: hints for clients, which Warden stores as given. */
export const ToolAnnotationsSchema = z.object({
  readOnlyHint: z.boolean(),
  destructiveHint: z.boolean(),
  idempotentHint: z.boolean(),
  openWorldHint: z.boolean(),
});
export type ToolAnnotations = z.infer<typeof ToolAnnotationsSchema>;

/** MCP's defaults for hints a server left out: assume the worst about side effects. */
export const DEFAULT_ANNOTATIONS: ToolAnnotations = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true };

export function annotationsOf(value: unknown): ToolAnnotations {
  const stored = (typeof value === "object" && value !== null ? value : {}) as Partial<Record<keyof ToolAnnotations, unknown>>;
  const pick = (key: keyof ToolAnnotations) => (typeof stored[key] === "boolean" ? stored[key] : DEFAULT_ANNOTATIONS[key]);
  return { readOnlyHint: pick("readOnlyHint"), destructiveHint: pick("destructiveHint"), idempotentHint: pick("idempotentHint"), openWorldHint: pick("openWorldHint") };
}
