// Pure: which recorded calls would a change of config decide differently?
// The grouping happens in SQL (lib/impact/impact.ts); this decides each group
// of identical inputs once per config, so the work grows with the number of
// distinct callers, not with the traffic.
import { decide } from "@/sdk/src/contract/decide";
import type { Decision, DecisionReason, PolicySnapshot } from "@/sdk/src/contract/policy";
import { requestFromInputs, type DecisionInputs } from "@/sdk/src/contract/decision-inputs";

/** Calls with identical decision inputs: the same subject, client, server, tool, scopes, roles and mapped claims. */
export type ReplayGroup = {
  subject: string;
  clientId: string | null;
  server: string;
  tool: string;
  inputs: DecisionInputs;
  calls: number;
  lastSeen: Date;
  /** The inputs as one string, equal for equal inputs (the stored JSON text); computed when absent. */
  inputsKey?: string;
};

export type FlipDirection = "loses" | "gains";

/** One caller whose calls flip: who, through which agent, with what token. */
export type FlipEntry = {
  subject: string;
  clientId: string | null;
  inputs: DecisionInputs;
  calls: number;
  lastSeen: string;
};

/** Flips of one tool to one new reason, in one direction. */
export type FlipGroup = {
  direction: FlipDirection;
  server: string;
  tool: string;
  /** Why the new config decides as it does (allowed_by_grant for gains). */
  newReason: DecisionReason;
  /** Why the old config decided as it did. */
  oldReasons: DecisionReason[];
  calls: number;
  lastSeen: string;
  subjects: string[];
  clients: string[];
  /** The callers, most calls first; capped at MAX_ENTRIES_PER_GROUP. */
  entries: FlipEntry[];
  /** Callers left out of entries. */
  moreEntries: number;
};

export type FlipTotals = { calls: number; subjects: number; clients: number; tools: number; groups: number };

export type ReplayOutcome = {
  losesAccess: FlipGroup[];
  gainsAccess: FlipGroup[];
  loses: FlipTotals;
  gains: FlipTotals;
  /** Calls (and distinct input groups) that were decided twice. */
  replayedCalls: number;
  replayedGroups: number;
};

export const MAX_ENTRIES_PER_GROUP = 50;

/** Decides every group under both configs and collects the ones whose decision flips. */
export function replayGroups(before: PolicySnapshot, after: PolicySnapshot, groups: Iterable<ReplayGroup>): ReplayOutcome {
  type Acc = { group: Omit<FlipGroup, "entries" | "moreEntries" | "lastSeen" | "subjects" | "clients" | "oldReasons">; lastSeen: number; subjects: Set<string>; clients: Set<string>; oldReasons: Set<DecisionReason>; entries: FlipEntry[] };
  const flips = new Map<string, Acc>();
  const decided = new Map<string, { old: Decision; now: Decision }>();
  const narrowBefore = narrower(before);
  const narrowAfter = narrower(after);
  let replayedCalls = 0;
  let replayedGroups = 0;
  for (const group of groups) {
    replayedCalls += group.calls;
    replayedGroups += 1;
    // The subject is recorded, never used to decide: callers with the same client, tool and token share one pair of decisions.
    const key = `${group.clientId ?? ""}\u0000${group.server}\u0000${group.tool}\u0000${group.inputsKey ?? JSON.stringify(group.inputs)}`;
    let pair = decided.get(key);
    if (!pair) {
      const request = requestFromInputs(group, group.inputs);
      pair = { old: decide(narrowBefore(group.server, group.tool, request.clientId), request), now: decide(narrowAfter(group.server, group.tool, request.clientId), request) };
      decided.set(key, pair);
    }
    const { old, now } = pair;
    if (old.decision === now.decision) continue;
    const direction: FlipDirection = now.decision === "deny" ? "loses" : "gains";
    const flipKey = `${direction}\u0000${group.server}\u0000${group.tool}\u0000${now.reason}`;
    let acc = flips.get(flipKey);
    if (!acc) {
      acc = {
        group: { direction, server: group.server, tool: group.tool, newReason: now.reason, calls: 0 },
        lastSeen: 0,
        subjects: new Set(),
        clients: new Set(),
        oldReasons: new Set(),
        entries: [],
      };
      flips.set(flipKey, acc);
    }
    acc.group.calls += group.calls;
    acc.lastSeen = Math.max(acc.lastSeen, group.lastSeen.getTime());
    acc.subjects.add(group.subject);
    if (group.clientId) acc.clients.add(group.clientId);
    acc.oldReasons.add(old.reason);
    acc.entries.push({ subject: group.subject, clientId: group.clientId, inputs: group.inputs, calls: group.calls, lastSeen: group.lastSeen.toISOString() });
  }

  const finished = [...flips.values()].map((acc): FlipGroup => {
    // The same subject through the same client with other tokens is one caller to a reader: merge by (subject, client).
    const byCaller = new Map<string, FlipEntry>();
    for (const entry of acc.entries) {
      const key = `${entry.subject}\u0000${entry.clientId ?? ""}`;
      const held = byCaller.get(key);
      if (!held) byCaller.set(key, { ...entry });
      else {
        held.calls += entry.calls;
        if (entry.lastSeen > held.lastSeen) Object.assign(held, { lastSeen: entry.lastSeen, inputs: entry.inputs });
      }
    }
    const entries = [...byCaller.values()].sort((a, b) => b.calls - a.calls || compare(a.subject, b.subject) || compare(a.clientId ?? "", b.clientId ?? ""));
    return {
      ...acc.group,
      oldReasons: [...acc.oldReasons].sort(),
      lastSeen: new Date(acc.lastSeen).toISOString(),
      subjects: [...acc.subjects].sort(),
      clients: [...acc.clients].sort(),
      entries: entries.slice(0, MAX_ENTRIES_PER_GROUP),
      moreEntries: Math.max(0, entries.length - MAX_ENTRIES_PER_GROUP),
    };
  });
  const order = (a: FlipGroup, b: FlipGroup) => b.calls - a.calls || compare(a.server, b.server) || compare(a.tool, b.tool) || compare(a.newReason, b.newReason);
  const losesAccess = finished.filter((group) => group.direction === "loses").sort(order);
  const gainsAccess = finished.filter((group) => group.direction === "gains").sort(order);
  return { losesAccess, gainsAccess, loses: totals(losesAccess), gains: totals(gainsAccess), replayedCalls, replayedGroups };
}

/**
 * decide() looks at the named tool, the grants of that tool, the caller's
 * client and every role, and at nothing else: a snapshot cut down to those
 * decides exactly as the whole one does (the property tests hold it to that),
 * and costs a few lookups instead of scans over every tool, grant and client.
 */
export function narrower(snapshot: PolicySnapshot): (server: string, tool: string, clientId: string) => PolicySnapshot {
  const tools = new Map<string, PolicySnapshot["tools"]>();
  for (const item of snapshot.tools) {
    const key = `${item.server}\u0000${item.name}`;
    // decide() takes the first match; keep them all, in order, so a duplicate would read the same.
    tools.set(key, [...(tools.get(key) ?? []), item]);
  }
  const grants = new Map<string, PolicySnapshot["grants"]>();
  for (const grant of snapshot.grants) {
    const key = `${grant.server}\u0000${grant.tool}`;
    grants.set(key, [...(grants.get(key) ?? []), grant]);
  }
  const clients = new Map<string, PolicySnapshot["clients"]>();
  for (const client of snapshot.clients) clients.set(client.clientId, [...(clients.get(client.clientId) ?? []), client]);
  const cache = new Map<string, PolicySnapshot>();
  return (server, tool, clientId) => {
    const toolKey = `${server}\u0000${tool}`;
    const key = `${toolKey}\u0000${clientId}`;
    let narrowed = cache.get(key);
    if (!narrowed) {
      narrowed = { ...snapshot, tools: tools.get(toolKey) ?? [], grants: grants.get(toolKey) ?? [], clients: clients.get(clientId) ?? [] };
      cache.set(key, narrowed);
    }
    return narrowed;
  };
}

function totals(groups: FlipGroup[]): FlipTotals {
  const subjects = new Set<string>();
  const clients = new Set<string>();
  const tools = new Set<string>();
  let calls = 0;
  for (const group of groups) {
    calls += group.calls;
    group.subjects.forEach((subject) => subjects.add(subject));
    group.clients.forEach((client) => clients.add(client));
    tools.add(`${group.server}/${group.tool}`);
  }
  return { calls, subjects: subjects.size, clients: clients.size, tools: tools.size, groups: groups.length };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
