import { v7 as uuidv7 } from "uuid";

/**
 * The shapes of the audit trail the benchmarks fill: the distributions of a
 * busy fleet (about 1,000 users, 50 agent clients, 20 servers × 10 tools,
 * 80/20 allow/deny). One definition, so the SQL fill of the browse benchmark
 * and the events the ingest benchmark sends look alike.
 */
export const USERS = 1_000;
export const CLIENTS = 50;
export const SERVERS = 20;
export const TOOLS_PER_SERVER = 10;

export const userName = (i: number) => `user-${i}@example.com`;
export const clientUrl = (i: number) => `https://agent-${i}.example.com/oauth/client-metadata.json`;
export const serverName = (i: number) => `server-${i}`;
export const toolName = (i: number) => `tool_${i}`;
export const DENY_REASONS = ["missing scope tools:write", "client not approved", "tool disabled", "no role grants this tool", "approval rejected"];

/** One event as an MCP server's SDK sends it to POST /api/v1/audit-events. */
export type SentEvent = {
  id: string;
  ts: string;
  actor: string;
  clientId: string;
  server: string;
  tool: string;
  action: string;
  decision: "allow" | "deny";
  reason: string;
  configVersion: number;
  requestId: string;
  ip: string;
  details: Record<string, unknown>;
};

/** A tool-call decision of server `server`, as the SDK reports it (dated within the last minute). */
export function sentEvent(random: () => number, server: string, now = Date.now()): SentEvent {
  const user = Math.floor(random() * USERS);
  const deny = random() < 0.2;
  const tool = toolName(Math.floor(random() * TOOLS_PER_SERVER));
  return {
    id: uuidv7(),
    ts: new Date(now - Math.floor(random() * 60_000)).toISOString(),
    actor: userName(user),
    clientId: clientUrl(Math.floor(random() * CLIENTS)),
    server,
    tool,
    action: "tool.call",
    decision: deny ? "deny" : "allow",
    reason: deny ? DENY_REASONS[Math.floor(random() * DENY_REASONS.length)]! : `granted to role analyst by ${tool}`,
    configVersion: 42,
    requestId: `req-${Math.floor(random() * 1e12).toString(36)}`,
    ip: `10.${user % 256}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`,
    details: { arguments: { invoiceId: `INV-${Math.floor(random() * 1e6)}`, limit: 50 }, durationMs: Math.floor(random() * 500) },
  };
}
