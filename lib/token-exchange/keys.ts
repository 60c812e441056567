import "server-only";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import type { Db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client.ts";
import { recordAdminEvent, type AuditActor } from "@/lib/audit/record";
import { decryptSecret, encryptSecret } from "@/lib/crypto/encryption";

// ES256: verifiable by every common JWT library, which is the point of these tokens.
export const TOKEN_SIGNING_ALGORITHM = "ES256";
// Apart from the config signing keys' lock: the two kinds of key never wait on each other.
const TOKEN_KEY_LOCK = 7_305_015;
export const TOKEN_KEY_OVERLAP_MS = 24 * 60 * 60_000;

export type TokenSigner = { kid: string; privateKey: CryptoKey | Uint8Array };

async function newKeyPair(encryptionKey: Buffer) {
  const { publicKey, privateKey } = await generateKeyPair(TOKEN_SIGNING_ALGORITHM, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  // The thumbprint alone could equal nothing else, but a prefix says what the key is for when it shows up in a header.
  const kid = `at-${await calculateJwkThumbprint(publicJwk)}`;
  return {
    kid,
    publicJwk: { ...publicJwk, kid, alg: TOKEN_SIGNING_ALGORITHM, use: "sig" },
    encryptedPrivateKey: encryptSecret(JSON.stringify(await exportJWK(privateKey)), encryptionKey),
  };
}

/** The active token signing key, created on first use; its private half is stored encrypted, like the config signing keys. */
export async function ensureTokenSigningKey(db: Db, encryptionKey: Buffer): Promise<void> {
  if (await db.tokenSigningKey.findFirst({ where: { activatedAt: { not: null }, retiredAt: null }, select: { id: true } })) return;
  const pair = await newKeyPair(encryptionKey);
  await db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${TOKEN_KEY_LOCK})`;
    if (await tx.tokenSigningKey.findFirst({ where: { activatedAt: { not: null }, retiredAt: null }, select: { id: true } })) return;
    await tx.tokenSigningKey.create({ data: { ...pair, publicJwk: pair.publicJwk as Prisma.InputJsonValue, activatedAt: new Date() } });
  });
}

/**
 * Makes a new key the token signer. The old key stays in the JWKS for the
 * overlap (longer than any token lives, and than an API caches the JWKS), so
 * tokens issued just before the rotation keep verifying.
 */
export async function rotateTokenSigningKey(db: Db, actor: AuditActor, encryptionKey: Buffer, overlapMs = TOKEN_KEY_OVERLAP_MS): Promise<string> {
  const pair = await newKeyPair(encryptionKey);
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${TOKEN_KEY_LOCK})`;
    const now = new Date();
    const retiring = await tx.tokenSigningKey.findMany({ where: { retiredAt: null }, select: { kid: true } });
    await tx.tokenSigningKey.updateMany({ where: { retiredAt: null }, data: { retiredAt: new Date(now.getTime() + overlapMs) } });
    await tx.tokenSigningKey.create({ data: { ...pair, publicJwk: pair.publicJwk as Prisma.InputJsonValue, activatedAt: now } });
    await recordAdminEvent(tx, actor, {
      action: "token_signing_key.rotated",
      target: `token-signing-key:${pair.kid}`,
      details: { retiring: retiring.map((key) => key.kid), overlapHours: Math.round(overlapMs / 3_600_000) },
    });
    return pair.kid;
  });
}

/** The public keys downstream APIs may verify issued tokens with: the active one and those in their overlap. */
export async function tokenJwks(db: Db, now = new Date()): Promise<{ keys: JWK[] }> {
  const keys = await db.tokenSigningKey.findMany({
    where: { OR: [{ retiredAt: null }, { retiredAt: { gt: now } }] },
    orderBy: { createdAt: "desc" },
    select: { publicJwk: true },
  });
  return { keys: keys.map((key) => key.publicJwk as JWK) };
}

export async function loadTokenSigner(db: Db, encryptionKey: Buffer): Promise<TokenSigner> {
  const active = await db.tokenSigningKey.findFirst({ where: { activatedAt: { not: null }, retiredAt: null }, orderBy: { activatedAt: "desc" } });
  if (!active) throw new Error("No active token signing key. Start Warden once to create it.");
  const privateJwk = JSON.parse(decryptSecret(active.encryptedPrivateKey, encryptionKey)) as JWK;
  return { kid: active.kid, privateKey: await importJWK(privateJwk, TOKEN_SIGNING_ALGORITHM) };
}
