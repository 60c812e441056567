/**
 * A small JSON parser that remembers where each value starts, so errors about
 * a JSON Schema (which name a JSON Pointer) can be shown at the admin's line.
 * JSON.parse reports positions differently on every engine, and not at all
 * for errors found after parsing.
 */
import { MAX_JSON_DEPTH } from "@/lib/input/rules";

export type JsonSourceResult =
  | { ok: true; value: unknown; lineOf: (pointer: string) => number }
  | { ok: false; message: string; line: number; /** The text is JSON, only nested past the limit. */ tooDeep?: true };

class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly tooDeep = false,
  ) {
    super(message);
  }
}

/**
 * Nesting past `maxDepth` is a syntax error at the offending line: the parser
 * recurses, so a value nested thousands deep would otherwise overflow the stack.
 */
export function parseJsonSource(text: string, maxDepth = MAX_JSON_DEPTH): JsonSourceResult {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") lineStarts.push(i + 1);
  const lineAt = (offset: number) => {
    let line = 1;
    while (line < lineStarts.length && lineStarts[line]! <= offset) line++;
    return line;
  };
  const positions = new Map<string, number>();
  let at = 0;

  const skipSpace = () => {
    while (at < text.length && " \t\n\r".includes(text[at]!)) at++;
  };
  const describe = (offset: number) => (offset >= text.length ? "the end of the text" : `"${text[offset]}"`);
  const fail = (expected: string): never => {
    throw new JsonSyntaxError(`Expected ${expected} but found ${describe(at)}.`, at);
  };

  function parseString(): string {
    const start = at;
    at++; // opening quote
    while (at < text.length && text[at] !== '"') {
      if (text[at] === "\\") at++;
      else if (text.charCodeAt(at) < 0x20) throw new JsonSyntaxError("A string cannot contain a raw line break or control character.", at);
      at++;
    }
    if (at >= text.length) throw new JsonSyntaxError("This string is never closed.", start);
    at++;
    try {
      return JSON.parse(text.slice(start, at)) as string;
    } catch {
      throw new JsonSyntaxError("This string has an invalid escape sequence.", start);
    }
  }

  function parseValue(pointer: string, depth: number): unknown {
    skipSpace();
    positions.set(pointer, at);
    const char = text[at];
    if ((char === "{" || char === "[") && depth >= maxDepth) throw new JsonSyntaxError(`This value is nested deeper than ${maxDepth} levels.`, at, true);
    if (char === "{") {
      at++;
      const object: Record<string, unknown> = {};
      skipSpace();
      if (text[at] === "}") {
        at++;
        return object;
      }
      for (;;) {
        skipSpace();
        if (text[at] !== '"') fail('a property name in double quotes');
        const keyStart = at;
        const key = parseString();
        if (Object.hasOwn(object, key)) throw new JsonSyntaxError(`The property "${key}" appears twice.`, keyStart);
        skipSpace();
        if (text[at] !== ":") fail('":"');
        at++;
        object[key] = parseValue(`${pointer}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`, depth + 1);
        skipSpace();
        if (text[at] === ",") {
          at++;
          skipSpace();
          if (text[at] === "}") fail("another property after the comma (remove the trailing comma)");
          continue;
        }
        if (text[at] === "}") {
          at++;
          return object;
        }
        fail('"," or "}"');
      }
    }
    if (char === "[") {
      at++;
      const array: unknown[] = [];
      skipSpace();
      if (text[at] === "]") {
        at++;
        return array;
      }
      for (;;) {
        array.push(parseValue(`${pointer}/${array.length}`, depth + 1));
        skipSpace();
        if (text[at] === ",") {
          at++;
          skipSpace();
          if (text[at] === "]") fail("another item after the comma (remove the trailing comma)");
          continue;
        }
        if (text[at] === "]") {
          at++;
          return array;
        }
        fail('"," or "]"');
      }
    }
    if (char === '"') return parseString();
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(at, at + 400));
    if (literal) {
      at += literal[0].length;
      return JSON.parse(literal[0]) as unknown;
    }
    return fail("a value (object, array, string, number, true, false or null)");
  }

  try {
    const value = parseValue("", 0);
    skipSpace();
    if (at < text.length) fail("nothing more after the end of the JSON value");
    return {
      ok: true,
      value,
      // The nearest enclosing value that has a position: an error about a
      // missing property points at the object that lacks it.
      lineOf: (pointer) => {
        let current = pointer;
        for (;;) {
          const offset = positions.get(current);
          if (offset !== undefined) return lineAt(offset);
          if (!current) return 1;
          current = current.slice(0, current.lastIndexOf("/"));
        }
      },
    };
  } catch (error) {
    if (error instanceof JsonSyntaxError) return { ok: false, message: error.message, line: lineAt(error.offset), ...(error.tooDeep ? { tooDeep: true as const } : {}) };
    throw error;
  }
}
