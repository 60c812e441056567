// The wire contract between Warden and the MCP servers that use it: the
// config document and its signature, the policy and decide(), the audit
// event and its limits, canonical JSON and redaction. Warden's server and
// this SDK both import it, and nothing else crosses the process boundary.
// It depends on zod and Node's crypto only.
export * from "./audit-event.ts";
export * from "./canonical-json.ts";
export * from "./config-document.ts";
export * from "./decide.ts";
export * from "./input-rules.ts";
export * from "./policy.ts";
export * from "./redact.ts";
