import "server-only";
import { randomBytes } from "node:crypto";
import { sha256Hex } from "@/sdk/src/contract/canonical-json";
import type { Tx } from "@/lib/db/client";

export type SetupPurpose = "first-owner" | "invitation" | "password-reset";
export const FIRST_OWNER_TOKEN_TTL_MS = 24 * 60 * 60_000;
export const INVITATION_TOKEN_TTL_MS = 7 * 24 * 60 * 60_000;
// A reset link opens an account that already holds access: it lives a day, not a week.
export const PASSWORD_RESET_TOKEN_TTL_MS = 24 * 60 * 60_000;

/** A single-use link secret. Only its SHA-256 is stored; the raw value is shown once. */
export async function issueSetupToken(tx: Tx, purpose: SetupPurpose, adminId: string | null, ttlMs: number): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  await tx.setupToken.create({
    data: { purpose, adminId, tokenHash: sha256Hex(token), expiresAt: new Date(Date.now() + ttlMs) },
  });
  return token;
}

/** The token's row if it is unused and unexpired; the row is locked until the transaction ends. */
export async function findUsableSetupToken(tx: Tx, token: string, purpose: SetupPurpose) {
  const rows = await tx.$queryRaw<{ id: string; adminId: string | null; expiresAt: Date; usedAt: Date | null; purpose: string }[]>`
    SELECT "id", "adminId", "expiresAt", "usedAt", "purpose" FROM "SetupToken" WHERE "tokenHash" = ${sha256Hex(token)} FOR UPDATE`;
  const row = rows[0];
  if (!row || row.purpose !== purpose || row.usedAt || row.expiresAt.getTime() < Date.now()) return null;
  return row;
}

export async function markSetupTokenUsed(tx: Tx, id: string): Promise<void> {
  await tx.setupToken.update({ where: { id }, data: { usedAt: new Date() } });
}

/** Whether a link can still be used, for rendering the page before the form is sent. */
export async function describeSetupToken(tx: Tx, token: string) {
  const row = await tx.setupToken.findUnique({ where: { tokenHash: sha256Hex(token) } });
  if (!row || row.usedAt || row.expiresAt.getTime() < Date.now()) return null;
  const admin = row.adminId ? await tx.admin.findUnique({ where: { id: row.adminId }, select: { email: true, name: true, role: true } }) : null;
  return { purpose: row.purpose as SetupPurpose, admin };
}
