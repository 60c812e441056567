import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decide, qualifiedToolName, rolesFromClaims } from "../../src/contract/decide.ts";
import type { Decision, DecisionRequest, PolicyClient, PolicyGrant, PolicySnapshot, PolicyTool } from "../../src/contract/policy.ts";

// ---------- a small world, for the examples ----------

const tool = (server: string, name: string, extra: Partial<PolicyTool> = {}): PolicyTool => ({
  server, name, enabled: true, approved: true, riskTier: "LOW", requiresApproval: false, ...extra,
});
const client = (clientId: string, extra: Partial<PolicyClient> = {}): PolicyClient => ({
  clientId, status: "APPROVED", scopeCeiling: [], restrictTools: false, allowedTools: [], ...extra,
});
const AGENT = "https://agent.example/client.json";

function world(extra: Partial<PolicySnapshot> = {}): PolicySnapshot {
  return {
    environment: "prod",
    version: 7,
    tools: [tool("sales", "read_orders"), tool("sales", "refund", { riskTier: "HIGH", requiresApproval: true })],
    roles: [
      { name: "analyst", claimName: "groups", claimValue: "sales-analysts" },
      { name: "manager", claimName: "roles", claimValue: "sales.manager" },
    ],
    grants: [
      { role: "analyst", server: "sales", tool: "read_orders", requiredScopes: ["tools:sales.read"] },
      { role: "manager", server: "sales", tool: "read_orders", requiredScopes: [] },
      { role: "manager", server: "sales", tool: "refund", requiredScopes: ["tools:sales.write", "tools:sales.read"] },
    ],
    clients: [client(AGENT)],
    ...extra,
  };
}
const ask = (extra: Partial<DecisionRequest> = {}): DecisionRequest => ({
  subject: "user-1", clientId: AGENT, server: "sales", tool: "read_orders", scopes: ["tools:sales.read"], roles: ["analyst"], ...extra,
});

describe("decide: one example per reason", () => {
  it("allows through a grant whose scopes the token carries, and says which grant", () => {
    expect(decide(world(), ask())).toEqual({
      decision: "allow",
      reason: "allowed_by_grant",
      message: "Allowed by the grant of sales/read_orders to role analyst, with the scopes tools:sales.read.",
      grant: { role: "analyst", server: "sales", tool: "read_orders", requiredScopes: ["tools:sales.read"] },
      matchedRoles: ["analyst"],
      effectiveScopes: ["tools:sales.read"],
      requiresApproval: false,
      configVersion: 7,
    } satisfies Decision);
  });

  it("prefers the grant needing the fewest scopes, and reports a draft as version null", () => {
    const decision = decide(world({ version: null }), ask({ roles: ["analyst", "manager"] }));
    expect(decision).toMatchObject({ decision: "allow", grant: { role: "manager", requiredScopes: [] }, configVersion: null });
    expect(decision.message).toContain("which needs no scope");
  });

  it("allows a tool that needs human approval, and flags it", () => {
    const decision = decide(world(), ask({ tool: "refund", roles: ["manager"], scopes: ["tools:sales.read", "tools:sales.write"] }));
    expect(decision).toMatchObject({ decision: "allow", requiresApproval: true });
    expect(decision.message).toContain("waits for a human's approval");
  });

  it("denies an unknown tool, and a known tool name on another server", () => {
    expect(decide(world(), ask({ tool: "delete_everything" }))).toMatchObject({ decision: "deny", reason: "unknown_tool" });
    expect(decide(world(), ask({ server: "hr" }))).toMatchObject({
      decision: "deny",
      reason: "unknown_tool",
      message: 'There is no tool "read_orders" on server "hr" in prod.',
    });
  });

  it("denies a disabled tool even to a role with a grant", () => {
    const snapshot = world({ tools: [tool("sales", "read_orders", { enabled: false })] });
    expect(decide(snapshot, ask())).toMatchObject({ decision: "deny", reason: "tool_disabled", message: "sales/read_orders is disabled, so nobody may call it." });
  });

  it("denies a tool whose definition is not the approved one", () => {
    const snapshot = world({ tools: [tool("sales", "read_orders", { approved: false })] });
    expect(decide(snapshot, ask())).toMatchObject({ decision: "deny", reason: "tool_changed_since_approval" });
  });

  it("denies an unregistered client, comparing client ids exactly", () => {
    expect(decide(world(), ask({ clientId: "https://other.example/client.json" }))).toMatchObject({ decision: "deny", reason: "unknown_client" });
    expect(decide(world(), ask({ clientId: AGENT.toUpperCase() }))).toMatchObject({ decision: "deny", reason: "unknown_client" });
  });

  it.each([
    ["PENDING", "pending review"],
    ["REJECTED", "rejected"],
    ["SUSPENDED", "suspended"],
  ] as const)("denies a %s client", (status, words) => {
    const decision = decide(world({ clients: [client(AGENT, { status })] }), ask());
    expect(decision).toMatchObject({ decision: "deny", reason: "client_not_approved" });
    expect(decision.message).toContain(`is ${words}`);
  });

  it("denies a tool outside a restricted client's list, and allows one inside it by its server/tool name", () => {
    const only = (allowedTools: string[]) => world({ clients: [client(AGENT, { restrictTools: true, allowedTools })] });
    expect(decide(only([]), ask())).toMatchObject({ decision: "deny", reason: "client_tool_not_allowed" });
    expect(decide(only(["read_orders"]), ask())).toMatchObject({ decision: "deny", reason: "client_tool_not_allowed" });
    expect(decide(only(["sales/refund"]), ask())).toMatchObject({ decision: "deny", reason: "client_tool_not_allowed" });
    expect(decide(only([qualifiedToolName("sales", "read_orders")]), ask())).toMatchObject({ decision: "allow" });
    // Without restrictTools the list is not consulted.
    expect(decide(world({ clients: [client(AGENT, { allowedTools: ["sales/refund"] })] }), ask())).toMatchObject({ decision: "allow" });
  });

  it("denies a subject without roles, and one whose roles have no grant for the tool", () => {
    expect(decide(world(), ask({ roles: [] }))).toMatchObject({
      decision: "deny",
      reason: "no_grant",
      matchedRoles: [],
      message: "The subject holds no role in prod, and calling sales/read_orders needs a role with a grant for it.",
    });
    expect(decide(world(), ask({ tool: "refund" }))).toMatchObject({
      decision: "deny",
      reason: "no_grant",
      message: "None of the subject's roles (analyst) has a grant for sales/refund.",
    });
  });

  it("ignores role names the snapshot does not define", () => {
    const snapshot = world({ grants: [{ role: "ghost", server: "sales", tool: "read_orders", requiredScopes: [] }] });
    expect(decide(snapshot, ask({ roles: ["ghost"] }))).toMatchObject({ decision: "deny", reason: "no_grant", matchedRoles: [] });
  });

  it("denies a token without the grant's scopes, naming the fewest missing", () => {
    expect(decide(world(), ask({ scopes: [] }))).toMatchObject({
      decision: "deny",
      reason: "missing_scope",
      missingScopes: ["tools:sales.read"],
      grant: { role: "analyst" },
      message: "Role analyst may call sales/read_orders only with the scope tools:sales.read, which the token does not carry.",
    });
    expect(decide(world(), ask({ tool: "refund", roles: ["manager"], scopes: ["tools:sales.read"] }))).toMatchObject({
      reason: "missing_scope",
      missingScopes: ["tools:sales.write"],
    });
  });

  it("lets the client's scope ceiling remove token scopes, and says so", () => {
    const snapshot = world({ clients: [client(AGENT, { scopeCeiling: ["tools:hr.read"] })] });
    const decision = decide(snapshot, ask());
    expect(decision).toMatchObject({ decision: "deny", reason: "missing_scope", missingScopes: ["tools:sales.read"], effectiveScopes: [] });
    expect(decision.message).toContain("the client's scope ceiling excludes it");
    const roomy = world({ clients: [client(AGENT, { scopeCeiling: ["tools:sales.read", "tools:hr.read"] })] });
    expect(decide(roomy, ask({ scopes: ["tools:sales.read", "tools:sales.write"] }))).toMatchObject({ decision: "allow", effectiveScopes: ["tools:sales.read"] });
  });

  it("checks in a fixed order: the tool before the client, the client before the grants", () => {
    const broken = world({ tools: [tool("sales", "read_orders", { enabled: false })], clients: [client(AGENT, { status: "SUSPENDED" })], grants: [] });
    expect(decide(broken, ask()).reason).toBe("tool_disabled");
    expect(decide({ ...broken, tools: world().tools }, ask()).reason).toBe("client_not_approved");
    expect(decide({ ...broken, tools: world().tools, clients: [client(AGENT)] }, ask()).reason).toBe("no_grant");
  });

  it("never hands out a grant that edits the snapshot", () => {
    const snapshot = world();
    const decision = decide(snapshot, ask());
    decision.grant!.requiredScopes.push("tampered");
    expect(snapshot.grants[0]!.requiredScopes).toEqual(["tools:sales.read"]);
  });
});

describe("rolesFromClaims", () => {
  const roles = world().roles;

  it("maps array claims, exact strings and space-separated strings", () => {
    expect(rolesFromClaims(roles, { groups: ["x", "sales-analysts"] })).toEqual(["analyst"]);
    expect(rolesFromClaims(roles, { roles: "sales.manager" })).toEqual(["manager"]);
    expect(rolesFromClaims(roles, { roles: "reader sales.manager", groups: "sales-analysts" })).toEqual(["analyst", "manager"]);
    expect(rolesFromClaims([{ name: "team", claimName: "groups", claimValue: "Sales Team" }], { groups: "Sales Team" })).toEqual(["team"]);
  });

  it("matches nothing on the wrong claim, a partial value, a different case or no claims", () => {
    expect(rolesFromClaims(roles, { roles: ["sales-analysts"] })).toEqual([]);
    expect(rolesFromClaims(roles, { groups: "sales-analysts-emeritus" })).toEqual([]);
    expect(rolesFromClaims(roles, { groups: "Sales-Analysts" })).toEqual([]);
    expect(rolesFromClaims(roles, undefined)).toEqual([]);
    expect(rolesFromClaims([{ name: "blank", claimName: "groups", claimValue: "" }], { groups: "" })).toEqual([]);
  });

  it("is not fooled by claim names that exist on every object", () => {
    expect(rolesFromClaims([{ name: "proto", claimName: "constructor", claimValue: "function" }], {})).toEqual([]);
  });

  it("feeds decide: a subject gets a role from a token claim", () => {
    expect(decide(world(), ask({ roles: undefined, claims: { groups: ["sales-analysts"] } }))).toMatchObject({ decision: "allow", matchedRoles: ["analyst"] });
    expect(decide(world(), ask({ roles: ["manager"], claims: { groups: "sales-analysts" } })).matchedRoles).toEqual(["analyst", "manager"]);
  });
});

// ---------- the laws, over random worlds ----------

const SERVERS = ["s1", "s2"];
const TOOL_NAMES = ["t1", "t2"];
const ROLE_NAMES = ["r1", "r2", "r3"];
const SCOPES = ["a", "b", "c"];
const CLIENT_IDS = ["c1", "c2"];

const subsetOf = <T>(values: readonly T[]) => fc.subarray([...values]);
// Mostly true: a world where nearly everything is disabled or unapproved would
// deny every call, and the laws would then hold without proving anything.
const mostly = fc.integer({ min: 1, max: 5 }).map((n) => n > 1);
const toolArb = fc.record({
  server: fc.constantFrom(...SERVERS),
  name: fc.constantFrom(...TOOL_NAMES),
  enabled: mostly,
  approved: mostly,
  riskTier: fc.constantFrom("LOW" as const, "HIGH" as const),
  requiresApproval: fc.boolean(),
});
const grantArb: fc.Arbitrary<PolicyGrant> = fc.record({
  role: fc.constantFrom(...ROLE_NAMES),
  server: fc.constantFrom(...SERVERS),
  tool: fc.constantFrom(...TOOL_NAMES),
  requiredScopes: subsetOf(SCOPES),
});
const clientArb: fc.Arbitrary<PolicyClient> = fc.record({
  clientId: fc.constantFrom(...CLIENT_IDS),
  status: fc.oneof({ arbitrary: fc.constant("APPROVED" as const), weight: 6 }, fc.constantFrom("PENDING" as const, "REJECTED" as const, "SUSPENDED" as const)),
  scopeCeiling: subsetOf(SCOPES),
  restrictTools: mostly.map((b) => !b),
  allowedTools: subsetOf(SERVERS.flatMap((server) => TOOL_NAMES.map((name) => `${server}/${name}`))),
});
const snapshotArb: fc.Arbitrary<PolicySnapshot> = fc.record({
  environment: fc.constant("prod"),
  version: fc.option(fc.nat(), { nil: null }),
  tools: fc.uniqueArray(toolArb, { selector: (t) => `${t.server}/${t.name}`, minLength: 2, maxLength: 4 }),
  roles: fc.constant(ROLE_NAMES.map((name) => ({ name, claimName: "groups", claimValue: `g-${name}` }))),
  grants: fc.array(grantArb, { maxLength: 8 }),
  clients: fc.uniqueArray(clientArb, { selector: (c) => c.clientId, minLength: 1, maxLength: 2 }),
});
const requestArb: fc.Arbitrary<DecisionRequest> = fc.record({
  subject: fc.constant("user"),
  clientId: fc.constantFrom(...CLIENT_IDS),
  server: fc.constantFrom(...SERVERS),
  tool: fc.constantFrom(...TOOL_NAMES),
  scopes: subsetOf(SCOPES),
  roles: subsetOf(ROLE_NAMES),
  claims: fc.record({ groups: subsetOf(ROLE_NAMES.map((name) => `g-${name}`)) }),
});

type Decide = typeof decide;
const RUNS = { numRuns: 500 };
const sameTool = (grant: PolicyGrant, request: DecisionRequest) => grant.server === request.server && grant.tool === request.tool;

/** The laws, each a property over a decide function, so that they can also be run against broken ones. */
const laws = (decideFn: Decide) => ({
  nothingWithoutAGrant: fc.property(snapshotArb, requestArb, (snapshot, request) => {
    const decision = decideFn(snapshot, request);
    if (decision.decision === "deny") return true;
    // The deciding grant exists, is for this tool, belongs to a role the subject holds, and its scopes are present...
    const grant = decision.grant;
    if (!grant || !sameTool(grant, request) || !decision.matchedRoles.includes(grant.role)) return false;
    if (!snapshot.grants.some((g) => g.role === grant.role && sameTool(g, request) && g.requiredScopes.every((s) => grant.requiredScopes.includes(s)))) return false;
    if (!grant.requiredScopes.every((scope) => request.scopes.includes(scope))) return false;
    // ...and without any grant for the tool, the same request is denied.
    return decideFn({ ...snapshot, grants: snapshot.grants.filter((g) => !sameTool(g, request)) }, request).decision === "deny";
  }),
  addingAGrantNeverRemovesAccess: fc.property(snapshotArb, requestArb, grantArb, (snapshot, request, added) => {
    if (decideFn(snapshot, request).decision === "deny") return true;
    return decideFn({ ...snapshot, grants: [...snapshot.grants, added] }, request).decision === "allow";
  }),
  revokingNeverAddsAccess: fc.property(snapshotArb, requestArb, fc.nat(), (snapshot, request, index) => {
    if (snapshot.grants.length === 0 || decideFn(snapshot, request).decision === "allow") return true;
    const revoked = snapshot.grants.filter((_, i) => i !== index % snapshot.grants.length);
    return decideFn({ ...snapshot, grants: revoked }, request).decision === "deny";
  }),
  disabledToolOrUnapprovedClientIsDenied: fc.property(snapshotArb, requestArb, fc.boolean(), (snapshot, request, breakTool) => {
    const altered: PolicySnapshot = breakTool
      ? { ...snapshot, tools: snapshot.tools.map((t) => (t.server === request.server && t.name === request.tool ? { ...t, enabled: false } : t)) }
      : { ...snapshot, clients: snapshot.clients.map((c) => (c.clientId === request.clientId && c.status === "APPROVED" ? { ...c, status: "SUSPENDED" as const } : c)) };
    return decideFn(altered, request).decision === "deny";
  }),
});

describe("decide: laws (property-based)", () => {
  const real = laws(decide);

  it("allows nothing without a matching grant whose scopes the token carries", () => fc.assert(real.nothingWithoutAGrant, RUNS));
  it("never loses access when a grant is added", () => fc.assert(real.addingAGrantNeverRemovesAccess, RUNS));
  it("never gains access when a grant is revoked", () => fc.assert(real.revokingNeverAddsAccess, RUNS));
  it("always denies a disabled tool or a client that is not approved", () => fc.assert(real.disabledToolOrUnapprovedClientIsDenied, RUNS));

  it("finds allowed calls in the random worlds, so the laws are not vacuous", () => {
    const decisions = fc.sample(fc.tuple(snapshotArb, requestArb), { numRuns: 2_000, seed: 1 }).map(([s, r]) => decide(s, r));
    expect(decisions.filter((d) => d.decision === "allow").length).toBeGreaterThan(40);
  });

  it("is deterministic and leaves the snapshot as it found it", () =>
    fc.assert(
      fc.property(snapshotArb, requestArb, (snapshot, request) => {
        const before = JSON.stringify(snapshot);
        expect(decide(snapshot, request)).toEqual(decide(structuredClone(snapshot), structuredClone(request)));
        expect(JSON.stringify(snapshot)).toBe(before);
      }),
      RUNS,
    ));

  // Each law must catch the bug it exists for: run it against a decide with that bug.
  it.each([
    ["nothingWithoutAGrant", "allows any known tool", (s: PolicySnapshot, r: DecisionRequest) => (s.tools.some((t) => t.server === r.server && t.name === r.tool) ? allowAnyway(decide(s, r)) : decide(s, r))],
    ["addingAGrantNeverRemovesAccess", "lets a scope-free grant deny", (s: PolicySnapshot, r: DecisionRequest) => (s.grants.some((g) => sameTool(g, r) && g.requiredScopes.length === 0) ? denyAnyway(decide(s, r)) : decide(s, r))],
    ["revokingNeverAddsAccess", "allows when the subject's roles have fewer than two grants", (s: PolicySnapshot, r: DecisionRequest) => {
      const decision = decide(s, r);
      return decision.reason === "no_grant" && s.grants.length < 2 && decision.matchedRoles.length > 0 ? allowAnyway(decision) : decision;
    }],
    ["disabledToolOrUnapprovedClientIsDenied", "ignores the enabled flag", (s: PolicySnapshot, r: DecisionRequest) => decide({ ...s, tools: s.tools.map((t) => ({ ...t, enabled: true })) }, r)],
  ] as const)("the law %s fails for a decide that %s", (law, _bug, broken) => {
    // The four laws differ in arity; fc.check's overloads cannot take their union.
    const property = laws(broken)[law] as unknown as fc.IProperty<unknown[]>;
    const result = fc.check(property, { numRuns: 2_000, seed: 42 });
    expect(result.failed).toBe(true);
  });
});

const allowAnyway = (decision: Decision): Decision => ({ ...decision, decision: "allow", reason: "allowed_by_grant" });
const denyAnyway = (decision: Decision): Decision => ({ ...decision, decision: "deny", reason: "no_grant", grant: undefined });

describe("the policy stays importable anywhere", () => {
  // The browser, the data plane and the SDK inside an MCP server all decide with it.
  it.each([
    ["decide.ts", ["./policy.ts"]],
    ["policy.ts", ["zod"]],
  ])("%s imports only %j", (file, allowed) => {
    const source = readFileSync(new URL(`../../src/contract/${file}`, import.meta.url), "utf8");
    const specifiers = [...source.matchAll(/\bfrom\s+["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']/g)].map((m) => m[1] ?? m[2]);
    expect(specifiers.filter((specifier) => !allowed.includes(specifier!))).toEqual([]);
  });
});
