import { expect, it } from "vitest";
import type { WardenDecision } from "../src/client";
import { denialText, filterToolsList, insufficientScopeChallenge, protectedResourceMetadata, resourceMetadataUrl, scopeChallengeFor, unauthorizedChallenge } from "../src/enforce";

it("derives the RFC 9728 metadata URL and document", () => {
  expect(resourceMetadataUrl("https://sales.example.com/mcp")).toBe("https://sales.example.com/.well-known/oauth-protected-resource/mcp");
  expect(resourceMetadataUrl("https://sales.example.com/")).toBe("https://sales.example.com/.well-known/oauth-protected-resource");
  expect(protectedResourceMetadata({ resource: "https://sales.example.com/mcp", authorizationServers: ["https://idp.example.com"], scopesSupported: ["tools:sales.read"] })).toEqual({
    resource: "https://sales.example.com/mcp",
    authorization_servers: ["https://idp.example.com"],
    scopes_supported: ["tools:sales.read"],
    bearer_methods_supported: ["header"],
  });
});

it("builds the 401 and 403 challenges of the MCP authorization spec, quoting safely", () => {
  const metadata = "https://sales.example.com/.well-known/oauth-protected-resource/mcp";
  expect(unauthorizedChallenge({ resourceMetadataUrl: metadata })).toBe(`Bearer resource_metadata="${metadata}"`);
  expect(unauthorizedChallenge({ resourceMetadataUrl: metadata, error: "invalid_token", errorDescription: 'bad "aud"' })).toBe(
    `Bearer resource_metadata="${metadata}", error="invalid_token", error_description="bad \\"aud\\""`,
  );
  expect(insufficientScopeChallenge({ scopes: ["a", "b"], resourceMetadataUrl: metadata })).toBe(`Bearer error="insufficient_scope", scope="a b", resource_metadata="${metadata}"`);
});

const base = { matchedRoles: ["analyst"], effectiveScopes: ["tools:x"], requiresApproval: false, configVersion: 4 };

it("turns a missing-scope denial into a step-up 403, and leaves other denials to MCP", () => {
  const missing: WardenDecision = { ...base, decision: "deny", reason: "missing_scope", message: "needs tools:sales.read", missingScopes: ["tools:sales.read"] };
  const challenge = scopeChallengeFor(missing, "https://m/.well-known/oauth-protected-resource");
  expect(challenge?.status).toBe(403);
  expect(challenge?.headers["WWW-Authenticate"]).toContain('error="insufficient_scope", scope="tools:sales.read tools:x"');
  expect(scopeChallengeFor({ ...base, decision: "deny", reason: "no_grant", message: "no" }, "https://m")).toBeNull();
  expect(denialText({ ...base, decision: "deny", reason: "no_grant", message: "No grant." })).toBe("Denied by Warden (no_grant, config v4): No grant.");
});

it("filters a tools/list result to the tools the caller may call", () => {
  const warden = { authorize: (_claims: Record<string, unknown>, _client: string | undefined, tool: string): WardenDecision => ({ ...base, decision: tool === "get_invoice" ? "allow" : "deny", reason: "no_grant", message: "" }) };
  const result = { tools: [{ name: "get_invoice" }, { name: "refund_payment" }], nextCursor: "c" };
  expect(filterToolsList(warden, result, {}, "agent")).toEqual({ tools: [{ name: "get_invoice" }], nextCursor: "c" });
});
