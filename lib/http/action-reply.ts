import { parseExternalJson } from "@/lib/input/rules";

/**
 * The shape of a server action's arguments on the wire (React's "reply"
 * encoding), checked before Next decodes it: Next answers 500 to a reply that
 * is valid JSON but not a valid reply (arguments that are not a list, a
 * reference to a part that was not sent, a value of a kind it cannot build).
 *
 * Warden's actions take plain data, so the reply may hold JSON values and the
 * strings React uses for plain values ("$$…" for a string starting with $,
 * "$undefined", "$NaN", "$Infinity", "$-Infinity", "$-0", "$D<date>",
 * "$n<integer>"), references to another part's JSON ("$<hex id>[:path]")
 * that exist, and, in a multipart reply, files ("$B<id>") and form data
 * ("$K<id>"). Promises, maps, sets, streams, iterators, typed arrays,
 * functions (server references) and temporary references are refused.
 */

/** One part of a reply: the text of part 0 for a text body, a form field for a multipart one. */
export type ReplyPart = string | File | null;

const PLAIN_VALUE = /^\$(?:\$[\s\S]*|undefined|NaN|Infinity|-Infinity|-0|D[\s\S]*|n-?\d{1,64})$/;
const MODEL_REFERENCE = /^\$([0-9a-f]{1,8})((?::[^:]*)*)$/;
const FORM_REFERENCE = /^\$([BK])([0-9a-f]{1,8})$/;

/**
 * Why a reply cannot be decoded, or null when it can. `part(id)` returns the
 * part with that (decimal) id; part "0" holds the arguments.
 */
export function actionReplyProblem(part: (id: string) => ReplyPart, multipart: boolean): string | null {
  const parsed = new Map<string, unknown>();
  const pending = ["0"];

  const modelPart = (id: string): { ok: true; value: unknown } | { ok: false; error: string } => {
    if (parsed.has(id)) return { ok: true, value: parsed.get(id) };
    const text = part(id);
    if (typeof text !== "string") return { ok: false, error: id === "0" ? "The action's arguments are missing." : `The arguments refer to a part ${id} that was not sent.` };
    const json = parseExternalJson(text);
    if (!json.ok) return { ok: false, error: id === "0" ? json.error : `Part ${id} of the arguments: ${json.error}` };
    parsed.set(id, json.value);
    pending.push(id);
    return { ok: true, value: json.value };
  };

  const root = modelPart("0");
  if (!root.ok) return root.error;
  if (!Array.isArray(root.value)) return "The action's arguments must be a JSON array.";

  const checked = new Set<string>();
  while (pending.length) {
    const id = pending.pop()!;
    if (checked.has(id)) continue;
    checked.add(id);
    const stack: unknown[] = [parsed.get(id)];
    while (stack.length) {
      const value = stack.pop();
      if (typeof value === "string") {
        const problem = stringProblem(value);
        if (problem) return problem;
      } else if (Array.isArray(value)) stack.push(...value);
      else if (value !== null && typeof value === "object") stack.push(...Object.values(value));
    }
  }
  return null;

  function stringProblem(value: string): string | null {
    if (!value.startsWith("$") || PLAIN_VALUE.test(value)) return null;
    const model = MODEL_REFERENCE.exec(value);
    if (model) {
      const target = modelPart(String(parseInt(model[1]!, 16)));
      if (!target.ok) return target.error;
      let at: unknown = target.value;
      for (const key of model[2]!.split(":").slice(1)) {
        if (at === null || typeof at !== "object" || !Object.hasOwn(at, key)) return `The arguments refer to a path ${value.slice(0, 64)} that does not exist.`;
        at = (at as Record<string, unknown>)[key];
      }
      return null;
    }
    const form = multipart ? FORM_REFERENCE.exec(value) : null;
    if (form) {
      if (form[1] === "K") return null;
      return part(String(parseInt(form[2]!, 16))) instanceof File ? null : `The arguments refer to a file ${value} that was not sent.`;
    }
    return `The arguments hold a value Warden's actions never take (${value.slice(0, 32)}); escape a string starting with "$" as "$$".`;
  }
}
