import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, sha256Hex } from "../../src/contract/canonical-json.ts";

/**
 * The recursive version canonicalJson replaced, kept as the reference: every
 * hash already stored (config versions, audit chains, client metadata) was
 * computed with it, so the iterative version must write the same bytes.
 */
function referenceCanonicalJson(value: unknown): string {
  return JSON.stringify(referenceSortKeys(value));
}
function referenceSortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : referenceSortKeys(item)));
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === "object") {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined) sorted[key] = referenceSortKeys(member);
    }
    return sorted;
  }
  return value;
}

// Keys that exercise the ordering rules: integer-like ones (which objects
// enumerate first), near misses, "__proto__", and any other string.
const key = fc.oneof(
  fc.string(),
  fc.constantFrom("0", "1", "2", "10", "9", "01", "-1", "1.5", "4294967294", "4294967295", "a", "A", "_", "__proto__", "é", "\ud83d\ude00", "\ud800"),
  fc.nat().map(String),
);
const leaf = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.double(),
  fc.integer(),
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.date({ noInvalidDate: true }),
);
const { value: anyValue } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, tie("array"), tie("object")),
  array: fc.oneof(fc.array(tie("value")), fc.sparseArray(tie("value"))),
  object: fc.dictionary(key, tie("value")),
}));

describe("canonicalJson", () => {
  it("sorts keys at every depth so equal values hash equally", () => {
    const a = { b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } };
    const b = { a: { c: null, d: [1, { y: 2, z: 1 }] }, b: 1 };
    expect(canonicalJson(a)).toBe('{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
    expect(sha256Hex(canonicalJson(a))).toBe(sha256Hex(canonicalJson(b)));
  });

  it("drops undefined members and writes dates as ISO strings", () => {
    expect(canonicalJson({ a: undefined, t: new Date("2026-01-02T03:04:05.000Z") })).toBe('{"t":"2026-01-02T03:04:05.000Z"}');
  });

  it("writes exactly what the recursive version wrote, for any value (stored hashes stay valid)", () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        expect(canonicalJson(value)).toBe(referenceCanonicalJson(value));
      }),
      { numRuns: 2_000 },
    );
  });

  it("keeps the recursive version's quirks: integer-like keys first, __proto__ dropped, holes and undefined items as null", () => {
    const cases: unknown[] = [
      { b: 1, "10": 2, "9": 3, "-1": 4, "01": 5, " ": 6 },
      JSON.parse('{"__proto__":{"a":1},"z":2}'),
      [undefined, () => 1, Symbol("s"), , 1],
      { f: () => 1, s: Symbol("s"), n: Number.NaN, i: -Infinity, z: -0 },
      Buffer.from("ab"),
      new Map([["a", 1]]),
    ];
    for (const value of cases) expect(canonicalJson(value)).toBe(referenceCanonicalJson(value));
    expect(canonicalJson(undefined)).toBeUndefined();
  });

  it("serialises a value nested 100,000 deep without a RangeError (no recursion)", () => {
    const depth = 100_000;
    let array: unknown = [];
    let object: unknown = {};
    for (let i = 0; i < depth; i++) {
      array = [array];
      object = { a: object };
    }
    // The reference overflows the stack on it: this is the failure the iterative version fixes.
    expect(() => referenceCanonicalJson(array)).toThrow(RangeError);
    expect(canonicalJson(array)).toBe(`${"[".repeat(depth + 1)}${"]".repeat(depth + 1)}`);
    expect(canonicalJson(object)).toBe(`${'{"a":'.repeat(depth)}{}${"}".repeat(depth)}`);
  });
});
