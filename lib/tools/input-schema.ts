import Ajv2020 from "ajv/dist/2020";
import AjvDraft7 from "ajv";
import { jsonProblem } from "@/lib/input/rules";
import { parseJsonSource } from "./json-source";

export type InputSchemaProblem = { line: number; message: string };
export type InputSchemaCheck = { ok: true; schema: Record<string, unknown> } | { ok: false; problems: InputSchemaProblem[] };

// Unknown keywords and formats are legal JSON Schema, and MCP servers use
// them; strict mode would refuse schemas that every client accepts.
const AJV_OPTIONS = { strict: false, validateFormats: false, allErrors: true, logger: false } as const;
let validators: { draft2020: Ajv2020; draft7: AjvDraft7 } | undefined;

function ajvFor(schema: Record<string, unknown>) {
  validators ??= { draft2020: new Ajv2020(AJV_OPTIONS), draft7: new AjvDraft7(AJV_OPTIONS) };
  // MCP's default dialect is 2020-12; a schema that names draft-07 is checked against draft-07.
  return typeof schema.$schema === "string" && schema.$schema.includes("draft-07") ? validators.draft7 : validators.draft2020;
}

const MAX_PROBLEMS = 10;

/**
 * Checks a tool's input schema as typed in the editor: valid JSON, a valid
 * JSON Schema (against its meta-schema), and an object schema at the root,
 * as MCP requires of tool inputs, that Warden's input rules let it store. Each problem carries the line to show it at.
 */
export function checkInputSchema(text: string): InputSchemaCheck {
  const parsed = parseJsonSource(text);
  if (!parsed.ok) return { ok: false, problems: [{ line: parsed.line, message: parsed.tooDeep ? parsed.message : `Invalid JSON: ${parsed.message}` }] };
  const schema = parsed.value;
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    return { ok: false, problems: [{ line: 1, message: 'The input schema must be a JSON object such as {"type": "object"}.' }] };
  }
  // What PostgreSQL cannot store (U+0000, a lone surrogate) is refused here, as a problem the editor shows.
  const unstorable = jsonProblem(schema);
  if (unstorable) return { ok: false, problems: [{ line: 1, message: `The input schema cannot be stored: ${unstorable}.` }] };
  const root = schema as Record<string, unknown>;
  const problems: InputSchemaProblem[] = [];
  if (root.type !== "object") {
    problems.push({
      line: parsed.lineOf("/type"),
      message: 'The root must declare "type": "object": MCP tool arguments are always an object.',
    });
  }
  if (typeof root.$schema === "string" && !/json-schema\.org\/(draft\/2020-12|draft-07)\/schema/.test(root.$schema)) {
    problems.push({ line: parsed.lineOf("/$schema"), message: "Use the JSON Schema 2020-12 or draft-07 dialect in $schema." });
    return { ok: false, problems };
  }
  const ajv = ajvFor(root);
  if (!ajv.validateSchema(root)) {
    const seen = new Set<string>();
    for (const error of ajv.errors ?? []) {
      const where = error.instancePath || "the root";
      const message = `${where} ${error.message ?? "is invalid"}${error.params && "allowedValues" in error.params ? ` (${(error.params.allowedValues as unknown[]).join(", ")})` : ""}.`;
      // One problem per place: the meta-schema's anyOf branches would
      // otherwise report the same mistake three ways.
      if (seen.has(error.instancePath)) continue;
      seen.add(error.instancePath);
      problems.push({ line: parsed.lineOf(error.instancePath), message });
    }
  } else {
    try {
      ajv.compile(root);
    } catch (error) {
      // Valid against the meta-schema yet unusable, e.g. a $ref to nowhere.
      problems.push({ line: 1, message: `The schema cannot be used: ${(error as Error).message}` });
    }
  }
  return problems.length ? { ok: false, problems: problems.slice(0, MAX_PROBLEMS) } : { ok: true, schema: root };
}

/** "Line 3: …", the form the UI reads a problem's line back from. */
export function formatInputSchemaProblem(problem: InputSchemaProblem): string {
  return `Line ${problem.line}: ${problem.message}`;
}
