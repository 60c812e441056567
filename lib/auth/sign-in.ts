import "server-only";
import type { Db } from "@/lib/db/client";
import { recordAuditEvents } from "@/lib/audit/record";
import { isUniqueViolationOn } from "@/lib/db/prisma-errors";
import { burnPasswordCheck, verifyPassword } from "./password";
import { claimSignInAttempt, releaseSignInAttempt } from "./throttle";
import type { OidcSettings } from "./settings";

/** sessionGeneration is read with the password it was checked against, so a reset meanwhile ends this session too. */
export type SignedInAdmin = { id: string; email: string; name: string | null; sessionGeneration: number };
export type SignInOutcome = { ok: true; admin: SignedInAdmin } | { ok: false; error: string };

export const INVALID_CREDENTIALS = "Wrong email or password.";

/** Password sign-in with per-account and per-IP throttling; every attempt is audited. */
export async function signInWithPassword(
  db: Db,
  input: { email: string; password: string; ip: string | null },
): Promise<SignInOutcome> {
  const email = input.email.trim().toLowerCase();
  // Counted before the password check, so parallel guesses cannot outrun the limit.
  const lockedUntil = await claimSignInAttempt(db, email, input.ip);
  if (lockedUntil) {
    const minutes = Math.max(1, Math.ceil((lockedUntil.getTime() - Date.now()) / 60_000));
    await auditSignIn(db, null, email, input.ip, "admin.sign_in_refused", "too many failed attempts");
    return { ok: false, error: `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.` };
  }

  const admin = await db.admin.findUnique({ where: { email } });
  const valid = admin?.passwordHash
    ? await verifyPassword(input.password, admin.passwordHash)
    : (await burnPasswordCheck(input.password), false);

  if (!admin || !valid || admin.disabledAt) {
    const reason = !admin ? "unknown account" : !valid ? "wrong password" : "account disabled";
    await auditSignIn(db, admin?.id ?? null, email, input.ip, "admin.sign_in_failed", reason);
    // A disabled admin who knows the password learns that, and nothing else.
    return { ok: false, error: admin?.disabledAt && valid ? "This account is disabled. Ask an owner to re-enable it." : INVALID_CREDENTIALS };
  }

  await releaseSignInAttempt(db, email, input.ip);
  await db.$transaction(async (tx) => {
    await tx.admin.update({ where: { id: admin.id }, data: { lastSignInAt: new Date() } });
    await recordAuditEvents(tx, [
      { source: "admin", actor: admin.id, actorLabel: email, ip: input.ip, action: "admin.sign_in", target: `admin:${admin.id}`, details: { method: "password" } },
    ]);
  });
  return { ok: true, admin: { id: admin.id, email: admin.email, name: admin.name, sessionGeneration: admin.sessionGeneration } };
}

export type OidcIdentity = { subject: string; email: string | null; emailVerified: boolean; name: string | null };

/**
 * An SSO identity signs in only as an invited admin (matched by a subject
 * linked earlier, or by verified email on first sign-in), or as a new VIEWER
 * when its verified email domain is explicitly allowed.
 */
export async function signInWithOidc(
  db: Db,
  settings: OidcSettings,
  identity: OidcIdentity,
  ip: string | null,
  retried = false,
): Promise<SignInOutcome> {
  const subjectKey = `${settings.issuer}#${identity.subject}`;
  const email = identity.email?.trim().toLowerCase() ?? null;

  let admin = await db.admin.findUnique({ where: { oidcSubject: subjectKey } });
  if (!admin && email && identity.emailVerified) {
    const invited = await db.admin.findUnique({ where: { email } });
    if (invited?.oidcSubject) {
      // Another SSO identity owns this admin. Linking would hand the account
      // over, and creating a second admin with the same email fails on the
      // unique email: refuse plainly instead of showing an error page.
      await auditSignIn(db, invited.id, email, ip, "admin.sign_in_failed", "email linked to another sso account");
      return { ok: false, error: "This email address is already linked to another single sign-on account. Ask an owner for help." };
    }
    admin = invited;
  }

  if (!admin) {
    const domain = email?.split("@")[1];
    if (!email || !identity.emailVerified || !domain || !settings.allowedDomains.includes(domain)) {
      await auditSignIn(db, null, email ?? identity.subject, ip, "admin.sign_in_failed", "not an invited admin (sso)");
      return { ok: false, error: "This account has not been invited to Warden. Ask an owner for an invitation." };
    }
    let created;
    try {
      created = await db.$transaction(async (tx) => {
        const row = await tx.admin.create({ data: { email, name: identity.name, role: "VIEWER", oidcSubject: subjectKey, lastSignInAt: new Date() } });
        await recordAuditEvents(tx, [
          { source: "admin", actor: row.id, actorLabel: email, ip, action: "admin.created_by_sso", target: `admin:${row.id}`, details: { role: "VIEWER", domain } },
        ]);
        return row;
      });
    } catch (error) {
      // Two first sign-ins of the same person at once (two tabs): the other
      // one created the admin first, so sign in as that admin instead.
      if (isUniqueViolationOn(error, "Admin") && !retried) return signInWithOidc(db, settings, identity, ip, true);
      throw error;
    }
    return { ok: true, admin: { id: created.id, email: created.email, name: created.name, sessionGeneration: created.sessionGeneration } };
  }

  if (admin.disabledAt) {
    await auditSignIn(db, admin.id, admin.email, ip, "admin.sign_in_failed", "account disabled (sso)");
    return { ok: false, error: "This account is disabled. Ask an owner to re-enable it." };
  }
  const linked = admin;
  await db.$transaction(async (tx) => {
    await tx.admin.update({
      where: { id: linked.id },
      data: { lastSignInAt: new Date(), oidcSubject: subjectKey, name: linked.name ?? identity.name },
    });
    await recordAuditEvents(tx, [
      { source: "admin", actor: linked.id, actorLabel: linked.email, ip, action: "admin.sign_in", target: `admin:${linked.id}`, details: { method: "oidc", issuer: settings.issuer } },
    ]);
  });
  return { ok: true, admin: { id: linked.id, email: linked.email, name: linked.name ?? identity.name, sessionGeneration: linked.sessionGeneration } };
}

async function auditSignIn(db: Db, adminId: string | null, label: string, ip: string | null, action: string, reason: string) {
  await db.$transaction((tx) =>
    recordAuditEvents(tx, [
      { source: "admin", actor: adminId ?? "anonymous", actorLabel: label, ip, action, reason, target: adminId ? `admin:${adminId}` : null },
    ]),
  );
}
