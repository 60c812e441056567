import type { DecisionReason } from "@/sdk/src/contract/policy";

/** Each reason code in a few plain words, for headings, tables and filters. */
export const DECISION_REASON_LABELS: Record<DecisionReason, string> = {
  allowed_by_grant: "Allowed by a role's grant",
  unknown_tool: "No such tool",
  tool_disabled: "The tool is disabled",
  tool_changed_since_approval: "The tool's current definition is not approved",
  unknown_client: "The client is not registered",
  client_not_approved: "The client is not approved",
  client_tool_not_allowed: "The client may not use this tool",
  no_grant: "No role of the subject grants this tool",
  missing_scope: "The token lacks a required scope",
};
