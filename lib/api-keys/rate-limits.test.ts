import { describe, expect, it } from "vitest";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { ApiKeyRateLimitSchema, DEFAULT_API_KEY_RATE, getApiKeyRateLimit, loadApiKeyRateLimits, updateApiKeyRateLimit } from "./rate-limits";

describe("the rate limit form's input", () => {
  const errors = (input: unknown) => {
    const parsed = ApiKeyRateLimitSchema.safeParse(input);
    return parsed.success ? null : Object.fromEntries(parsed.error.issues.map((issue) => [issue.path.join("."), issue.message]));
  };

  it("takes whole numbers as typed into the form", () => {
    expect(ApiKeyRateLimitSchema.parse({ perSecond: "250", burst: "1000" })).toEqual({ perSecond: 250, burst: 1_000 });
  });

  it.each([
    [{ perSecond: "0", burst: "10" }, { perSecond: "At least 1 request per second" }],
    [{ perSecond: "2.5", burst: "10" }, { perSecond: "must be a whole number" }],
    [{ perSecond: "lots", burst: "10" }, { perSecond: "Enter a whole number" }],
    [{ perSecond: "5000000", burst: "10000000" }, { perSecond: "At most 1,000,000 requests per second" }],
    [{ perSecond: "100", burst: "99999999999" }, { burst: "At most 10,000,000 requests" }],
    [{ perSecond: "100", burst: "50" }, { burst: "The burst must be at least one second's worth of requests" }],
  ])("refuses %j with a sentence per field", (input, expected) => {
    expect(errors(input)).toEqual(expected);
  });
});

describeEachDatabase("API key rate limits per environment", (t) => {
  it("starts at the fleet-sized default, and an owner's change is stored with an audit event saying what it was before", async () => {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    const admin = await t.db.admin.create({ data: { email: "owner@example.com", role: "OWNER" } });
    expect(await getApiKeyRateLimit(t.db, environment.id)).toEqual(DEFAULT_API_KEY_RATE);

    await updateApiKeyRateLimit(t.db, { id: admin.id, email: admin.email, ip: "203.0.113.9" }, environment.id, { perSecond: 300, burst: 900 });
    expect(await getApiKeyRateLimit(t.db, environment.id)).toEqual({ perSecond: 300, burst: 900 });
    expect((await loadApiKeyRateLimits(t.db)).get(environment.id)).toEqual({ perSecond: 300, burst: 900 });
    const event = await t.db.auditEvent.findFirstOrThrow({ where: { action: "environment.api_key_rate_limit" } });
    expect(event).toMatchObject({ environmentId: environment.id, actor: admin.id, source: "admin" });
    expect(event.details).toEqual({ before: DEFAULT_API_KEY_RATE, after: { perSecond: 300, burst: 900 } });
  });

  it("refuses an environment that no longer exists, writing nothing", async () => {
    const admin = await t.db.admin.create({ data: { email: "owner@example.com", role: "OWNER" } });
    await expect(updateApiKeyRateLimit(t.db, { id: admin.id, email: admin.email }, "0190c0de-0000-7000-8000-000000000000", { perSecond: 1, burst: 1 })).rejects.toThrow(/no longer exists/);
    expect(await t.db.auditEvent.count()).toBe(0);
  });
});
