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
  /** Decision inputs; covered by the hash only when present, so events stored before they existed keep their hash. */
  inputs?: unknown;
};

/** sha256(prevHash + canonical JSON of the event), hex. The first event of a chain has prevHash "". */
export function auditEventHash(prevHash: string | null, event: HashedAuditFields): string {
  return chainedHash(prevHash, auditEventCanonicalJson(event));
}

/**
 * The part of an event's hash input that does not depend on its predecessor:
 * `canonicalJson({ ...event, ts: ISO string })`. A test holds the two forms
 * byte for byte equal.
 */
export function auditEventCanonicalJson(event: HashedAuditFields): string {
  const [beforeChain, afterChain] = auditEventCanonicalParts(event);
  return beforeChain + JSON.stringify(event.chain) + afterChain;
}

/**
 * The canonical JSON of an event around its chain name, so a writer can
 * prepare it before it knows which lane it will be written to. Written out
 * field by field: the fields are fixed and in sorted order, so only
 * `details` needs the generic key sorting. Ingestion does this for every
 * event, and building a sorted copy of each one cost more than hashing it.
 */
export function auditEventCanonicalParts(event: Omit<HashedAuditFields, "chain">): [beforeChain: string, afterChain: string] {
  const json = JSON.stringify;
  return [
    `{"action":${json(event.action)},"actor":${json(event.actor)},"actorLabel":${json(event.actorLabel)},"chain":`,
    `,"clientId":${json(event.clientId)},"configVersion":${json(event.configVersion)},"decision":${json(event.decision)}` +
      `,"details":${canonicalJson(event.details ?? null)},"environmentId":${json(event.environmentId)},"id":${json(event.id)}` +
      (event.inputs != null ? `,"inputs":${canonicalJson(event.inputs)}` : "") +
      `,"ip":${json(event.ip)}` +
      `,"reason":${json(event.reason)},"requestId":${json(event.requestId)},"server":${json(event.server)},"source":${json(event.source)}` +
      `,"target":${json(event.target)},"tool":${json(event.tool)},"ts":${json(event.ts.toISOString())}}`,
  ];
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
    inputs: row.inputs ?? null,
  };
}
