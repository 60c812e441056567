import { describe, expect, it } from "vitest";
import { checkInputSchema } from "./input-schema";
import { parseJsonSource } from "./json-source";

const problems = (text: string) => {
  const check = checkInputSchema(text);
  return check.ok ? [] : check.problems;
};

describe("tool input schema", () => {
  it("accepts an object schema in the 2020-12 dialect, and one that names draft-07", () => {
    expect(checkInputSchema('{"type":"object","properties":{"q":{"type":"string","format":"email"}},"required":["q"]}').ok).toBe(true);
    expect(checkInputSchema('{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","additionalProperties":false}').ok).toBe(true);
  });

  it("shows a JSON syntax error at its line", () => {
    expect(problems('{\n  "type": "object",\n  "properties": {\n    "q": {"type": "string",}\n  }\n}')).toEqual([
      { line: 4, message: 'Invalid JSON: Expected another property after the comma (remove the trailing comma) but found "}".' },
    ]);
    expect(problems('{\n  "type": "object"\n  "properties": {}\n}')).toEqual([{ line: 3, message: 'Invalid JSON: Expected "," or "}" but found """.' }]);
  });

  it("refuses text that is not a JSON object", () => {
    expect(problems("[]")).toEqual([{ line: 1, message: 'The input schema must be a JSON object such as {"type": "object"}.' }]);
  });

  it("requires type object at the root, at the line of the wrong type", () => {
    expect(problems('{\n  "type": "string"\n}')).toEqual([{ line: 2, message: 'The root must declare "type": "object": MCP tool arguments are always an object.' }]);
    expect(problems("{}")[0]?.message).toMatch(/The root must declare "type": "object"/);
  });

  it("shows a meta-schema violation at the line of the offending keyword, once", () => {
    const found = problems('{\n  "type": "object",\n  "properties": {\n    "q": {\n      "type": "strin"\n    }\n  },\n  "required": "q"\n}');
    expect(found).toEqual([
      { line: 5, message: "/properties/q/type must be equal to one of the allowed values (array, boolean, integer, null, number, object, string)." },
      { line: 8, message: "/required must be array." },
    ]);
  });

  it("refuses a schema that is well-formed but unusable, such as a $ref to nowhere", () => {
    expect(problems('{"type":"object","properties":{"x":{"$ref":"#/$defs/missing"}}}')[0]?.message).toMatch(/^The schema cannot be used: can't resolve reference/);
  });

  it("refuses an unknown $schema dialect", () => {
    expect(problems('{\n "$schema": "https://example.com/my-dialect",\n "type": "object"\n}')).toEqual([
      { line: 2, message: "Use the JSON Schema 2020-12 or draft-07 dialect in $schema." },
    ]);
  });
});

describe("JSON source positions", () => {
  it("parses what JSON.parse parses", () => {
    const text = '{"a":[1,-2.5e3,true,false,null,"x\\n\\u00e9"],"b":{}}';
    const parsed = parseJsonSource(text);
    expect(parsed.ok && parsed.value).toEqual(JSON.parse(text));
  });
  it("refuses duplicate keys, which JSON.parse would silently merge", () => {
    expect(parseJsonSource('{\n"a": 1,\n"a": 2\n}')).toEqual({ ok: false, message: 'The property "a" appears twice.', line: 3 });
  });
  it("refuses an unclosed string and trailing text", () => {
    expect(parseJsonSource('{"a": "x')).toMatchObject({ ok: false, message: "This string is never closed." });
    expect(parseJsonSource("{} {}")).toMatchObject({ ok: false, line: 1 });
  });
  it("points a missing child at its nearest existing parent", () => {
    const parsed = parseJsonSource('{\n  "a": {\n    "b": 1\n  }\n}');
    expect(parsed.ok && [parsed.lineOf("/a/b"), parsed.lineOf("/a/zzz"), parsed.lineOf("")]).toEqual([3, 2, 1]);
  });
});
