import "server-only";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import type { Db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client.ts";
import { recordAdminEvent, type AuditActor } from "@/lib/audit/record";
import { decryptSecret, encryptSecret } from "@/lib/crypto/encryption";
import { CONFIG_SIGNATURE_ALGORITHM } from "@/sdk/src/contract/config-document";

// MCP servers verify config documents with these keys, so they are of the algorithm the contract names.
export const SIGNING_ALGORITHM = CONFIG_SIGNATURE_ALGORITHM;
// Serialises key creation across instances that start at the same moment.
const SIGNING_KEY_LOCK = 7_305_003;

export type Signer = { kid: string; privateKey: CryptoKey | Uint8Array };

async function newKeyPair(encryptionKey: Buffer) {
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALGORITHM, { crv: "Ed25519", extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = await exportJWK(privateKey);
  return {
    kid,
    publicJwk: { ...publicJwk, kid, alg: SIGNING_ALGORITHM, use: "sig" },
    encryptedPrivateKey: encryptSecret(JSON.stringify(privateJwk), encryptionKey),
  };
}

/** The active signing key, created on first use. Its private half is stored encrypted. */
export async function ensureSigningKey(db: Db, encryptionKey: Buffer): Promise<void> {
  const active = await db.signingKey.findFirst({ where: { activatedAt: { not: null }, retiredAt: null } });
  if (active) return;
  const pair = await newKeyPair(encryptionKey);
  await db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${SIGNING_KEY_LOCK})`;
    if (await tx.signingKey.findFirst({ where: { activatedAt: { not: null }, retiredAt: null } })) return;
    await tx.signingKey.create({ data: { ...pair, publicJwk: pair.publicJwk as Prisma.InputJsonValue, activatedAt: new Date() } });
  });
}

/**
 * Makes a new key the signer. The old one stays in the key set until the
 * overlap ends, so MCP servers that pinned it keep verifying configs signed
 * before the rotation while they pick up the new key.
 */
export async function rotateSigningKey(db: Db, actor: AuditActor, encryptionKey: Buffer, overlapMs = 7 * 24 * 60 * 60_000): Promise<string> {
  const pair = await newKeyPair(encryptionKey);
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${SIGNING_KEY_LOCK})`;
    const now = new Date();
    const retiring = await tx.signingKey.findMany({ where: { retiredAt: null }, select: { kid: true } });
    await tx.signingKey.updateMany({ where: { retiredAt: null }, data: { retiredAt: new Date(now.getTime() + overlapMs) } });
    await tx.signingKey.create({ data: { ...pair, publicJwk: pair.publicJwk as Prisma.InputJsonValue, activatedAt: now } });
    await recordAdminEvent(tx, actor, {
      action: "signing_key.rotated",
      target: `signing-key:${pair.kid}`,
      details: { retiring: retiring.map((key) => key.kid), overlapHours: Math.round(overlapMs / 3_600_000) },
    });
    return pair.kid;
  });
}

/** The public keys MCP servers may verify with now: the active one and those still in their overlap. */
export async function publicJwks(db: Db, now = new Date()): Promise<{ keys: JWK[] }> {
  const keys = await db.signingKey.findMany({
    where: { OR: [{ retiredAt: null }, { retiredAt: { gt: now } }] },
    orderBy: { createdAt: "desc" },
    select: { publicJwk: true },
  });
  return { keys: keys.map((key) => key.publicJwk as JWK) };
}

export async function loadSigner(db: Db, encryptionKey: Buffer): Promise<Signer> {
  const active = await db.signingKey.findFirst({ where: { activatedAt: { not: null }, retiredAt: null }, orderBy: { activatedAt: "desc" } });
  if (!active) throw new Error("No active signing key. Start Warden once to create it.");
  const privateJwk = JSON.parse(decryptSecret(active.encryptedPrivateKey, encryptionKey)) as JWK;
  return { kid: active.kid, privateKey: await importJWK(privateJwk, SIGNING_ALGORITHM) };
}
