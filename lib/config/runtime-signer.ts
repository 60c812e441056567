import "server-only";
import type { Db } from "@/lib/db/client";
import { encryptionKeyFrom } from "@/lib/crypto/encryption";
import { loadSigner, type Signer } from "./signing-keys";

/** The key that protects secrets at rest; server.ts has made sure it is set. */
export function runtimeEncryptionKey(): Buffer {
  const secret = process.env.WARDEN_ENCRYPTION_KEY;
  if (!secret) throw new Error("WARDEN_ENCRYPTION_KEY is not set. Start Warden with `npm start`, or set it.");
  return encryptionKeyFrom(secret);
}

export function runtimeSigner(db: Db): Promise<Signer> {
  return loadSigner(db, runtimeEncryptionKey());
}
