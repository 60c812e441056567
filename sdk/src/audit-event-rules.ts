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
  try {
    for (const [field, value] of Object.entries(event)) {
      if (typeof value !== "string") continue;
      const problem = textProblem(value);
      if (problem) return `${field} ${problem}`;
    }
    if (typeof event.configVersion === "number") {
      const problem = integerProblem(event.configVersion);
      if (problem) return `configVersion ${problem}`;
    }
    if (typeof event.ts === "string") {
      const problem = dateProblem(new Date(event.ts));
      if (problem) return `ts ${problem}`;
    }
    if (event.details !== undefined && event.details !== null) {
      const problem = jsonProblem(event.details);
      if (problem) return `details: ${problem}`;
    }
    if (event.inputs !== undefined && event.inputs !== null) {
      const problem = jsonProblem(event.inputs);
      if (problem) return `inputs: ${problem}`;
    }
    // A BigInt, a cycle or a throwing toJSON anywhere would otherwise fail every send of its batch.
    JSON.stringify(event);
    return null;
  } catch {
    return "cannot be written as JSON";
  }
}
