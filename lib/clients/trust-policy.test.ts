import { describe, expect, it } from "vitest";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { DomainError, StaleWriteError } from "@/lib/errors";
import type { ClientPreview } from "./preview";
import { applyTrustPolicy, DEFAULT_TRUST_POLICY, domainRuleMatches, evaluateTrustPolicy, getTrustPolicy, TrustPolicySchema, updateTrustPolicy } from "./trust-policy";

const preview = (hostname: string, redirects: string[], errors: ClientPreview["errors"] = []): ClientPreview => ({
  clientId: `https://${hostname}/client.json`,
  hostname,
  fetched: true,
  fetchError: null,
  metadata: {},
  metadataHash: "sha256:x",
  fetchedAt: new Date(0).toISOString(),
  cacheExpiresAt: null,
  name: "Agent",
  links: [],
  redirects: redirects.map((uri) => ({ uri, host: new URL(uri).host })),
  grantTypes: [],
  authMethod: "none",
  scope: null,
  keys: "none",
  errors,
  warnings: [],
  logo: { status: "none" },
});

describe("trust policy verdicts", () => {
  const policy = { ...DEFAULT_TRUST_POLICY, allowedDomains: ["vscode.dev"], deniedDomains: ["evil.example"] };

  it("allows a valid client from an allowed domain or its subdomains, and leaves others to review", () => {
    expect(evaluateTrustPolicy(policy, preview("vscode.dev", ["https://vscode.dev/redirect"])).verdict).toBe("allow");
    expect(evaluateTrustPolicy(policy, preview("insiders.vscode.dev", ["https://insiders.vscode.dev/cb"])).verdict).toBe("allow");
    expect(evaluateTrustPolicy(policy, preview("notvscode.dev", ["https://notvscode.dev/cb"])).verdict).toBe("review");
  });

  it("never auto-approves an allowed domain whose document breaks a rule", () => {
    const broken = preview("vscode.dev", ["https://vscode.dev/redirect"], [{ code: "client_secret_present", field: "client_secret", message: "x" }]);
    expect(evaluateTrustPolicy(policy, broken).verdict).toBe("review");
  });

  it("denies a denied domain and its subdomains", () => {
    const verdict = evaluateTrustPolicy(policy, preview("agents.evil.example", ["https://agents.evil.example/cb"]));
    expect(verdict).toMatchObject({ verdict: "deny", matchedDomain: "evil.example" });
    expect(verdict.issues[0]!.message).toBe("The trust policy denies clients from evil.example.");
  });

  it("enforces same-origin and no-localhost redirect rules when switched on", () => {
    const strict = { ...DEFAULT_TRUST_POLICY, requireSameOriginRedirects: true, allowLocalhostRedirects: false };
    const verdict = evaluateTrustPolicy(strict, preview("vscode.dev", ["https://elsewhere.example/cb", "http://127.0.0.1:33418/"]));
    expect(verdict.verdict).toBe("deny");
    expect(verdict.issues.map((issue) => issue.code)).toEqual(["redirect_not_same_origin", "localhost_redirect_not_allowed"]);
    expect(evaluateTrustPolicy(DEFAULT_TRUST_POLICY, preview("vscode.dev", ["https://elsewhere.example/cb", "http://127.0.0.1:33418/"])).verdict).toBe("review");
  });

  it("accepts bare domains only", () => {
    expect(TrustPolicySchema.safeParse({ allowedDomains: ["https://vscode.dev"], version: 0 }).success).toBe(false);
    expect(TrustPolicySchema.safeParse({ allowedDomains: ["vscode.dev:443"], version: 0 }).success).toBe(false);
    expect(TrustPolicySchema.parse({ allowedDomains: ["VSCode.dev"], version: 0 }).allowedDomains).toEqual(["vscode.dev"]);
  });
});

describe("wildcard domain rules", () => {
  it("*.example.com covers any subdomain at any depth, never the apex itself", () => {
    expect(domainRuleMatches("a.example.com", "*.example.com")).toBe(true);
    expect(domainRuleMatches("a.b.example.com", "*.example.com")).toBe(true);
    expect(domainRuleMatches("A.Example.COM:8443", "*.example.com")).toBe(true);
    expect(domainRuleMatches("example.com", "*.example.com")).toBe(false);
    expect(domainRuleMatches("badexample.com", "*.example.com")).toBe(false);
    expect(domainRuleMatches("example.com.evil.test", "*.example.com")).toBe(false);
  });

  it("a plain entry keeps its meaning: the host itself and every subdomain", () => {
    expect(domainRuleMatches("example.com", "example.com")).toBe(true);
    expect(domainRuleMatches("a.example.com", "example.com")).toBe(true);
    expect(domainRuleMatches("notexample.com", "example.com")).toBe(false);
  });

  it("a wildcard allow approves a subdomain but leaves the apex to review", () => {
    const policy = { ...DEFAULT_TRUST_POLICY, allowedDomains: ["*.agents.example"] };
    expect(evaluateTrustPolicy(policy, preview("one.agents.example", ["https://one.agents.example/cb"]))).toMatchObject({
      verdict: "allow",
      rule: { list: "allowed", pattern: "*.agents.example" },
      explanation: "Allowed by *.agents.example in the trust policy.",
    });
    expect(evaluateTrustPolicy(policy, preview("agents.example", ["https://agents.example/cb"]))).toMatchObject({ verdict: "review", rule: null });
  });

  it("a wildcard deny refuses subdomains, and a deny wins over an allow", () => {
    const policy = { ...DEFAULT_TRUST_POLICY, allowedDomains: ["example.com"], deniedDomains: ["*.evil.example.com"] };
    const verdict = evaluateTrustPolicy(policy, preview("x.evil.example.com", ["https://x.evil.example.com/cb"]));
    expect(verdict).toMatchObject({ verdict: "deny", rule: { list: "denied", pattern: "*.evil.example.com" }, explanation: "Denied by *.evil.example.com in the trust policy." });
    expect(verdict.issues[0]!.message).toBe("The trust policy denies clients from *.evil.example.com.");
    expect(evaluateTrustPolicy(policy, preview("evil.example.com", ["https://evil.example.com/cb"])).verdict).toBe("allow");
  });

  it.each([
    ["*", /would match every domain/],
    ["*.", /would match every domain/],
    ["*.com", /whole top-level domain/],
    ["foo.*.example.com", /only stand for the whole first label/],
    ["*example.com", /only stand for the whole first label/],
    ["example.*", /only stand for the whole first label/],
    ["*.*.example.com", /only stand for the whole first label/],
    ["https://example.com", /without a scheme/],
    ["*.example.com/path", /without a scheme/],
    ["example.com:443", /without a scheme/],
    ["user@example.com", /without a scheme/],
    ["com", /is not a domain name/],
    ["exa mple.com", /is not a domain name/],
  ])("refuses %s with a clear message", (entry, message) => {
    const result = TrustPolicySchema.safeParse({ allowedDomains: ["vscode.dev", entry], version: 0 });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]).toMatchObject({ path: ["allowedDomains", 1], message: expect.stringMatching(message) });
  });

  it("accepts wildcards, plain hosts and localhost, lower-cased", () => {
    expect(TrustPolicySchema.parse({ allowedDomains: ["*.Example.com", "vscode.dev", "localhost"], deniedDomains: ["*.evil.example"], version: 0 })).toMatchObject({
      allowedDomains: ["*.example.com", "vscode.dev", "localhost"],
      deniedDomains: ["*.evil.example"],
    });
  });
});

describe("the rule the preview names", () => {
  it("says which entry decided, or that none matched", () => {
    const policy = { ...DEFAULT_TRUST_POLICY, allowedDomains: ["*.example.com"], deniedDomains: ["evil.example"] };
    const named = (host: string) => applyTrustPolicy(preview(host, [`https://${host}/cb`]), evaluateTrustPolicy(policy, preview(host, [`https://${host}/cb`]))).trust;
    expect(named("a.example.com")).toMatchObject({ verdict: "allow", explanation: "Allowed by *.example.com in the trust policy." });
    expect(named("evil.example")).toMatchObject({ verdict: "deny", explanation: "Denied by evil.example in the trust policy." });
    expect(named("other.test")).toMatchObject({ verdict: "review", rule: null, explanation: "No rule matched: needs review." });
    const broken = preview("a.example.com", ["https://a.example.com/cb"], [{ code: "client_secret_present", field: "client_secret", message: "x" }]);
    expect(evaluateTrustPolicy(policy, broken).explanation).toMatch(/Allowed by \*\.example\.com .* needs review/);
  });
});

describeEachDatabase("trust policy storage", (t) => {
  it("starts from safe defaults, saves with an audit event, and refuses stale or contradictory saves", async () => {
    const environmentId = (await t.db.environment.create({ data: { key: "prod", name: "Production" } })).id;
    const actor = { id: (await t.db.admin.create({ data: { email: "o@example.com", role: "OWNER" } })).id, email: "o@example.com" };
    expect(await getTrustPolicy(t.db, environmentId)).toEqual(DEFAULT_TRUST_POLICY);

    const input = TrustPolicySchema.parse({ allowedDomains: ["vscode.dev"], version: 0 });
    await updateTrustPolicy(t.db, actor, environmentId, input);
    expect(await getTrustPolicy(t.db, environmentId)).toMatchObject({ allowedDomains: ["vscode.dev"], version: 1 });
    expect(await t.db.auditEvent.findFirst({ where: { action: "trust_policy.updated" } })).toMatchObject({ environmentId, actor: actor.id });

    await expect(updateTrustPolicy(t.db, actor, environmentId, { ...input, deniedDomains: ["evil.example"] })).rejects.toBeInstanceOf(StaleWriteError);
    await expect(
      updateTrustPolicy(t.db, actor, environmentId, TrustPolicySchema.parse({ allowedDomains: ["a.example"], deniedDomains: ["a.example"], version: 1 })),
    ).rejects.toBeInstanceOf(DomainError);
    expect(await getTrustPolicy(t.db, environmentId)).toMatchObject({ allowedDomains: ["vscode.dev"], deniedDomains: [], version: 1 });
    expect(await t.db.auditEvent.count()).toBe(1);
  });
});
