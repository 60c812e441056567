import type { AuditEvent } from "@/lib/db/generated/client.ts";
import { AUDIT_EVENT_FIELDS, HASHED_AUDIT_FIELDS, type HashedAuditFields } from "@/sdk/src/contract/audit-event";
import { canonicalJson, sha256Hex } from "@/sdk/src/contract/canonical-json";

export type { HashedAuditFields };

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

type Member = { name: Exclude<keyof HashedAuditFields, "chain">; prefix: string; write: (event: Omit<HashedAuditFields, "chain">) => string; omitWhenNull: boolean };

/**
 * Each hashed field but the chain, in canonical JSON's order, with what goes
 * before its value and how its value is written: the fields are fixed, so
 * only the JSON fields (`details`, `inputs`) need the generic key sorting.
 */
function members(names: readonly (keyof HashedAuditFields)[], first: string): Member[] {
  return names.map((name, index) => ({
    name: name as Exclude<keyof HashedAuditFields, "chain">,
    prefix: `${index === 0 ? first : ","}${JSON.stringify(name)}:`,
    omitWhenNull: AUDIT_EVENT_FIELDS[name].omitWhenNull === true,
    write:
      name === "details" || name === "inputs"
        ? (event) => canonicalJson(event[name] ?? null)
        : name === "ts"
          ? (event) => JSON.stringify(event.ts.toISOString())
          : (event) => JSON.stringify(event[name as Exclude<keyof HashedAuditFields, "chain" | "details" | "inputs" | "ts">]),
  }));
}
const CHAIN_AT = HASHED_AUDIT_FIELDS.indexOf("chain");
const BEFORE_CHAIN = members(HASHED_AUDIT_FIELDS.slice(0, CHAIN_AT), "{");
const AFTER_CHAIN = members(HASHED_AUDIT_FIELDS.slice(CHAIN_AT + 1), ",");
// Every field before the chain is written with its comma; the chain member's own key comes last.
const CHAIN_KEY = `${CHAIN_AT === 0 ? "{" : ","}"chain":`;

function write(event: Omit<HashedAuditFields, "chain">, list: Member[]): string {
  let out = "";
  for (const member of list) {
    if (member.omitWhenNull && event[member.name] == null) continue;
    out += member.prefix + member.write(event);
  }
  return out;
}

/**
 * The canonical JSON of an event around its chain name, so a writer can
 * prepare it before it knows which lane it will be written to. Written field
 * by field from the contract's list rather than through canonicalJson:
 * ingestion does this for every event, and building a sorted copy of each
 * one cost more than hashing it.
 */
export function auditEventCanonicalParts(event: Omit<HashedAuditFields, "chain">): [beforeChain: string, afterChain: string] {
  return [write(event, BEFORE_CHAIN) + CHAIN_KEY, write(event, AFTER_CHAIN) + "}"];
}

export function chainedHash(prevHash: string | null, canonical: string): string {
  return sha256Hex(`${prevHash ?? ""}\n${canonical}`);
}

/** The hashed fields of a stored event, as the verifier recomputes them. */
export function hashedFieldsOf(row: AuditEvent): HashedAuditFields {
  const fields: Record<string, unknown> = {};
  for (const name of HASHED_AUDIT_FIELDS) fields[name] = row[name] ?? null;
  return fields as HashedAuditFields;
}
