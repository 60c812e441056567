import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { redirectUriMatches, validateClientMetadata } from "./validate";

// The real VS Code document, as published, is the valid baseline; each test
// breaks one rule of it.
const VSCODE_URL = "https://vscode.dev/oauth/client-metadata.json";
const vscode = JSON.parse(readFileSync(new URL("./testing/cimd/vscode.json", import.meta.url), "utf8")) as Record<string, unknown>;
const codes = (document: unknown, url = VSCODE_URL) => {
  const result = validateClientMetadata(url, document);
  return { errors: result.errors.map((issue) => issue.code), warnings: result.warnings.map((issue) => issue.code), valid: result.valid };
};
const without = (field: string) => Object.fromEntries(Object.entries(vscode).filter(([key]) => key !== field));

describe("client metadata validation", () => {
  it("accepts the real VS Code document, with no warnings", () => {
    expect(codes(vscode)).toEqual({ errors: [], warnings: [], valid: true });
  });

  it.each([
    ["the document is not an object", ["not", "an", "object"], "not_an_object"],
    ["client_id differs from the URL", { ...vscode, client_id: "https://vscode.dev/oauth/client-metadata.json/" }, "client_id_mismatch"],
    ["client_id differs only in case", { ...vscode, client_id: "https://VSCODE.dev/oauth/client-metadata.json" }, "client_id_mismatch"],
    ["a client_secret is present", { ...vscode, client_secret: "s3cr3t" }, "client_secret_present"],
    ["client_secret_expires_at is present", { ...vscode, client_secret_expires_at: 0 }, "client_secret_expires_at_present"],
    ["the auth method is missing (defaults to a shared secret)", without("token_endpoint_auth_method"), "auth_method_missing"],
    ["the auth method is a shared secret", { ...vscode, token_endpoint_auth_method: "client_secret_basic" }, "auth_method_not_allowed"],
    ["the auth method is client_secret_post", { ...vscode, token_endpoint_auth_method: "client_secret_post" }, "auth_method_not_allowed"],
    ["client_name is missing", without("client_name"), "client_name_missing"],
    ["client_name is blank", { ...vscode, client_name: "  " }, "client_name_missing"],
    ["redirect_uris is missing", without("redirect_uris"), "redirect_uris_missing"],
    ["redirect_uris is empty", { ...vscode, redirect_uris: [] }, "redirect_uris_missing"],
    ["a redirect URI is not a URI", { ...vscode, redirect_uris: ["not a uri"] }, "redirect_uri_invalid"],
    ["a redirect URI has a fragment", { ...vscode, redirect_uris: ["https://vscode.dev/redirect#x"] }, "redirect_uri_fragment"],
    ["a redirect URI is plain http on a public host", { ...vscode, redirect_uris: ["http://vscode.dev/redirect"] }, "redirect_uri_scheme"],
    ["a redirect URI uses a custom scheme", { ...vscode, redirect_uris: ["vscode://callback"] }, "redirect_uri_scheme"],
    ["jwks and jwks_uri are both present", { ...vscode, jwks: { keys: [] }, jwks_uri: "https://vscode.dev/jwks.json" }, "jwks_and_jwks_uri"],
    ["jwks is not a key set", { ...vscode, jwks: { nope: true } }, "jwks_invalid"],
    ["jwks holds a private key", { ...vscode, jwks: { keys: [{ kty: "EC", crv: "P-256", x: "x", y: "y", d: "secret" }] } }, "jwks_private_key"],
    ["jwks holds a symmetric key", { ...vscode, jwks: { keys: [{ kty: "oct", k: "c2VjcmV0" }] } }, "jwks_private_key"],
    ["jwks_uri is not https", { ...vscode, jwks_uri: "http://vscode.dev/jwks.json" }, "jwks_uri_invalid"],
    ["private_key_jwt has no keys", { ...vscode, token_endpoint_auth_method: "private_key_jwt" }, "private_key_jwt_without_keys"],
  ])("refuses when %s", (_rule, document, code) => {
    const result = codes(document);
    expect(result.valid).toBe(false);
    expect(result.errors).toContain(code);
  });

  it("gives each refusal its own sentence naming the field", () => {
    const result = validateClientMetadata(VSCODE_URL, { ...vscode, client_secret: "x", redirect_uris: ["ftp://x/y"] });
    expect(result.errors).toEqual([
      expect.objectContaining({ field: "client_secret", message: expect.stringContaining("must not contain a client_secret") }),
      expect.objectContaining({ field: "redirect_uris[0]", message: expect.stringContaining("must use https") }),
    ]);
  });

  it.each([
    ["every redirect is on loopback", { ...vscode, redirect_uris: ["http://127.0.0.1/callback", "http://localhost:8080/cb"] }, "redirects_all_localhost"],
    ["a redirect goes to another host", { ...vscode, redirect_uris: ["https://evil.example/redirect"] }, "redirect_host_differs"],
    ["the keys live on another host", { ...vscode, token_endpoint_auth_method: "private_key_jwt", jwks_uri: "https://keys.example/jwks.json" }, "jwks_uri_off_origin"],
    ["the logo lives on another host", { ...vscode, logo_uri: "https://cdn.example/logo.png" }, "logo_uri_off_origin"],
    ["the client page lives on another host", { ...vscode, client_uri: "https://example.com/product" }, "client_uri_off_origin"],
    ["the policy lives on another host", { ...vscode, policy_uri: "https://example.com/privacy" }, "policy_uri_off_origin"],
    ["the terms live on another host", { ...vscode, tos_uri: "https://example.com/tos" }, "tos_uri_off_origin"],
  ])("warns, without refusing, when %s", (_rule, document, code) => {
    const result = codes(document);
    expect(result.valid).toBe(true);
    expect(result.warnings).toContain(code);
  });
});

describe("redirect URI matching", () => {
  it("matches exactly, and a loopback URI registered without a port matches any port (RFC 8252 §7.3)", () => {
    expect(redirectUriMatches("https://vscode.dev/redirect", "https://vscode.dev/redirect")).toBe(true);
    expect(redirectUriMatches("http://127.0.0.1/callback", "http://127.0.0.1:53124/callback")).toBe(true);
    expect(redirectUriMatches("http://[::1]/callback", "http://[::1]:4000/callback")).toBe(true);
  });

  it("does not stretch that to ports that were registered, other paths, hosts or schemes", () => {
    expect(redirectUriMatches("http://127.0.0.1:33418/", "http://127.0.0.1:40000/")).toBe(false);
    expect(redirectUriMatches("http://127.0.0.1/callback", "http://127.0.0.1:5000/other")).toBe(false);
    expect(redirectUriMatches("http://127.0.0.1/callback", "http://localhost:5000/callback")).toBe(false);
    expect(redirectUriMatches("https://vscode.dev/redirect", "https://vscode.dev:444/redirect")).toBe(false);
    expect(redirectUriMatches("https://vscode.dev/redirect", "https://vscode.dev/redirect/")).toBe(false);
  });
});
