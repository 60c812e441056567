import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { diffToolDefinition } from "./definition-diff";
import { toolDefinitionHash } from "./definition-hash";
import { suggestRiskTier } from "./risk-suggestion";
import { annotationsOf } from "./schemas";

const base = { name: "get_invoice", title: null, description: "Returns one invoice.", inputSchema: { type: "object", properties: { id: { type: "string" } } }, annotations: {} };

describe("semantic diff of tool definitions", () => {
  it("ignores key order", () => {
    expect(diffToolDefinition(base, { ...base, inputSchema: { properties: { id: { type: "string" } }, type: "object" } })).toEqual([]);
  });

  it("does not present MCP's defaults as changes", () => {
    expect(diffToolDefinition(base, { ...base, annotations: { destructiveHint: true, openWorldHint: true, readOnlyHint: false, idempotentHint: false } })).toEqual([]);
    expect(diffToolDefinition({ ...base, outputSchema: null, title: undefined }, base)).toEqual([]);
  });

  it("lists only the changed paths, deep inside a schema", () => {
    const after = { ...base, inputSchema: { type: "object", properties: { id: { type: "integer" }, note: { type: "string" } } }, annotations: { readOnlyHint: true } };
    expect(diffToolDefinition(base, after)).toEqual([
      { path: "annotations.readOnlyHint", kind: "changed", before: false, after: true },
      { path: "inputSchema.properties.id.type", kind: "changed", before: "string", after: "integer" },
      { path: "inputSchema.properties.note", kind: "added", after: { type: "string" } },
    ]);
  });

  it("shows fields that appear or disappear, such as an output schema or _meta", () => {
    expect(diffToolDefinition(base, { ...base, outputSchema: { type: "object" }, meta: { "vendor/x": 1 } })).toEqual([
      { path: "_meta", kind: "added", after: { "vendor/x": 1 } },
      { path: "outputSchema", kind: "added", after: { type: "object" } },
    ]);
    expect(diffToolDefinition({ ...base, execution: { taskSupport: "optional" } }, base)).toEqual([{ path: "execution", kind: "removed", before: { taskSupport: "optional" } }]);
  });

  it("finds a change exactly when the definition hash changes (annotations completed with defaults, as stored tools are)", () => {
    const json = fc.jsonValue({ maxDepth: 3 });
    const definition = fc.record({
      name: fc.constant("t"),
      title: fc.option(fc.string(), { nil: null }),
      description: fc.option(fc.string(), { nil: null }),
      inputSchema: fc.dictionary(fc.string(), json),
      annotations: fc.record({ readOnlyHint: fc.boolean(), destructiveHint: fc.boolean() }, { requiredKeys: [] }),
      outputSchema: fc.option(fc.dictionary(fc.string(), json), { nil: null }),
    });
    fc.assert(
      fc.property(definition, definition, (a, b) => {
        const hashed = (tool: typeof a) => toolDefinitionHash({ ...tool, annotations: annotationsOf(tool.annotations) });
        expect(diffToolDefinition(a, b).length === 0).toBe(hashed(a) === hashed(b));
      }),
    );
  });
});

describe("risk tier suggested from MCP hints", () => {
  it("suggests at least MEDIUM for destructive or open-world tools that do not only read", () => {
    expect(suggestRiskTier(annotationsOf({ destructiveHint: true })).tier).toBe("HIGH");
    expect(suggestRiskTier(annotationsOf({ destructiveHint: false, openWorldHint: true })).tier).toBe("MEDIUM");
    expect(suggestRiskTier(annotationsOf({ readOnlyHint: true })).tier).toBe("LOW");
    expect(suggestRiskTier(annotationsOf({ destructiveHint: false, openWorldHint: false })).tier).toBe("LOW");
    // No hints at all: MCP's defaults assume the worst.
    expect(suggestRiskTier(annotationsOf({}))).toMatchObject({ tier: "HIGH" });
  });
});

describe("definition hash", () => {
  it("hashes a tool without the later fields as before, so approvals made earlier still hold", () => {
    expect(toolDefinitionHash(base)).toBe(toolDefinitionHash({ ...base, outputSchema: null, execution: undefined, icons: null, meta: null }));
    expect(toolDefinitionHash(base)).not.toBe(toolDefinitionHash({ ...base, outputSchema: { type: "object" } }));
  });
});
