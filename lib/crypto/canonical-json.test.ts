import { describe, expect, it } from "vitest";
import { canonicalJson, sha256Hex } from "./canonical-json";

describe("canonicalJson", () => {
  it("sorts keys at every depth so equal values hash equally", () => {
    const a = { b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } };
    const b = { a: { c: null, d: [1, { y: 2, z: 1 }] }, b: 1 };
    expect(canonicalJson(a)).toBe('{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
    expect(sha256Hex(canonicalJson(a))).toBe(sha256Hex(canonicalJson(b)));
  });

  it("drops undefined members and writes dates as ISO strings", () => {
    expect(canonicalJson({ a: undefined, t: new Date("2026-01-02T03:04:05.000Z") })).toBe(
      '{"t":"2026-01-02T03:04:05.000Z"}',
    );
  });
});
