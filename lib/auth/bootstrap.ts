import "server-only";
import { z } from "zod";
import type { Db } from "@/lib/db/client";
import { recordAuditEvents } from "@/lib/audit/record";
import { DomainError } from "@/lib/errors";
import { isInvited } from "./account";
import { hashPassword, PasswordSchema } from "./password";
import { END_ALL_SESSIONS } from "./sessions";
import { FIRST_OWNER_TOKEN_TTL_MS, findUsableSetupToken, issueSetupToken, markSetupTokenUsed } from "./setup-tokens";

export type BootstrapResult =
  | { kind: "ready" }
  | { kind: "owner-created"; email: string }
  | { kind: "setup-link"; token: string };

// Serialises first-owner creation across instances that start at the same time.
const FIRST_OWNER_LOCK = 7_305_001;

const BootstrapEnvSchema = z.object({
  WARDEN_ADMIN_EMAIL: z.email().optional(),
  WARDEN_ADMIN_PASSWORD: PasswordSchema.optional(),
});

/**
 * On an empty database, creates the first OWNER from WARDEN_ADMIN_EMAIL and
 * WARDEN_ADMIN_PASSWORD, or else issues a one-time setup link for the person
 * starting the server. No default password exists anywhere.
 */
export async function bootstrapFirstOwner(db: Db, env: NodeJS.ProcessEnv = process.env): Promise<BootstrapResult> {
  const parsed = BootstrapEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Invalid first-owner settings: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  const { WARDEN_ADMIN_EMAIL: email, WARDEN_ADMIN_PASSWORD: password } = parsed.data;
  // Half a setting is a mistake worth stopping for, not a reason to fall back silently to a link.
  if (Boolean(email) !== Boolean(password)) {
    throw new Error("Set WARDEN_ADMIN_EMAIL and WARDEN_ADMIN_PASSWORD together, or neither (a one-time setup link is printed then).");
  }
  const passwordHash = email && password ? await hashPassword(password) : null;

  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${FIRST_OWNER_LOCK})`;
    if ((await tx.admin.count()) > 0) return { kind: "ready" } as const;
    if (email && passwordHash) {
      const owner = await tx.admin.create({ data: { email: email.toLowerCase(), role: "OWNER", passwordHash } });
      await recordAuditEvents(tx, [
        { source: "admin", actor: "system", actorLabel: "start-up", action: "admin.first_owner_created", target: `admin:${owner.id}`, details: { email: owner.email, via: "environment" } },
      ]);
      return { kind: "owner-created", email: owner.email } as const;
    }
    // Only the newest link works: earlier ones from previous starts are spent.
    await tx.setupToken.updateMany({ where: { purpose: "first-owner", usedAt: null }, data: { usedAt: new Date() } });
    const token = await issueSetupToken(tx, "first-owner", null, FIRST_OWNER_TOKEN_TTL_MS);
    return { kind: "setup-link", token } as const;
  });
}

export const FirstOwnerSetupSchema = z
  .object({
    token: z.string().min(20).max(200),
    email: z.email("Enter a valid email address.").max(320),
    name: z.string().trim().max(120).optional(),
    password: PasswordSchema,
    confirmPassword: z.string(),
  })
  .refine((value) => value.password === value.confirmPassword, { path: ["confirmPassword"], message: "The passwords do not match." });

export async function completeFirstOwnerSetup(db: Db, input: z.infer<typeof FirstOwnerSetupSchema>, ip: string | null) {
  const passwordHash = await hashPassword(input.password);
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${FIRST_OWNER_LOCK})`;
    const token = await findUsableSetupToken(tx, input.token, "first-owner");
    if (!token) throw new DomainError("This setup link has expired or was already used. Restart Warden to print a new one.");
    if ((await tx.admin.count()) > 0) throw new DomainError("An owner already exists. Sign in instead.");
    const owner = await tx.admin.create({
      data: { email: input.email.toLowerCase(), name: input.name || null, role: "OWNER", passwordHash },
    });
    await markSetupTokenUsed(tx, token.id);
    await recordAuditEvents(tx, [
      { source: "admin", actor: owner.id, actorLabel: owner.email, ip, action: "admin.first_owner_created", target: `admin:${owner.id}`, details: { email: owner.email, via: "setup-link" } },
    ]);
    return { email: owner.email };
  });
}

export const AcceptInvitationSchema = z
  .object({
    token: z.string().min(20).max(200),
    name: z.string().trim().max(120).optional(),
    password: PasswordSchema,
    confirmPassword: z.string(),
  })
  .refine((value) => value.password === value.confirmPassword, { path: ["confirmPassword"], message: "The passwords do not match." });

export async function acceptInvitation(db: Db, input: z.infer<typeof AcceptInvitationSchema>, ip: string | null) {
  const passwordHash = await hashPassword(input.password);
  return db.$transaction(async (tx) => {
    const token = await findUsableSetupToken(tx, input.token, "invitation");
    if (!token?.adminId) throw new DomainError("This invitation has expired or was already used. Ask an admin for a new one.");
    const admin = await tx.admin.findUnique({ where: { id: token.adminId } });
    if (!admin || admin.disabledAt) throw new DomainError("This invitation is no longer valid. Ask an admin for a new one.");
    // An invitation only ever sets a first password: an account that already
    // has one, or signs in with single sign-on, is not taken over by a link.
    if (!isInvited(admin)) {
      await markSetupTokenUsed(tx, token.id);
      return { refused: true as const };
    }
    await tx.admin.update({
      where: { id: admin.id },
      data: { passwordHash, name: input.name || admin.name, version: { increment: 1 } },
    });
    await markSetupTokenUsed(tx, token.id);
    await recordAuditEvents(tx, [
      { source: "admin", actor: admin.id, actorLabel: admin.email, ip, action: "admin.invitation_accepted", target: `admin:${admin.id}` },
    ]);
    return { email: admin.email };
  }).then((result) => {
    // Thrown outside the transaction, so that spending the link is kept.
    if ("refused" in result) throw new DomainError("This invitation was already accepted. Sign in instead, or ask an owner for a password reset.");
    return result;
  });
}

export const CompletePasswordResetSchema = z
  .object({
    token: z.string().min(20).max(200),
    password: PasswordSchema,
    confirmPassword: z.string(),
  })
  .refine((value) => value.password === value.confirmPassword, { path: ["confirmPassword"], message: "The passwords do not match." });

/**
 * Uses an owner-started reset link: sets the new password and ends every
 * session the admin had, so that whoever knew the old password or held an
 * old session cookie is out.
 */
export async function completePasswordReset(db: Db, input: z.infer<typeof CompletePasswordResetSchema>, ip: string | null) {
  const passwordHash = await hashPassword(input.password);
  return db.$transaction(async (tx) => {
    const token = await findUsableSetupToken(tx, input.token, "password-reset");
    if (!token?.adminId) throw new DomainError("This password reset link has expired or was already used. Ask an owner for a new one.");
    const admin = await tx.admin.findUnique({ where: { id: token.adminId } });
    if (!admin || admin.disabledAt) throw new DomainError("This password reset link is no longer valid. Ask an owner for a new one.");
    await tx.admin.update({
      where: { id: admin.id },
      data: { passwordHash, version: { increment: 1 }, ...END_ALL_SESSIONS },
    });
    await markSetupTokenUsed(tx, token.id);
    await recordAuditEvents(tx, [
      { source: "admin", actor: admin.id, actorLabel: admin.email, ip, action: "admin.password_reset_completed", target: `admin:${admin.id}` },
    ]);
    return { email: admin.email };
  });
}
