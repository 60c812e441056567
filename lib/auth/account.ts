import "server-only";
import { z } from "zod";
import type { Db } from "@/lib/db/client";
import { recordAuditEvents } from "@/lib/audit/record";
import { DomainError } from "@/lib/errors";
import { hashPassword, PasswordSchema, verifyPassword } from "./password";
import { END_ALL_SESSIONS } from "./sessions";
import { claimSignInAttempt, releaseSignInAttempt } from "./throttle";

/** Invited: has neither set a password nor signed in with single sign-on. */
export function isInvited(admin: { passwordHash: string | null; oidcSubject: string | null }): boolean {
  return admin.passwordHash === null && admin.oidcSubject === null;
}

export const ChangeOwnPasswordSchema = z
  .object({
    currentPassword: z.string().min(1, "Enter your current password.").max(256),
    password: PasswordSchema,
    confirmPassword: z.string(),
  })
  .refine((value) => value.password === value.confirmPassword, { path: ["confirmPassword"], message: "The passwords do not match." })
  .refine((value) => value.password !== value.currentPassword, { path: ["password"], message: "Choose a password different from the current one." });

/**
 * A signed-in admin changes their own password. The current password is
 * required, so that someone holding only a session cookie cannot lock the
 * owner out; its checks count against the same limits as sign-in attempts.
 * Every session of the account ends, the one making the change included:
 * the browser signs in again with the new password.
 */
export async function changeOwnPassword(
  db: Db,
  actor: { id: string; email: string; ip?: string | null },
  input: z.infer<typeof ChangeOwnPasswordSchema>,
): Promise<void> {
  const ip = actor.ip ?? null;
  const wrongPassword = () => new DomainError("Your current password is not correct.", { currentPassword: ["Not your current password."] });
  const lockedUntil = await claimSignInAttempt(db, actor.email, ip);
  if (lockedUntil) throw new DomainError("Too many wrong passwords. Try again in a few minutes.");
  const admin = await db.admin.findUnique({ where: { id: actor.id }, select: { passwordHash: true } });
  if (!admin?.passwordHash) {
    throw new DomainError("Your account signs in with single sign-on and has no password in Warden. Change it at your identity provider.");
  }
  if (!(await verifyPassword(input.currentPassword, admin.passwordHash))) throw wrongPassword();
  await releaseSignInAttempt(db, actor.email, ip);
  const passwordHash = await hashPassword(input.password);
  await db.$transaction(async (tx) => {
    // Only if the hash is still the one just checked: a reset that landed meanwhile wins.
    const { count } = await tx.admin.updateMany({
      where: { id: actor.id, passwordHash: admin.passwordHash, disabledAt: null },
      data: { passwordHash, version: { increment: 1 }, ...END_ALL_SESSIONS },
    });
    if (count === 0) throw new DomainError("Your password was changed elsewhere a moment ago. Sign in again.");
    await recordAuditEvents(tx, [
      { source: "admin", actor: actor.id, actorLabel: actor.email, ip, action: "admin.password_changed", target: `admin:${actor.id}` },
    ]);
  });
}
