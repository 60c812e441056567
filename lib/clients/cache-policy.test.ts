import { describe, expect, it } from "vitest";
import { DEFAULT_CACHE_BOUNDS, freshnessSeconds } from "./cache-policy";

const now = new Date("2026-11-23T12:00:00Z");
const { minSeconds, maxSeconds, defaultSeconds } = DEFAULT_CACHE_BOUNDS;

describe("how long a client metadata document stays fresh", () => {
  it("follows max-age, minus the Age a cache in between already spent", () => {
    expect(freshnessSeconds({ "cache-control": "public, max-age=7200" }, now)).toBe(7200);
    expect(freshnessSeconds({ "cache-control": "max-age=7200", age: "1200" }, now)).toBe(6000);
  });

  it("falls back to Expires, then to the default", () => {
    expect(freshnessSeconds({ expires: "Mon, 23 Nov 2026 14:00:00 GMT" }, now)).toBe(7200);
    expect(freshnessSeconds({}, now)).toBe(defaultSeconds);
  });

  it("keeps within the minimum: no-store, no-cache, tiny or past lifetimes still cache briefly", () => {
    expect(freshnessSeconds({ "cache-control": "no-store" }, now)).toBe(minSeconds);
    expect(freshnessSeconds({ "cache-control": "no-cache" }, now)).toBe(minSeconds);
    expect(freshnessSeconds({ "cache-control": "max-age=5" }, now)).toBe(minSeconds);
    expect(freshnessSeconds({ expires: "Mon, 23 Nov 2026 11:00:00 GMT" }, now)).toBe(minSeconds);
    expect(freshnessSeconds({ expires: "not a date" }, now)).toBe(minSeconds);
  });

  it("keeps within the maximum: a year-long max-age is cut to the bound", () => {
    expect(freshnessSeconds({ "cache-control": "max-age=31536000, immutable" }, now)).toBe(maxSeconds);
  });

  it("takes custom bounds", () => {
    expect(freshnessSeconds({ "cache-control": "max-age=10" }, now, { minSeconds: 1, maxSeconds: 60, defaultSeconds: 30 })).toBe(10);
  });
});
