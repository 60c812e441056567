import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decide } from "@/sdk/src/contract/decide";
import type { PolicySnapshot } from "@/sdk/src/contract/policy";
import { decisionInputsOf, requestFromInputs, type DecisionInputs } from "./inputs";
import { narrower, replayGroups, type ReplayGroup } from "./replay";

const SERVERS = ["sales", "ops"];
const TOOLS = ["read", "refund", "export"];
const ROLES = ["agent", "admin", "auditor"];
const SCOPES = ["s:read", "s:write", "s:admin"];
const CLIENTS = ["https://a.example/c.json", "https://b.example/c.json", "0oa-pre"];
const SUBJECTS = ["alice", "bob", "carol", "dave"];

const subset = <T>(items: T[]) => fc.subarray(items);

const snapshot: fc.Arbitrary<PolicySnapshot> = fc.record({
  environment: fc.constant("prod"),
  version: fc.constant(null),
  tools: fc.uniqueArray(
    fc.record({
      server: fc.constantFrom(...SERVERS),
      name: fc.constantFrom(...TOOLS),
      enabled: fc.boolean(),
      approved: fc.boolean(),
      riskTier: fc.constant("LOW" as const),
      requiresApproval: fc.boolean(),
    }),
    { selector: (tool) => `${tool.server}/${tool.name}` },
  ),
  roles: fc.uniqueArray(
    fc.record({ name: fc.constantFrom(...ROLES), claimName: fc.constantFrom("groups", "roles"), claimValue: fc.constantFrom("g1", "g2", "g3") }),
    { selector: (role) => role.name },
  ),
  grants: fc.array(fc.record({ role: fc.constantFrom(...ROLES), server: fc.constantFrom(...SERVERS), tool: fc.constantFrom(...TOOLS), requiredScopes: subset(SCOPES) }), { maxLength: 12 }),
  clients: fc.uniqueArray(
    fc.record({
      clientId: fc.constantFrom(...CLIENTS),
      status: fc.constantFrom("APPROVED" as const, "PENDING" as const, "SUSPENDED" as const),
      scopeCeiling: subset(SCOPES),
      restrictTools: fc.boolean(),
      allowedTools: subset(SERVERS.flatMap((server) => TOOLS.map((tool) => `${server}/${tool}`))),
    }),
    { selector: (client) => client.clientId },
  ),
});

type Event = { subject: string; clientId: string | null; server: string; tool: string; inputs: DecisionInputs; ts: Date };

const event: fc.Arbitrary<Event> = fc.record({
  subject: fc.constantFrom(...SUBJECTS),
  clientId: fc.option(fc.constantFrom(...CLIENTS), { nil: null }),
  server: fc.constantFrom(...SERVERS),
  tool: fc.constantFrom(...TOOLS, "missing"),
  inputs: fc.record({
    scopes: subset(SCOPES),
    roles: subset(ROLES),
    claims: fc.record({ groups: subset(["g1", "g2", "g3"]), roles: fc.constantFrom("g1", "g2 g3", "none") }, { requiredKeys: [] }),
  }),
  ts: fc.date({ min: new Date("2026-11-25T00:00:00Z"), max: new Date("2026-12-02T00:00:00Z"), noInvalidDate: true }),
});

/** What the SQL grouping does: one group per distinct (subject, client, server, tool, inputs). */
function group(events: Event[]): ReplayGroup[] {
  const groups = new Map<string, ReplayGroup>();
  for (const item of events) {
    const key = JSON.stringify([item.subject, item.clientId, item.server, item.tool, item.inputs]);
    const held = groups.get(key);
    if (held) {
      held.calls += 1;
      if (item.ts > held.lastSeen) held.lastSeen = item.ts;
    } else groups.set(key, { subject: item.subject, clientId: item.clientId, server: item.server, tool: item.tool, inputs: item.inputs, calls: 1, lastSeen: item.ts });
  }
  return [...groups.values()];
}

describe("replaying traffic against a config", () => {
  it("never flips a call when a config is replayed against itself", () => {
    fc.assert(
      fc.property(snapshot, fc.array(event, { maxLength: 60 }), (config, events) => {
        const outcome = replayGroups(config, config, group(events));
        expect(outcome.losesAccess).toEqual([]);
        expect(outcome.gainsAccess).toEqual([]);
        expect(outcome.replayedCalls).toBe(events.length);
      }),
      { numRuns: 300 },
    );
  });

  it("gives the same answer for grouped calls as deciding every call one by one", () => {
    fc.assert(
      fc.property(snapshot, snapshot, fc.array(event, { maxLength: 80 }), (before, after, events) => {
        const outcome = replayGroups(before, after, group(events));
        // The reference: each event decided on its own under both configs.
        const expected = { loses: { calls: 0, subjects: new Set<string>(), last: new Map<string, number>() }, gains: { calls: 0, subjects: new Set<string>(), last: new Map<string, number>() } };
        for (const item of events) {
          const request = requestFromInputs(item, item.inputs);
          const old = decide(before, request);
          const now = decide(after, request);
          if (old.decision === now.decision) continue;
          const side = now.decision === "deny" ? expected.loses : expected.gains;
          side.calls += 1;
          side.subjects.add(item.subject);
          const key = `${item.server}/${item.tool}/${now.reason}`;
          side.last.set(key, Math.max(side.last.get(key) ?? 0, item.ts.getTime()));
        }
        expect(outcome.loses.calls).toBe(expected.loses.calls);
        expect(outcome.gains.calls).toBe(expected.gains.calls);
        expect(outcome.loses.subjects).toBe(expected.loses.subjects.size);
        expect(outcome.gains.subjects).toBe(expected.gains.subjects.size);
        const lastSeen = (groups: typeof outcome.losesAccess) => new Map(groups.map((flip) => [`${flip.server}/${flip.tool}/${flip.newReason}`, new Date(flip.lastSeen).getTime()]));
        expect(lastSeen(outcome.losesAccess)).toEqual(expected.loses.last);
        expect(lastSeen(outcome.gainsAccess)).toEqual(expected.gains.last);
        expect(outcome.losesAccess.reduce((sum, flip) => sum + flip.calls, 0)).toBe(expected.loses.calls);
      }),
      { numRuns: 300 },
    );
  });

  it("decides with a snapshot cut down to the tool, its grants and the client exactly as with the whole snapshot", () => {
    fc.assert(
      fc.property(snapshot, event, (config, item) => {
        const request = requestFromInputs(item, item.inputs);
        expect(decide(narrower(config)(item.server, item.tool, request.clientId), request)).toEqual(decide(config, request));
      }),
      { numRuns: 500 },
    );
  });

  it("names who loses access when a grant is revoked, with the new reason and the calls", () => {
    const before: PolicySnapshot = {
      environment: "prod",
      tools: [{ server: "sales", name: "refund", enabled: true, approved: true, riskTier: "LOW", requiresApproval: false }],
      roles: [{ name: "finance", claimName: "groups", claimValue: "finance" }],
      grants: [{ role: "finance", server: "sales", tool: "refund", requiredScopes: [] }],
      clients: [{ clientId: "https://a.example/c.json", status: "APPROVED", scopeCeiling: [], restrictTools: false, allowedTools: [] }],
    };
    const after = { ...before, grants: [] };
    const inputs = decisionInputsOf(before.roles, { scopes: [], claims: { groups: ["finance"], email: "alice@example.com" } });
    // Only the claim a role mapping reads is kept.
    expect(inputs).toEqual({ scopes: [], roles: [], claims: { groups: ["finance"] } });
    const outcome = replayGroups(before, after, [
      { subject: "alice", clientId: "https://a.example/c.json", server: "sales", tool: "refund", inputs, calls: 3, lastSeen: new Date("2026-12-01T10:00:00Z") },
    ]);
    expect(outcome.losesAccess).toMatchObject([{ server: "sales", tool: "refund", newReason: "no_grant", oldReasons: ["allowed_by_grant"], calls: 3, subjects: ["alice"] }]);
    expect(outcome.loses).toEqual({ calls: 3, subjects: 1, clients: 1, tools: 1, groups: 1 });
    expect(replayGroups(after, before, [{ subject: "alice", clientId: "https://a.example/c.json", server: "sales", tool: "refund", inputs, calls: 3, lastSeen: new Date() }]).gains.calls).toBe(3);
  });
});
