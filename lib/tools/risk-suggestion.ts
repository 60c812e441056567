import type { RiskTier, ToolAnnotations } from "./schemas";

export type RiskSuggestion = { tier: RiskTier; because: string };

/**
 * A starting risk tier read from a tool's MCP hints, which an admin confirms
 * or changes: hints come from the server and are not trusted to decide alone.
 * Absent hints take MCP's defaults (destructive, open world), so a tool that
 * says nothing about itself is suggested as high risk.
 */
export function suggestRiskTier(hints: ToolAnnotations): RiskSuggestion {
  if (hints.readOnlyHint) return { tier: "LOW", because: "it only reads (readOnlyHint)" };
  if (hints.destructiveHint) return { tier: "HIGH", because: "it may destroy or overwrite data (destructiveHint, or no hint at all)" };
  if (hints.openWorldHint) return { tier: "MEDIUM", because: "it reaches systems outside the server (openWorldHint)" };
  return { tier: "LOW", because: "it changes only its own, closed domain" };
}
