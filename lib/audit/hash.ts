import { canonicalJson, sha256Hex } from "@/lib/crypto/canonical-json";
import type { AuditEvent } from "@/lib/db/generated/client.ts";

/** The fields an audit event's hash covers: everything but its storage bookkeeping. */
export type HashedAuditFields = {
  id: string;
  chain: string;
  ts: Date;
  environmentId: string | null;
  source: "admin" | "mcp";
  actor: string;
  actorLabel: string | null;
  clientId: string | null;
  server: string | null;
  tool: string | null;
  action: string;
  target: string | null;
  decision: "allow" | "deny" | "error" | null;
  reason: string | null;
  configVersion: number | null;
  requestId: string | null;
  ip: string | null;
  details: unknown;
};

/** sha256(prevHash + canonical JSON of the event), hex. The first event of a chain has prevHash "". */
export function auditEventHash(prevHash: string | null, event: HashedAuditFields): string {
  return chainedHash(prevHash, auditEventCanonicalJson(event));
}

/** The part of an event's hash input that does not depend on its predecessor, so writers can prepare it before taking the chain lock. */
export function auditEventCanonicalJson(event: HashedAuditFields): string {
  return canonicalJson({ ...event, ts: event.ts.toISOString() });
}

export function chainedHash(prevHash: string | null, canonical: string): string {
  return sha256Hex(`${prevHash ?? ""}\n${canonical}`);
}

/** The hashed fields of a stored event, as the verifier recomputes them. */
export function hashedFieldsOf(row: AuditEvent): HashedAuditFields {
  return {
    id: row.id,
    chain: row.chain,
    ts: row.ts,
    environmentId: row.environmentId,
    source: row.source,
    actor: row.actor,
    actorLabel: row.actorLabel,
    clientId: row.clientId,
    server: row.server,
    tool: row.tool,
    action: row.action,
    target: row.target,
    decision: row.decision,
    reason: row.reason,
    configVersion: row.configVersion,
    requestId: row.requestId,
    ip: row.ip,
    details: row.details ?? null,
  };
}
