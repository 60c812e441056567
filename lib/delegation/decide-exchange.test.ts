import { describe, expect, it } from "vitest";
import type { PolicySnapshot } from "@/sdk/src/contract/policy";
import { decideExchange, type ExchangeRequest } from "./decide-exchange";
import { parseTestExchangeQuery } from "./test-exchange-query";
import type { DelegationPolicy } from "./types";

const policy: PolicySnapshot = {
  environment: "prod",
  version: 7,
  tools: [{ server: "calendar-mcp", name: "book_meeting", enabled: true, approved: true, riskTier: "LOW", requiresApproval: false }],
  roles: [{ name: "planner", claimName: "groups", claimValue: "planners" }],
  grants: [],
  clients: [
    { clientId: "agent", status: "APPROVED", scopeCeiling: [], restrictTools: false, allowedTools: [] },
    { clientId: "narrow", status: "APPROVED", scopeCeiling: ["tools:calendar.read"], restrictTools: true, allowedTools: ["calendar-mcp/other"] },
    { clientId: "suspended", status: "SUSPENDED", scopeCeiling: [], restrictTools: false, allowedTools: [] },
  ],
};
const delegation: DelegationPolicy = {
  downstreamApis: [{ name: "calendar-api", audience: "https://calendar.example.com/api", scopes: ["calendar:read", "calendar:write", "calendar:admin"], tokenLifetimeSeconds: 300 }],
  delegations: [
    {
      server: "calendar-mcp",
      api: "calendar-api",
      tools: [],
      scopeCeiling: ["calendar:read", "calendar:write"],
      roles: ["planner"],
      propagation: [{ scope: "calendar:write", requires: "tools:calendar.write" }],
    },
  ],
};
const ask = (extra: Partial<ExchangeRequest> = {}) =>
  decideExchange(policy, delegation, {
    server: "calendar-mcp",
    subject: "alice",
    clientId: "agent",
    audience: "https://calendar.example.com/api",
    requestedScopes: ["calendar:read", "calendar:write"],
    incomingScopes: ["tools:calendar.write"],
    claims: { groups: ["planners"] },
    ...extra,
  });

describe("decideExchange", () => {
  it("grants requested ∩ ceiling ∩ what the incoming scopes allow, naming what it left out and why", () => {
    expect(ask()).toMatchObject({ ok: true, granted: ["calendar:read", "calendar:write"], configVersion: 7 });
    const partial = ask({ requestedScopes: ["calendar:read", "calendar:write", "calendar:admin", "mail:send"], incomingScopes: [] });
    expect(partial).toMatchObject({ ok: true, granted: ["calendar:read"] });
    expect(partial.dropped.map((entry) => entry.why)).toEqual([
      "calendar:write needs tools:calendar.write on the user's token, which it does not carry",
      "calendar:admin is above the delegation's scope ceiling (calendar:read, calendar:write)",
      "calendar-api does not know the scope mail:send",
    ]);
    // Nothing asked: everything the rules allow.
    expect(ask({ requestedScopes: [] })).toMatchObject({ ok: true, granted: ["calendar:read", "calendar:write"] });
  });

  it("refuses with the RFC error code of the rule that failed", () => {
    expect(ask({ audience: "https://nope.example.com" })).toMatchObject({ ok: false, error: "invalid_target", rule: "unknown_target" });
    expect(ask({ server: "mail-mcp" })).toMatchObject({ ok: false, error: "invalid_target", rule: "no_delegation" });
    expect(ask({ clientId: "stranger" })).toMatchObject({ ok: false, error: "unauthorized_client", rule: "unknown_client" });
    expect(ask({ clientId: "suspended" })).toMatchObject({ ok: false, error: "unauthorized_client", rule: "client_not_approved", message: expect.stringContaining("suspended") });
    expect(ask({ clientId: "narrow", tool: "book_meeting" })).toMatchObject({ ok: false, error: "unauthorized_client", rule: "client_tool_not_allowed" });
    expect(ask({ claims: { groups: ["sales"] } })).toMatchObject({ ok: false, error: "invalid_grant", rule: "role_required" });
    expect(ask({ requestedScopes: ["calendar:write"], incomingScopes: ["tools:other"] })).toMatchObject({ ok: false, error: "invalid_scope", rule: "scope_not_allowed" });
    // The agent's own ceiling applies to the incoming scopes, as for tool calls.
    expect(ask({ clientId: "narrow", requestedScopes: ["calendar:write"] })).toMatchObject({ ok: false, error: "invalid_scope" });
  });

  it("reads a Test access question from the URL", () => {
    const { request } = parseTestExchangeQuery({ server: "calendar-mcp", client: "agent", audience: "https://calendar.example.com/api", scope: "calendar:write", incoming: "tools:calendar.write", roles: "planner" });
    expect(ask(request!)).toMatchObject({ ok: true, granted: ["calendar:write"] });
    expect(parseTestExchangeQuery({ server: "x" }).request).toBeNull();
  });
});
