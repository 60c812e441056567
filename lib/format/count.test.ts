import { describe, expect, it } from "vitest";
import { countOf, formatBytes } from "./count";

describe("counts and sizes", () => {
  it("puts the noun in the right number (the Overview said '1 errors')", () => {
    expect(countOf(1, "error")).toBe("1 error");
    expect(countOf(0, "error")).toBe("0 errors");
    expect(countOf(1234, "event")).toBe("1,234 events");
    expect(countOf(2, "policy", "policies")).toBe("2 policies");
  });

  it("shows a 49 KB export as 49 KB, not 0.0 MB", () => {
    expect(formatBytes(49 * 1024)).toBe("49 KB");
    expect(formatBytes(500)).toBe("500 bytes");
    expect(formatBytes(1)).toBe("1 byte");
    expect(formatBytes(3.4 * 1024 * 1024)).toBe("3.4 MB");
  });
});
