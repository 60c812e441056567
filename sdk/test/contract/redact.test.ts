import { describe, expect, it } from "vitest";
import { REDACTED, redactSecrets } from "../../src/contract/redact.ts";

describe("redactSecrets", () => {
  it("replaces the value of any key that names a secret, at any depth", () => {
    const input = {
      email: "a@example.com",
      password: "hunter2hunter2",
      newPassword: "x",
      clientSecret: "s3cr3t",
      refresh_token: "r",
      Authorization: "Basic dXNlcjpwYXNz",
      nested: { apiKey: "k", headers: [{ cookie: "sid=1" }], privateKey: { d: "..." } },
    };
    expect(redactSecrets(input)).toEqual({
      email: "a@example.com",
      password: REDACTED,
      newPassword: REDACTED,
      clientSecret: REDACTED,
      refresh_token: REDACTED,
      Authorization: REDACTED,
      nested: { apiKey: REDACTED, headers: [{ cookie: REDACTED }], privateKey: REDACTED },
    });
  });

  it("judges a key by what it names, not by letters it happens to contain", () => {
    const input = { bypass: "cache", inputTokens: 1200, passengers: 3, tokenCount: 5, "X-Api-Key": "k", access_token: "t", sessionId: "s" };
    expect(redactSecrets(input)).toEqual({
      bypass: "cache",
      inputTokens: 1200,
      passengers: 3,
      tokenCount: 5,
      "X-Api-Key": REDACTED,
      access_token: REDACTED,
      sessionId: REDACTED,
    });
  });

  it("masks bearer tokens, Warden API keys and JWTs inside any string", () => {
    const jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl";
    const apiKey = "wdn_prod_0a1b2c3d_Zm9vYmFyYmF6cXV4";
    const output = redactSecrets({
      note: `called with Bearer abc.def-ghi_123== by the agent`,
      args: [`key=${apiKey}`, jwt],
      lowercase: "authorization header was bearer abc123def456",
    });
    expect(output.note).toBe(`called with ${REDACTED} by the agent`);
    expect(output.args).toEqual([`key=${REDACTED}`, REDACTED]);
    // The HTTP auth scheme is case-insensitive; a lower-case "bearer" is still a token.
    expect(output.lowercase).toBe(`authorization header was ${REDACTED}`);
    expect(JSON.stringify(output)).not.toMatch(/abc123|Zm9vYmFy|c2lnbmF0dXJl/);
  });

  it("keeps ordinary values, empty secret fields and the input object unchanged", () => {
    const input = { role: "ADMIN", count: 3, ok: true, none: null, password: "", list: ["a", 1] };
    const output = redactSecrets(input);
    expect(output).toEqual(input);
    expect(output).not.toBe(input);

    const secretInput = { token: "t0k3n" };
    redactSecrets(secretInput);
    expect(secretInput.token).toBe("t0k3n");
  });

  it("gives the same answer on every call (no state left between calls)", () => {
    const value = { a: "Bearer aaaaaaaa", b: "Bearer bbbbbbbb" };
    for (let i = 0; i < 3; i++) expect(redactSecrets(value)).toEqual({ a: REDACTED, b: REDACTED });
  });
});
