import type { z } from "zod";
import { LineCounter, isNode, parseDocument, type Document } from "yaml";
import { parseJsonSource } from "@/lib/tools/json-source";
import { jsonProblem, MAX_JSON_DEPTH } from "@/lib/input/rules";
import { PolicyDocumentSchema, type PolicyDocument, type PolicySerialization } from "./document";

export type PolicyProblem = { line: number; column?: number; path: string; message: string };
export type PolicyParseResult = { ok: true; doc: PolicyDocument } | { ok: false; errors: PolicyProblem[] };

export const MAX_POLICY_TEXT = 2_000_000;
const MAX_PROBLEMS = 50;

type PathSegment = string | number;

/** servers[0].tools[2].name: how the admin finds the spot in their file. */
export function formatPath(path: readonly PathSegment[]): string {
  return path.reduce<string>((out, segment) => (typeof segment === "number" ? `${out}[${segment}]` : out ? `${out}.${segment}` : segment), "");
}

/**
 * Reads a policy file and checks it completely: syntax, every field rule and
 * every cross-reference. Every problem carries the line of the submitted
 * text it is about, so an admin can fix the file without guessing.
 */
export function parsePolicy(text: string, format: PolicySerialization): PolicyParseResult {
  if (text.length > MAX_POLICY_TEXT) {
    return { ok: false, errors: [{ line: 1, path: "", message: `The file is too large: keep it under ${MAX_POLICY_TEXT.toLocaleString("en")} characters.` }] };
  }
  if (!text.trim()) return { ok: false, errors: [{ line: 1, path: "", message: "The file is empty." }] };
  return format === "json" ? parseJson(text) : parseYaml(text);
}

function parseJson(text: string): PolicyParseResult {
  const parsed = parseJsonSource(text);
  if (!parsed.ok) return { ok: false, errors: [{ line: parsed.line, path: "", message: `Invalid JSON: ${parsed.message}` }] };
  const pointer = (path: readonly PathSegment[]) => path.map((segment) => `/${String(segment).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
  return validate(parsed.value, (path) => ({ line: parsed.lineOf(pointer(path)) }));
}

const tooDeep = (): PolicyParseResult => ({ ok: false, errors: [{ line: 1, path: "", message: `The file nests deeper than ${MAX_JSON_DEPTH} levels; a policy file never needs that.` }] });

function parseYaml(text: string): PolicyParseResult {
  const lineCounter = new LineCounter();
  let document: Document;
  try {
    document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  } catch (error) {
    // The YAML parser recurses into nested collections; a file nested thousands deep exhausts the stack.
    if (error instanceof RangeError) return tooDeep();
    throw error;
  }
  const at = (offset: number) => {
    const position = lineCounter.linePos(offset);
    return { line: position.line, column: position.col };
  };
  if (document.errors.some((error) => /call stack/i.test(error.message))) return tooDeep();
  if (document.errors.length > 0) {
    return {
      ok: false,
      errors: document.errors.slice(0, MAX_PROBLEMS).map((error) => ({ ...at(error.pos[0]), path: "", message: `Invalid YAML: ${firstLine(error.message)}` })),
    };
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    if (error instanceof RangeError) return tooDeep();
    // Alias expansion beyond the limit (a "billion laughs" file) ends here.
    return { ok: false, errors: [{ line: 1, path: "", message: `Invalid YAML: ${firstLine(error instanceof Error ? error.message : String(error))}` }] };
  }
  // The same rules as every JSON input (depth, U+0000, lone surrogates) before anything walks the value recursively.
  const problem = jsonProblem(value);
  if (problem) return problem.includes("deeper than") ? tooDeep() : { ok: false, errors: [{ line: 1, path: "", message: `The file is not acceptable: ${problem}.` }] };
  return validate(value, (path) => at(offsetOf(document, path)));
}

function firstLine(message: string): string {
  return message.split("\n")[0]!.trim();
}

/** Where the value at a path starts; for a missing value, where its nearest enclosing value starts. */
function offsetOf(document: Document, path: readonly PathSegment[]): number {
  for (let length = path.length; length >= 0; length--) {
    const node = length === 0 ? document.contents : document.getIn(path.slice(0, length), true);
    if (isNode(node) && node.range) return node.range[0];
  }
  return 0;
}

function validate(value: unknown, locate: (path: readonly PathSegment[]) => { line: number; column?: number }): PolicyParseResult {
  const result = PolicyDocumentSchema.safeParse(value);
  if (result.success) return { ok: true, doc: result.data };
  const errors = result.error.issues.flatMap((issue) => problemsOf(issue, locate));
  errors.sort((a, b) => a.line - b.line || (a.column ?? 0) - (b.column ?? 0));
  return { ok: false, errors: errors.slice(0, MAX_PROBLEMS) };
}

function problemsOf(issue: z.core.$ZodIssue, locate: (path: readonly PathSegment[]) => { line: number; column?: number }): PolicyProblem[] {
  const path = issue.path.filter((segment): segment is PathSegment => typeof segment !== "symbol");
  if (issue.code === "unrecognized_keys") {
    // One problem per unknown key, at that key's own line.
    return issue.keys.map((key) => ({ ...locate([...path, key]), path: formatPath([...path, key]), message: `Unknown field "${key}".` }));
  }
  return [{ ...locate(path), path: formatPath(path), message: issue.message }];
}
