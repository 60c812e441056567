import fc from "fast-check";
import { expect, it } from "vitest";
import { canonicalJson } from "@/sdk/src/contract/canonical-json";
import { auditEventCanonicalJson, type HashedAuditFields } from "./hash";

const text = fc.option(fc.string({ unit: "binary" }), { nil: null });
const event: fc.Arbitrary<HashedAuditFields> = fc.record({
  id: fc.uuid(),
  chain: fc.string(),
  ts: fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true }),
  environmentId: fc.option(fc.uuid(), { nil: null }),
  source: fc.constantFrom("admin" as const, "mcp" as const),
  actor: fc.string({ unit: "binary" }),
  actorLabel: text,
  clientId: text,
  server: text,
  tool: text,
  action: fc.string(),
  target: text,
  decision: fc.constantFrom("allow" as const, "deny" as const, "error" as const, null),
  reason: text,
  configVersion: fc.option(fc.integer({ min: 1 }), { nil: null }),
  requestId: text,
  ip: text,
  details: fc.option(fc.dictionary(fc.string(), fc.jsonValue()), { nil: null }),
  inputs: fc.option(fc.record({ scopes: fc.array(fc.string()), roles: fc.array(fc.string()), claims: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.array(fc.string()))) }), { nil: null }),
});

it("writes an event's hash input exactly as the generic canonical JSON would, whatever its content", () => {
  // Stored hashes were computed with canonicalJson; the fast form must never drift from it.
  fc.assert(
    fc.property(event, (value) => {
      // Decision inputs are part of the document only when present: older events keep their hash.
      const { inputs, ...rest } = value;
      expect(auditEventCanonicalJson(value)).toBe(canonicalJson({ ...rest, ...(inputs != null ? { inputs } : {}), ts: value.ts.toISOString() }));
    }),
    { numRuns: 500 },
  );
});
