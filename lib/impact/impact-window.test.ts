import { describe, expect, it } from "vitest";
import { ImpactWindowSchema } from "./impact";

describe("ImpactWindowSchema", () => {
  it("takes a whole number of days from 1 to 30, as a number or its digits, and 7 when left out", () => {
    expect(ImpactWindowSchema.parse(undefined)).toBe(7);
    expect(ImpactWindowSchema.parse(14)).toBe(14);
    expect(ImpactWindowSchema.parse("30")).toBe(30);
    expect(ImpactWindowSchema.parse(" 1 ")).toBe(1);
  });

  it("refuses what is not a number of days instead of coercing it", () => {
    for (const value of [true, false, null, [], [7], {}, "", "1e1", "0x10", "7.0", "-1", 0, -1, 7.5, 31, 2 ** 31, 2 ** 53 + 1]) {
      expect(ImpactWindowSchema.safeParse(value).success, JSON.stringify(value)).toBe(false);
    }
  });
});
