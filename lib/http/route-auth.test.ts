import { beforeEach, describe, expect, it, vi } from "vitest";

const requireAdmin = vi.fn();
vi.mock("@/lib/auth/session", async (importOriginal) => ({ ...(await importOriginal<typeof import("@/lib/auth/session")>()), requireAdmin }));

const { authenticateRoute, methodNotAllowed } = await import("./route-auth");
const { AccessError } = await import("@/lib/auth/session");

describe("authenticateRoute", () => {
  beforeEach(() => {
    requireAdmin.mockReset();
  });

  it("answers 503 with Retry-After, in JSON, when the session cannot be checked because the database is unreachable", async () => {
    requireAdmin.mockImplementation(async () => {
      throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    });
    for (const answer of [await authenticateRoute("VIEWER"), { ok: false as const, response: await methodNotAllowed("VIEWER", "POST", "Use POST.")() }]) {
      expect(answer.ok).toBe(false);
      const response = (answer as { response: Response }).response;
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("5");
      expect(await response.json()).toEqual({ error: "Warden's database is unreachable; retry in 5 s." });
    }
  });

  it("still answers an access refusal as such, and lets other errors through", async () => {
    requireAdmin.mockImplementation(async () => {
      throw new AccessError(401, "Your session has ended. Sign in again.");
    });
    const refused = await authenticateRoute("VIEWER");
    expect(refused.ok || refused.response.status).toBe(401);
    requireAdmin.mockImplementation(async () => {
      throw new Error("a bug");
    });
    await expect(authenticateRoute("VIEWER")).rejects.toThrow("a bug");
  });
});
