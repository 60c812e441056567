import { describe, expect, it } from "vitest";
import { DecisionApiRequestSchema, fieldErrorsOf } from "./request-schema";

const valid = { environment: "prod", sub: "user-1", clientId: "https://agent.example/client.json", server: "sales", tool: "read_orders" };
const errorsFor = (body: unknown) => {
  const parsed = DecisionApiRequestSchema.safeParse(body);
  return parsed.success ? null : fieldErrorsOf(parsed.error);
};

describe("the decision request body", () => {
  it("accepts the minimum and fills in empty scopes and roles", () => {
    expect(DecisionApiRequestSchema.parse(valid)).toEqual({ ...valid, scopes: [], roles: [] });
  });

  it("takes scopes as an array or as the token's space-separated scope claim, without duplicates", () => {
    expect(DecisionApiRequestSchema.parse({ ...valid, scopes: " a  b\ta " }).scopes).toEqual(["a", "b"]);
    expect(DecisionApiRequestSchema.parse({ ...valid, scopes: ["tools:sales.read", "tools:sales.read"] }).scopes).toEqual(["tools:sales.read"]);
  });

  it("names every missing required field", () => {
    expect(errorsFor({})).toEqual({
      environment: ["Name the environment by its key, e.g. prod."],
      sub: ["Enter the sub (the user's subject identifier)."],
      clientId: ["Enter the client ID."],
      server: ["Enter the server name."],
      tool: ["Enter the tool name."],
    });
    expect(errorsFor({ ...valid, sub: "   " })).toEqual({ sub: ["Enter the sub (the user's subject identifier)."] });
  });

  it("refuses an environment that is not a key", () => {
    expect(errorsFor({ ...valid, environment: "Prod env" })).toEqual({ environment: ["Name the environment by its key, e.g. prod."] });
  });

  it("refuses over-long values", () => {
    expect(errorsFor({ ...valid, tool: "t".repeat(201) })).toEqual({ tool: ["The tool name is at most 200 characters."] });
    expect(errorsFor({ ...valid, clientId: "c".repeat(2049) })).toEqual({ clientId: ["The client ID is at most 2048 characters."] });
  });

  it("refuses scopes that are not RFC 6749 scope tokens, and too many of them", () => {
    expect(errorsFor({ ...valid, scopes: ['say"hi'] })).toEqual({ "scopes.0": ["A scope is printable ASCII without spaces, quotes or backslashes."] });
    expect(errorsFor({ ...valid, scopes: ["has space"] })).toMatchObject({ "scopes.0": expect.any(Array) });
    expect(errorsFor({ ...valid, scopes: Array.from({ length: 201 }, (_, i) => `s${i}`) })).toEqual({ scopes: ["At most 200 scopes."] });
  });

  it("refuses roles that are not a list of names", () => {
    expect(errorsFor({ ...valid, roles: "admin" })).toMatchObject({ roles: expect.any(Array) });
    expect(errorsFor({ ...valid, roles: [""] })).toMatchObject({ "roles.0": expect.any(Array) });
  });

  it("takes claims as strings or string arrays, and refuses anything else", () => {
    expect(DecisionApiRequestSchema.parse({ ...valid, claims: { groups: ["a"], roles: "x y" } }).claims).toEqual({ groups: ["a"], roles: "x y" });
    expect(errorsFor({ ...valid, claims: { groups: 1 } })).toEqual({ "claims.groups": ["Each claim is a string or an array of strings."] });
    expect(errorsFor({ ...valid, claims: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`c${i}`, "v"])) })).toEqual({ claims: ["At most 100 claims."] });
  });

  it("refuses unknown fields by name, so a misspelling is not silently ignored", () => {
    expect(errorsFor({ ...valid, subject: "user-1", scope: "a" })).toEqual({ subject: ['Unknown field "subject".'], scope: ['Unknown field "scope".'] });
  });

  it("refuses a body that is not an object", () => {
    expect(errorsFor([valid])).toEqual({ _body: ["The body must be a JSON object."] });
    expect(errorsFor("text")).toEqual({ _body: ["The body must be a JSON object."] });
  });
});
