import { describe, expect, it } from "vitest";
import { safeCallbackPath } from "./callback-url";

describe("safeCallbackPath", () => {
  it("keeps a same-site path with its query and fragment", () => {
    expect(safeCallbackPath("/prod/clients?status=PENDING#top")).toBe("/prod/clients?status=PENDING#top");
    expect(safeCallbackPath("/")).toBe("/");
  });

  it("refuses anything that a browser would send to another site", () => {
    const offsite = [
      "https://evil.example/",
      "//evil.example/",
      "/\\evil.example/",
      // Browsers drop tabs and newlines inside URLs, which turns these into "//evil.example/".
      "/\t/evil.example/",
      "/\n/evil.example/",
      "/\r\n/evil.example/",
      "\\\\evil.example",
      "javascript:alert(1)",
      "evil.example",
    ];
    for (const value of offsite) expect(safeCallbackPath(value), JSON.stringify(value)).toBe("/");
  });

  it("does not send a signed-in admin back to the sign-in or setup pages", () => {
    expect(safeCallbackPath("/login?callbackUrl=/x")).toBe("/");
    expect(safeCallbackPath("/setup/abc")).toBe("/");
  });

  it("uses the fallback for missing or non-string values", () => {
    expect(safeCallbackPath(undefined, "/home")).toBe("/home");
    expect(safeCallbackPath(["/a", "/b"])).toBe("/");
  });
});
