import { describe, expect, it } from "vitest";
import { decryptSecret, encryptionKeyFrom, encryptSecret } from "./encryption";

const key = encryptionKeyFrom("a".repeat(40));

describe("secrets at rest", () => {
  it("round-trips, and never stores the same ciphertext twice", () => {
    const first = encryptSecret("private key material", key);
    expect(first).toMatch(/^v1\./);
    expect(first).not.toContain("private key material");
    expect(encryptSecret("private key material", key)).not.toBe(first);
    expect(decryptSecret(first, key)).toBe("private key material");
  });

  it("refuses the wrong key and tampered data with a clear message", () => {
    const stored = encryptSecret("secret", key);
    expect(() => decryptSecret(stored, encryptionKeyFrom("b".repeat(40)))).toThrow(/not the key it was encrypted with/);
    const [v, iv, tag, data] = stored.split(".");
    const flipped = `${v}.${iv}.${tag}.${Buffer.from(Buffer.from(data!, "base64url").map((byte, i) => (i === 0 ? byte ^ 1 : byte))).toString("base64url")}`;
    expect(() => decryptSecret(flipped, key)).toThrow(/Could not decrypt/);
  });

  it("insists on a long enough key", () => {
    expect(() => encryptionKeyFrom("short")).toThrow(/at least 32 characters/);
  });
});
