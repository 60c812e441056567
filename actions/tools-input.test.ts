import { describe, expect, it, vi } from "vitest";
import { z } from "zod";

// The tool actions are public endpoints: whatever the editor sent, input the
// runtime or PostgreSQL cannot take must come back as a form error, never as
// a crash. The session is replaced by an ADMIN's (sign-in is not under test);
// nothing else is mocked, and none of these inputs gets as far as the database.
const session = vi.hoisted(() => ({ role: "ADMIN" as const }));
vi.mock("@/lib/auth/session", async (importOriginal) => (await import("@/lib/auth/testing/session-mock")).sessionMock(importOriginal, session));

const { createToolAction, updateToolAction } = await import("@/actions/tools");
const { runAdminAction } = await import("@/lib/actions/run-admin-action");

const ids = { environmentId: "0190c0de-0000-7000-8000-0000000000e1", serverId: "0190c0de-0000-7000-8000-0000000000a1" };
const annotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
const tool = (overrides: Record<string, unknown>) => ({ ...ids, name: "search", title: "Search", description: null, inputSchema: '{"type": "object"}', annotations, riskTier: "LOW", requiresApproval: false, ...overrides });

/** An object nested `depth` levels deep: JSON.stringify overflows the stack on it. */
function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { type: "object" };
  for (let level = 1; level < depth; level++) value = { type: "object", properties: { a: value } };
  return value;
}

describe("tool actions refuse input the runtime or PostgreSQL cannot take, as form errors", () => {
  it("refuses an input schema typed 10,000 levels deep with the line of the problem", async () => {
    const text = `{"type": "object",\n "properties": {"a": ${"[".repeat(10_000)}${"]".repeat(10_000)}}}`;
    expect(await createToolAction(tool({ inputSchema: text }))).toEqual({
      ok: false,
      error: "Some fields need attention.",
      fieldErrors: { inputSchema: ["Line 2: This value is nested deeper than 32 levels."] },
    });
  });

  it("refuses an input schema sent as an object 10,000 levels deep before printing it", async () => {
    const result = await createToolAction(tool({ inputSchema: nested(10_000) }));
    expect(result).toMatchObject({ ok: false, fieldErrors: { inputSchema: [expect.stringMatching(/^The input schema cannot be stored: nested deeper than 32 levels at properties\.a\./)] } });
  });

  it("refuses an input schema PostgreSQL cannot store: U+0000 or a lone surrogate in a string or key", async () => {
    for (const [schema, problem] of [
      ['{"type": "object", "description": "a\\u0000b"}', "a string at description contains the character U+0000, which cannot be stored"],
      ['{"type": "object", "properties": {"\\ud800": {}}}', "a key at properties is not well-formed Unicode (a lone UTF-16 surrogate)"],
    ]) {
      expect(await createToolAction(tool({ inputSchema: schema }))).toMatchObject({ ok: false, fieldErrors: { inputSchema: [`Line 1: The input schema cannot be stored: ${problem}.`] } });
    }
  });

  it("refuses U+0000 in a title and a version above PostgreSQL's integer", async () => {
    expect(await createToolAction(tool({ title: "Se\u0000arch" }))).toMatchObject({ ok: false, fieldErrors: { title: [expect.stringMatching(/U\+0000/)] } });
    const update = await updateToolAction(tool({ toolId: "0190c0de-0000-7000-8000-0000000000b1", version: 2 ** 31 }));
    expect(update).toMatchObject({ ok: false, fieldErrors: { version: [expect.any(String)] } });
  });

  it("answers a schema that throws while checking the input with a refusal, not a crash", async () => {
    const throwing = z.unknown().transform(() => {
      throw new RangeError("Maximum call stack size exceeded");
    });
    const quiet = vi.spyOn(console, "error").mockImplementation(() => {});
    const result = await runAdminAction("ADMIN", throwing, {}, async () => "ran");
    quiet.mockRestore();
    expect(result).toEqual({ ok: false, error: "This input could not be checked, so nothing was saved. Simplify it and try again." });
  });
});
