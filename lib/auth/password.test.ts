import { describe, expect, it } from "vitest";
import { hashPassword, PasswordSchema, verifyPassword } from "./password";

const PASSWORD = "correct horse battery staple";

describe("password hashing", () => {
  it("verifies the password it hashed, and refuses any other", async () => {
    const stored = await hashPassword(PASSWORD);
    expect(stored).not.toContain(PASSWORD);
    expect(await verifyPassword(PASSWORD, stored)).toBe(true);
    expect(await verifyPassword("correct horse battery stapler", stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });

  it("salts every hash, so equal passwords do not give equal hashes", async () => {
    const [first, second] = await Promise.all([hashPassword(PASSWORD), hashPassword(PASSWORD)]);
    expect(first).not.toBe(second);
    expect(await verifyPassword(PASSWORD, second)).toBe(true);
  });

  it("refuses a tampered or malformed stored hash instead of throwing", async () => {
    const stored = await hashPassword(PASSWORD);
    const parts = stored.split("$");
    const hash = Buffer.from(parts[5]!, "base64");
    hash[0]! ^= 1;
    const flipped = [...parts.slice(0, 5), hash.toString("base64")].join("$");
    const otherSalt = [...parts.slice(0, 4), Buffer.alloc(16).toString("base64"), parts[5]].join("$");
    // Parameters scrypt rejects outright (not a power of two; beyond the memory cap).
    const badCost = stored.replace("$32768$", "$1000$");
    const hugeCost = stored.replace("$32768$", "$1048576$");

    for (const tampered of [flipped, otherSalt, badCost, hugeCost, "", "scrypt$", `bcrypt${stored.slice(6)}`]) {
      await expect(verifyPassword(PASSWORD, tampered), tampered).resolves.toBe(false);
    }
  });

  it("treats Unicode-equivalent spellings of a password as the same password", async () => {
    // "é" typed as one code point or as "e" plus a combining accent.
    const stored = await hashPassword("caf\u00e9 au lait please");
    expect(await verifyPassword("cafe\u0301 au lait please", stored)).toBe(true);
  });
});

describe("PasswordSchema", () => {
  it("accepts 12 to 256 characters", () => {
    expect(PasswordSchema.safeParse("a".repeat(12)).success).toBe(true);
    expect(PasswordSchema.safeParse("a".repeat(256)).success).toBe(true);
  });

  it("refuses 11 characters, saying how many are needed", () => {
    const result = PasswordSchema.safeParse("a".repeat(11));
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe("Use at least 12 characters.");
  });

  it("refuses 257 characters", () => {
    const result = PasswordSchema.safeParse("a".repeat(257));
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe("Use at most 256 characters.");
  });
});
