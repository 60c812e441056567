import { describe, expect, it } from "vitest";
import { parseTestAccessQuery } from "./test-access-query";

const filled = { subject: "alice", client: "https://agent.example/client.json", server: "sales", tool: "read_orders" };

describe("the Test access form in the URL", () => {
  it("asks nothing until a client and a tool are named", () => {
    expect(parseTestAccessQuery({})).toMatchObject({ request: null, fieldErrors: {}, query: { subject: "", roles: [] } });
    expect(parseTestAccessQuery({ ...filled, tool: "" }).request).toBeNull();
  });

  it("turns the fields into a decision request: scopes split, roles repeated, claims parsed", () => {
    const { request } = parseTestAccessQuery({ ...filled, scopes: "a b  a", roles: ["analyst", "admin"], claims: '{"groups":["sales"],"roles":"x y"}' });
    expect(request).toEqual({
      subject: "alice",
      clientId: filled.client,
      server: "sales",
      tool: "read_orders",
      scopes: ["a", "b"],
      roles: ["analyst", "admin"],
      claims: { groups: ["sales"], roles: "x y" },
    });
    expect(parseTestAccessQuery({ ...filled, roles: "analyst" }).request?.roles).toEqual(["analyst"]);
  });

  it("explains claims that are not JSON, or not an object of strings", () => {
    expect(parseTestAccessQuery({ ...filled, claims: "{groups: sales}" })).toMatchObject({
      request: null,
      fieldErrors: { claims: ['Claims must be a JSON object, e.g. {"groups": ["sales"]}.'] },
    });
    expect(parseTestAccessQuery({ ...filled, claims: '{"groups": 3}' })).toMatchObject({
      request: null,
      fieldErrors: { claims: ["Claims must be a JSON object of strings or string arrays: Each claim is a string or an array of strings."] },
    });
    expect(parseTestAccessQuery({ ...filled, claims: "[]" }).fieldErrors.claims).toHaveLength(1);
  });

  it("explains a scope that is not a scope token", () => {
    expect(parseTestAccessQuery({ ...filled, scopes: 'ok "quoted"' })).toMatchObject({
      request: null,
      fieldErrors: { scopes: ["A scope is printable ASCII without spaces, quotes or backslashes."] },
    });
  });

  it("keeps what was typed to refill the form, and ignores repeated or oversized single fields", () => {
    const { query } = parseTestAccessQuery({ ...filled, subject: ["first", "second"], tool: "t".repeat(500), claims: "{bad" });
    expect(query).toMatchObject({ subject: "first", tool: "", claims: "{bad" });
  });
});
