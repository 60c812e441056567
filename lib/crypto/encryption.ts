import "server-only";
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/**
 * AES-256-GCM for secrets at rest (signing private keys). The key comes from
 * WARDEN_ENCRYPTION_KEY; the stored form names its version so the scheme can
 * change without guessing: "v1.<iv>.<tag>.<ciphertext>", base64url.
 */
export function encryptionKeyFrom(secret: string): Buffer {
  // Any string of enough entropy works; hashing gives exactly 32 bytes.
  if (secret.length < 32) throw new Error("WARDEN_ENCRYPTION_KEY must be at least 32 characters.");
  return createHash("sha256").update(secret).digest();
}

export function encryptSecret(plaintext: string, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), ciphertext.toString("base64url")].join(".");
}

export function decryptSecret(stored: string, key: Buffer): string {
  const [version, iv, tag, ciphertext] = stored.split(".");
  if (version !== "v1" || !iv || !tag || !ciphertext) throw new Error("Unrecognised encrypted value.");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  try {
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    throw new Error("Could not decrypt a stored secret: WARDEN_ENCRYPTION_KEY is not the key it was encrypted with.");
  }
}
