import { describe, expect, it } from "vitest";
import { ResourceUriSchema, IssuerUrlSchema, JwksUriSchema, ScopesSupportedSchema } from "./servers";

const problemsOf = (schema: typeof ResourceUriSchema, value: string) => {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((issue) => issue.message);
};

describe("resource identifier (RFC 8707, MCP canonical form)", () => {
  it("accepts canonical https identifiers, with or without a path or port", () => {
    for (const uri of ["https://mcp.example.com", "https://mcp.example.com/mcp", "https://mcp.example.com:8443/sales/mcp"]) {
      expect(problemsOf(ResourceUriSchema, uri), uri).toEqual([]);
    }
  });
  it("accepts plain http only on loopback", () => {
    for (const uri of ["http://localhost:3000/mcp", "http://127.0.0.1:8080", "http://[::1]:9000/mcp"]) {
      expect(problemsOf(ResourceUriSchema, uri), uri).toEqual([]);
    }
  });
  it("refuses an empty value", () => {
    expect(problemsOf(ResourceUriSchema, "  ")).toEqual(["Enter the resource identifier."]);
  });
  it("refuses a relative or schemeless identifier", () => {
    for (const uri of ["/mcp", "mcp.example.com/mcp", "urn:example:mcp"]) {
      expect(problemsOf(ResourceUriSchema, uri), uri).toEqual(["Enter an absolute URL such as https://mcp.example.com/mcp."]);
    }
  });
  it("refuses http on a host that is not loopback", () => {
    expect(problemsOf(ResourceUriSchema, "http://mcp.example.com/mcp")).toEqual([
      "The resource identifier must use https. Plain http is allowed only for localhost, 127.0.0.1 or [::1].",
    ]);
  });
  it("refuses other schemes", () => {
    expect(problemsOf(ResourceUriSchema, "ftp://mcp.example.com/mcp")).toEqual(["The resource identifier must be an https URL (http only on localhost)."]);
  });
  it("refuses a fragment", () => {
    expect(problemsOf(ResourceUriSchema, "https://mcp.example.com/mcp#tools")).toEqual([
      "Remove the fragment (#…): a resource identifier must not have one.",
    ]);
  });
  it("refuses an uppercase scheme", () => {
    expect(problemsOf(ResourceUriSchema, "HTTPS://mcp.example.com/mcp")).toEqual(["Write the scheme in lowercase: https://"]);
  });
  it("refuses an uppercase host", () => {
    expect(problemsOf(ResourceUriSchema, "https://MCP.Example.com/mcp")).toEqual(["Write the host in lowercase: mcp.example.com"]);
  });
  it("keeps the path's case: paths are case-sensitive", () => {
    expect(problemsOf(ResourceUriSchema, "https://mcp.example.com/Sales")).toEqual([]);
  });
  it("refuses a trailing slash after the host", () => {
    expect(problemsOf(ResourceUriSchema, "https://mcp.example.com/")).toEqual([
      "Remove the trailing slash: write https://mcp.example.com rather than https://mcp.example.com/.",
    ]);
  });
  it("refuses a trailing slash after a path", () => {
    expect(problemsOf(ResourceUriSchema, "https://mcp.example.com/mcp/")).toEqual([
      "Remove the trailing slash: the canonical resource identifier does not end with /.",
    ]);
  });
  it("refuses a query, so audiences compare as exact strings", () => {
    expect(problemsOf(ResourceUriSchema, "https://mcp.example.com/mcp?tenant=a")).toEqual([
      "Remove the query (?…): the canonical resource identifier has none, so audiences compare exactly.",
    ]);
  });
  it("refuses credentials in the URL", () => {
    expect(problemsOf(ResourceUriSchema, "https://user:pw@mcp.example.com/mcp")).toEqual(["Remove the user name and password from the URL."]);
  });
  it("trims surrounding spaces instead of refusing", () => {
    expect(ResourceUriSchema.parse("  https://mcp.example.com/mcp ")).toBe("https://mcp.example.com/mcp");
  });
});

describe("authorization server issuer (RFC 8414)", () => {
  it("accepts https issuers, with a path or a trailing slash as some providers publish", () => {
    for (const uri of ["https://auth.example.com", "https://tenant.auth0.com/", "https://login.example.com/realms/warden"]) {
      expect(problemsOf(IssuerUrlSchema, uri), uri).toEqual([]);
    }
  });
  it("accepts http on loopback only", () => {
    expect(problemsOf(IssuerUrlSchema, "http://localhost:8080/realms/dev")).toEqual([]);
    expect(problemsOf(IssuerUrlSchema, "http://auth.example.com")).toEqual([
      "The issuer must use https. Plain http is allowed only for localhost, 127.0.0.1 or [::1].",
    ]);
  });
  it("refuses a non-URL, a query and a fragment, each with its own message", () => {
    expect(problemsOf(IssuerUrlSchema, "auth.example.com")).toEqual(["Enter the issuer as an absolute URL such as https://auth.example.com."]);
    expect(problemsOf(IssuerUrlSchema, "https://auth.example.com?x=1")).toEqual(["Remove the query (?…): an issuer identifier has none."]);
    expect(problemsOf(IssuerUrlSchema, "https://auth.example.com#x")).toEqual(["Remove the fragment (#…): an issuer identifier has none."]);
  });
});

describe("JWKS URL and scopes", () => {
  it("refuses a JWKS URL over plain http off loopback", () => {
    expect(problemsOf(JwksUriSchema, "https://auth.example.com/jwks.json")).toEqual([]);
    expect(problemsOf(JwksUriSchema, "http://auth.example.com/jwks.json")).toEqual([
      "The JWKS URL must use https. Plain http is allowed only for localhost, 127.0.0.1 or [::1].",
    ]);
  });
  it("splits scopes typed as text and drops duplicates", () => {
    expect(ScopesSupportedSchema.parse("tools:sales.read, tools:sales.write\ntools:sales.read")).toEqual(["tools:sales.read", "tools:sales.write"]);
  });
  it("refuses a scope with a quote or backslash", () => {
    const result = ScopesSupportedSchema.safeParse(['bad"scope']);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe("A scope is printable ASCII without spaces, quotes or backslashes.");
  });
});
