import { describe, expect, it } from "vitest";
import { describeRelativeTime } from "./relative-time";

const now = Date.parse("2026-12-02T12:00:00Z");
const at = (offsetSeconds: number) => new Date(now + offsetSeconds * 1000).toISOString();

describe("relative times", () => {
  it("reads an expiry 30 days or a year away as in the future, never 'now' (API keys list regression)", () => {
    expect(describeRelativeTime(at(30 * 86_400), now)).toBe("next month");
    expect(describeRelativeTime(at(365 * 86_400), now)).toBe("next year");
    expect(describeRelativeTime(at(3 * 3_600), now)).toBe("in 3 hours");
  });

  it("reads past times as before", () => {
    expect(describeRelativeTime(at(-180), now)).toBe("3 minutes ago");
    expect(describeRelativeTime(at(-2 * 86_400), now)).toBe("2 days ago");
  });

  it("treats a time a few seconds ahead of the reader's clock as now", () => {
    expect(describeRelativeTime(at(20), now)).toBe("now");
  });
});
