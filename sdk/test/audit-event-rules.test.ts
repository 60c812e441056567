import { expect, it } from "vitest";
import { auditEventProblem } from "../src/audit-event-rules";

const event = { id: "0192d1c4-0000-7000-8000-000000000000", ts: "2026-12-02T00:00:00.000Z", source: "mcp", actor: "alice", action: "tool.call", decision: "allow", configVersion: 1 };

function nested(levels: number): Record<string, unknown> {
  let details: Record<string, unknown> = {};
  for (let level = 1; level < levels; level++) details = { inner: details };
  return details;
}

it("accepts values at the very limits Warden stores, and text in any script", () => {
  expect(auditEventProblem({ ...event, configVersion: 2_147_483_647 })).toBeNull();
  expect(auditEventProblem({ ...event, ts: "0001-01-01T00:00:00.000Z" })).toBeNull();
  expect(auditEventProblem({ ...event, ts: "9999-12-31T23:59:59.999Z" })).toBeNull();
  expect(auditEventProblem({ ...event, details: nested(32) })).toBeNull();
  expect(auditEventProblem({ ...event, actor: "  Zoë 🦀 日本  ", details: { "ключ 🔑": ["значение", 1.5, null, false] } })).toBeNull();
});

it("names the field and the rule an event breaks, one step past each limit", () => {
  expect(auditEventProblem({ ...event, configVersion: 2_147_483_648 })).toMatch(/^configVersion must be between/);
  expect(auditEventProblem({ ...event, ts: "+010000-01-01T00:00:00.000Z" })).toMatch(/^ts must be between the years 1 and 9999/);
  expect(auditEventProblem({ ...event, details: nested(33) })).toMatch(/^details: nested deeper than 32 levels/);
  expect(auditEventProblem({ ...event, tool: "get\u0000invoice" })).toMatch(/^tool contains the character U\+0000/);
  expect(auditEventProblem({ ...event, reason: "cut \uDC00 off" })).toMatch(/^reason is not well-formed Unicode/);
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  expect(auditEventProblem({ ...event, details: cycle })).toMatch(/^details: nested deeper than 32 levels/);
});
