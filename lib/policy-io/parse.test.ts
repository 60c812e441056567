import { describe, expect, it } from "vitest";
import { serializePolicy, type PolicyDocument } from "./document";
import { parsePolicy } from "./parse";

const valid: PolicyDocument = {
  warden: "policy/v1",
  environment: "dev",
  scopes: [{ name: "tools:sales.read", description: "Read sales" }],
  servers: [
    {
      name: "sales",
      description: null,
      resource: "https://mcp.example.com/sales",
      authorizationServer: "https://idp.example.com",
      jwksUri: null,
      scopesSupported: ["tools:sales.read"],
      tools: [
        {
          name: "lookup",
          title: "Look up",
          description: null,
          inputSchema: { type: "object" },
          annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
          riskTier: "LOW",
          enabled: true,
          requiresApproval: false,
        },
      ],
    },
  ],
  roles: [{ name: "support", description: null, claimName: "roles", claimValue: "support", grants: [{ server: "sales", tool: "lookup", requiredScopes: ["tools:sales.read"] }] }],
};

const json = serializePolicy(valid, "json");
const yaml = serializePolicy(valid, "yaml");
const lineOf = (text: string, needle: string, from = 0) => text.split("\n").findIndex((line, index) => index >= from && line.includes(needle)) + 1;

describe("parsePolicy", () => {
  it.each(["json", "yaml"] as const)("reads back what it serialized (%s)", (format) => {
    const result = parsePolicy(format === "json" ? json : yaml, format);
    expect(result).toEqual({ ok: true, doc: valid });
  });

  it("reports a JSON syntax error at its line", () => {
    const broken = json.replace('"name": "lookup",', '"name": "lookup"');
    const result = parsePolicy(broken, "json");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]!.message).toMatch(/^Invalid JSON: Expected "," or "}"/);
    expect(result.errors[0]!.line).toBe(lineOf(broken, '"name": "lookup"') + 1);
  });

  it("reports a YAML syntax error at its line and column", () => {
    const broken = yaml.replace("claimValue: support", "claimValue: [support");
    const result = parsePolicy(broken, "yaml");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]!.message).toMatch(/^Invalid YAML/);
    expect(result.errors[0]!.line).toBeGreaterThanOrEqual(lineOf(broken, "claimValue: [support"));
    expect(result.errors[0]!.column).toBeGreaterThan(0);
  });

  it("refuses a YAML file nested past the input rules' depth, flow or block, without overflowing the stack", () => {
    const flow = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
    const block = Array.from({ length: 40 }, (_, depth) => `${"  ".repeat(depth)}k${depth}:`).join("\n") + " 1\n";
    for (const text of [flow, block]) {
      const result = parsePolicy(text, "yaml");
      expect(result).toEqual({ ok: false, errors: [{ line: 1, path: "", message: "The file nests deeper than 32 levels; a policy file never needs that." }] });
    }
  });

  it("refuses U+0000 in a YAML file by the shared text rule", () => {
    const result = parsePolicy('apiVersion: "warden/policy/v1\0"\n', "yaml");
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors[0]!.message).toMatch(/U\+0000/);
  });

  it("refuses a duplicate YAML key at its line", () => {
    const broken = yaml.replace("    claimName: roles\n", "    claimName: roles\n    claimName: groups\n");
    const result = parsePolicy(broken, "yaml");
    expect(result).toMatchObject({ ok: false, errors: [{ line: lineOf(broken, "claimName: groups") }] });
  });

  it.each(["json", "yaml"] as const)("reports a field rule from the UI at the field's line (%s)", (format) => {
    const text = (format === "json" ? json : yaml).replace("https://mcp.example.com/sales", "http://mcp.example.com/sales#x");
    const result = parsePolicy(text, format);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.length).toBeGreaterThan(0);
    for (const error of result.errors) {
      expect(error.path).toBe("servers[0].resource");
      expect(error.line).toBe(lineOf(text, "http://mcp.example.com/sales#x"));
    }
  });

  it.each(["json", "yaml"] as const)("reports a wrong risk tier and an unknown field at their lines (%s)", (format) => {
    const text = (format === "json" ? json : yaml)
      .replace(format === "json" ? '"riskTier": "LOW"' : "riskTier: LOW", format === "json" ? '"riskTier": "SEVERE"' : "riskTier: SEVERE")
      .replace(format === "json" ? '"claimValue": "support",' : "claimValue: support", format === "json" ? '"claimValue": "support",\n      "colour": "red",' : "claimValue: support\n    colour: red");
    const result = parsePolicy(text, format);
    expect(result).toMatchObject({
      ok: false,
      errors: [
        { path: "servers[0].tools[0].riskTier", line: lineOf(text, "SEVERE"), message: "Choose a risk tier: LOW, MEDIUM, HIGH, CRITICAL." },
        { path: "roles[0].colour", line: lineOf(text, "colour"), message: 'Unknown field "colour".' },
      ],
    });
  });

  it.each(["json", "yaml"] as const)("reports a grant to a missing tool and an unlisted scope at their lines (%s)", (format) => {
    const base = format === "json" ? json : yaml;
    const grantsAt = lineOf(base, "grants");
    const text = base
      .split("\n")
      .map((line, index) => (index + 1 > grantsAt && line.includes("lookup") ? line.replace("lookup", "refund") : line))
      .join("\n")
      .replace(/(requiredScopes[^\n]*\n?[^\n]*)tools:sales\.read/, "$1tools:sales.write");
    const result = parsePolicy(text, format);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      { path: "roles[0].grants[0].tool", line: lineOf(text, "refund"), column: format === "yaml" ? expect.any(Number) : undefined, message: 'The server "sales" has no tool named "refund" in this file.' },
      {
        path: "roles[0].grants[0].requiredScopes[0]",
        line: lineOf(text, "tools:sales.write"),
        column: format === "yaml" ? expect.any(Number) : undefined,
        message: 'The scope "tools:sales.write" is not listed under "scopes".',
      },
    ].map((error) => (format === "json" ? { path: error.path, line: error.line, message: error.message } : error)));
  });

  it.each(["json", "yaml"] as const)("reports a duplicate scope name at the second one's line (%s)", (format) => {
    const doc = { ...valid, scopes: [valid.scopes[0]!, { name: "other", description: null }, { name: "tools:sales.read", description: "again" }] };
    const text = serializePolicy(doc, format);
    const result = parsePolicy(text, format);
    expect(result).toMatchObject({ ok: false, errors: [{ path: "scopes[2].name", line: lineOf(text, "tools:sales.read", lineOf(text, "again") - 3), message: 'The scope "tools:sales.read" appears twice.' }] });
  });

  it("refuses a file that is not a Warden policy at line 1", () => {
    expect(parsePolicy('{"hello": 1}', "json")).toMatchObject({ ok: false, errors: expect.arrayContaining([{ line: 1, path: "warden", message: expect.stringMatching(/not a Warden policy/) }]) });
    expect(parsePolicy("", "yaml")).toEqual({ ok: false, errors: [{ line: 1, path: "", message: "The file is empty." }] });
  });

  it("refuses an input schema that is not an object schema at its line", () => {
    const text = json.replace('"type": "object"', '"type": "string"');
    expect(parsePolicy(text, "json")).toMatchObject({ ok: false, errors: [{ path: "servers[0].tools[0].inputSchema", line: lineOf(text, '"inputSchema"') }] });
  });
});
