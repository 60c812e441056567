import { describe, expect, it, vi } from "vitest";
import type { AdminRole } from "@/lib/auth/admin-roles";

// The rate-limit action is a public endpoint: whatever the page showed, it
// must refuse anyone below OWNER before touching anything. The session is
// replaced by one whose role the test chooses; nothing else is mocked.
const session = vi.hoisted(() => ({ role: "ADMIN" as AdminRole }));
vi.mock("@/lib/auth/session", async (importOriginal) => (await import("@/lib/auth/testing/session-mock")).sessionMock(importOriginal, session));
const domain = vi.hoisted(() => ({ updates: 0 }));
vi.mock("@/lib/api-keys/rate-limits", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@/lib/api-keys/rate-limits")>()),
  updateApiKeyRateLimit: async () => {
    domain.updates++;
    return { perSecond: 1, burst: 1 };
  },
}));

const { updateApiKeyRateLimitAction } = await import("@/actions/config");

describe("changing the API key rate limit needs OWNER", () => {
  it.each(["VIEWER", "AUDITOR", "ADMIN"] as const)("refuses an %s before anything is saved", async (role) => {
    session.role = role;
    expect(await updateApiKeyRateLimitAction({ environment: "prod", perSecond: "10", burst: "10" })).toEqual({ ok: false, error: expect.stringMatching(/does not allow this/) });
    expect(domain.updates).toBe(0);
  });

  it("answers an owner's invalid input with form errors, not a save", async () => {
    session.role = "OWNER";
    expect(await updateApiKeyRateLimitAction({ environment: "prod", perSecond: "", burst: "-1" })).toMatchObject({
      ok: false,
      fieldErrors: { perSecond: ["At least 1 request per second"], burst: ["At least 1 request"] },
    });
    expect(domain.updates).toBe(0);
  });
});
