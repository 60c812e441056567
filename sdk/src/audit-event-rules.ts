import { inputsWithinBounds, type DecisionInputs } from "./contract/decision-inputs.ts";
import { dateProblem, integerProblem, jsonProblem, textProblem } from "./contract/input-rules.ts";

/**
 * Decision inputs worth sending: within Warden's bounds and input rules. An
 * outsized or unstorable claim leaves the event without inputs (Warden counts
 * it as not replayable) instead of losing the event.
 */
export function recordableInputs(inputs: DecisionInputs | undefined): inputs is DecisionInputs {
  return inputs !== undefined && inputsWithinBounds(inputs) && jsonProblem(inputs) === null;
}

/**
 * Why Warden could not store this audit event, or null when it can, judged by
 * the rules Warden applies to every input (no U+0000, well-formed UTF-16,
 * PostgreSQL's integer and date ranges, JSON at most 32 deep).
 *
 * Checked before an event is queued: an older Warden failed the whole batch
 * on such a value, a current one rejects the event alone, and refusing it
 * here makes both behave the same. Nothing is trimmed or rewritten: an event
 * is sent exactly as recorded, or not at all.
 */
export function auditEventProblem(event: Readonly<Record<string, unknown>>): string | null {
  const checked = auditEventJson(event);
  return "problem" in checked ? checked.problem : null;
}

/**
 * The event as JSON, as it goes into a batch, or why Warden could not store
 * it (auditEventProblem's rules). The JSON is written once, when the event
 * is recorded: writing it is the last check, and the batch reuses it.
 */
export function auditEventJson(event: Readonly<Record<string, unknown>>): { json: string } | { problem: string } {
  try {
    for (const [field, value] of Object.entries(event)) {
      if (typeof value !== "string") continue;
      const problem = textProblem(value);
      if (problem) return { problem: `${field} ${problem}` };
    }
    if (typeof event.configVersion === "number") {
      const problem = integerProblem(event.configVersion);
      if (problem) return { problem: `configVersion ${problem}` };
    }
    if (typeof event.ts === "string") {
      const problem = dateProblem(new Date(event.ts));
      if (problem) return { problem: `ts ${problem}` };
    }
    if (event.details !== undefined && event.details !== null) {
      const problem = jsonProblem(event.details);
      if (problem) return { problem: `details: ${problem}` };
    }
    if (event.inputs !== undefined && event.inputs !== null) {
      const problem = jsonProblem(event.inputs);
      if (problem) return { problem: `inputs: ${problem}` };
    }
    // A BigInt, a cycle or a throwing toJSON anywhere would otherwise fail every send of its batch.
    return { json: JSON.stringify(event) };
  } catch {
    return { problem: "cannot be written as JSON" };
  }
}
