import "server-only";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client.ts";
import { recordAuditEvents } from "@/lib/audit/record";

// How long a session lasts from sign-in, however active it is.
export const SESSION_MAX_AGE_SECONDS = 12 * 60 * 60;

/**
 * What a session token says about its session, beyond who signed in: the
 * session's own id (so that signing out ends that one session), the admin's
 * session generation when it began (so that one write ends them all), and
 * when it began.
 */
export const SessionClaimsSchema = z.object({
  adminId: z.uuid(),
  sessionId: z.uuid(),
  sessionGeneration: z.number().int().min(0),
  // Epoch seconds. next-auth renews a token's own expiry on every visit, so
  // only this bounds how long a copied token could be kept alive.
  signedInAt: z.number().int().min(0),
});
export type SessionClaims = z.infer<typeof SessionClaimsSchema>;

/** The admin's side of the check, as read on every request. */
export type SessionState = { sessionGeneration: number; endedSessions: string[] | null };

/**
 * Ends every session the admin has, wherever it is: merged into the update
 * that changes their password, role or enabled state, in the same
 * transaction. Entries for sessions ended one by one are no longer needed.
 */
export const END_ALL_SESSIONS = {
  sessionGeneration: { increment: 1 },
  endedSessions: { set: [] },
} satisfies Prisma.AdminUpdateInput;

/** The claims a new session's token starts with. */
export function newSessionClaims(adminId: string, sessionGeneration: number, now = new Date()): SessionClaims {
  return { adminId, sessionId: randomUUID(), sessionGeneration, signedInAt: Math.floor(now.getTime() / 1000) };
}

/**
 * Whether a session token still counts. A token without the claims (one
 * issued before sessions could end) counts as signed out, like one from an
 * older generation, one whose session was signed out, and one older than the
 * longest session.
 */
export function isSessionLive(state: SessionState, claims: unknown, now = new Date()): boolean {
  const parsed = SessionClaimsSchema.safeParse(claims);
  if (!parsed.success) return false;
  if (parsed.data.sessionGeneration !== state.sessionGeneration) return false;
  if (sessionEndsAt(parsed.data) <= Math.floor(now.getTime() / 1000)) return false;
  const suffix = `:${parsed.data.sessionId}`;
  return !(state.endedSessions ?? []).some((entry) => entry.endsWith(suffix));
}

function sessionEndsAt(claims: SessionClaims): number {
  return claims.signedInAt + SESSION_MAX_AGE_SECONDS;
}

/**
 * Signing out ends this one session: its id is remembered until the token
 * would have expired anyway, so a copy of the cookie taken before sign-out is
 * refused from then on. Other browsers stay signed in ("sign out everywhere"
 * ends those). A token that no longer counts changes and records nothing.
 */
export async function endSession(db: Db, claims: unknown, ip: string | null): Promise<void> {
  const parsed = SessionClaimsSchema.safeParse(claims);
  if (!parsed.success) return;
  const { adminId, sessionId, sessionGeneration } = parsed.data;
  const nowSeconds = Math.floor(Date.now() / 1000);
  const entry = `${sessionEndsAt(parsed.data)}:${sessionId}`;
  await db.$transaction(async (tx) => {
    // One statement reads, prunes and appends, so two sign-outs at once both land.
    const [admin] = await tx.$queryRaw<{ email: string }[]>`
      UPDATE "Admin"
      SET "endedSessions" = array_append(
        ARRAY(SELECT entry FROM unnest(coalesce("endedSessions", ARRAY[]::text[])) AS entry
              WHERE split_part(entry, ':', 1)::bigint > ${nowSeconds}),
        ${entry})
      WHERE "id" = ${adminId}::uuid AND "sessionGeneration" = ${sessionGeneration}
        AND NOT (coalesce("endedSessions", ARRAY[]::text[]) @> ARRAY[${entry}]::text[])
      RETURNING "email"`;
    if (!admin) return;
    await recordAuditEvents(tx, [
      { source: "admin", actor: adminId, actorLabel: admin.email, ip, action: "admin.sign_out", target: `admin:${adminId}` },
    ]);
  });
}

/**
 * "Sign out everywhere": every session of this admin ends, the current one
 * included, and the admin signs in again.
 */
export async function endAllSessions(db: Db, actor: { id: string; email: string; ip?: string | null }): Promise<void> {
  await db.$transaction(async (tx) => {
    await tx.admin.update({ where: { id: actor.id }, data: END_ALL_SESSIONS });
    await recordAuditEvents(tx, [
      { source: "admin", actor: actor.id, actorLabel: actor.email, ip: actor.ip ?? null, action: "admin.sign_out_everywhere", target: `admin:${actor.id}` },
    ]);
  });
}
