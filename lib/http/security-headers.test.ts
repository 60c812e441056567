import { describe, expect, it } from "vitest";
import { securityHeaders } from "./security-headers";

describe("securityHeaders", () => {
  it("in production allows scripts only with the request's nonce, and never eval", () => {
    const headers = securityHeaders({ nonce: "abc123", dev: false, https: false });
    const csp = headers["Content-Security-Policy"];
    expect(csp).toContain("script-src 'self' 'nonce-abc123' 'strict-dynamic'");
    expect(csp).not.toContain("unsafe-eval");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(headers["X-Frame-Options"]).toBe("DENY");
    expect(headers["X-Content-Type-Options"]).toBe("nosniff");
    expect(headers["Referrer-Policy"]).toBe("strict-origin-when-cross-origin");
  });

  it("sends HSTS and upgrades requests only over https", () => {
    expect(securityHeaders({ nonce: "n", dev: false, https: false })["Strict-Transport-Security"]).toBeUndefined();
    const secure = securityHeaders({ nonce: "n", dev: false, https: true });
    expect(secure["Strict-Transport-Security"]).toMatch(/^max-age=\d{8,}; includeSubDomains$/);
    expect(secure["Content-Security-Policy"]).toContain("upgrade-insecure-requests");
  });

  it("lets the SSO provider receive form posts, and development use eval", () => {
    const headers = securityHeaders({ nonce: "n", dev: true, https: false, extraFormActions: ["https://idp.example.com"] });
    expect(headers["Content-Security-Policy"]).toContain("form-action 'self' https://idp.example.com");
    expect(headers["Content-Security-Policy"]).toContain("'unsafe-eval'");
  });
});
