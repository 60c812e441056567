import "server-only";
import { z } from "zod";
import { pagingFields } from "@/lib/list-query";
import type { Db, Tx } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client.ts";
import { recordAdminEvent, type AuditActor } from "@/lib/audit/record";
import { ADMIN_ROLES, type AdminRole } from "@/lib/auth/admin-roles";
import { isInvited } from "@/lib/auth/account";
import { END_ALL_SESSIONS } from "@/lib/auth/sessions";
import { INVITATION_TOKEN_TTL_MS, issueSetupToken, PASSWORD_RESET_TOKEN_TTL_MS } from "@/lib/auth/setup-tokens";
import { DomainError, NotFoundError, StaleWriteError } from "@/lib/errors";
import { isUniqueViolationOn } from "@/lib/db/prisma-errors";

/** The admin performing a change, with the role the database holds for them now. */
export type Actor = AuditActor & { role: AdminRole };

// ---------- queries ----------

export const ADMIN_SORTS = ["email", "name", "role", "createdAt", "lastSignInAt"] as const;

export const AdminListQuerySchema = z.object({
  ...pagingFields(),
  sort: z.enum(ADMIN_SORTS).catch("email"),
  dir: z.enum(["asc", "desc"]).catch("asc"),
  q: z.string().trim().max(200).catch(""),
  role: z.enum(ADMIN_ROLES).optional().catch(undefined),
  status: z.enum(["active", "disabled", "invited"]).optional().catch(undefined),
});
export type AdminListQuery = z.infer<typeof AdminListQuerySchema>;

export type AdminRow = {
  id: string;
  email: string;
  name: string | null;
  role: AdminRole;
  status: "active" | "disabled" | "invited";
  signInMethods: string[];
  lastSignInAt: string | null;
  createdAt: string;
  version: number;
};

export async function listAdmins(db: Db, query: AdminListQuery): Promise<{ rows: AdminRow[]; total: number }> {
  // Each filter is its own AND member: the search and the "active" status both
  // need an OR, and spread into one object the second would replace the first.
  const filters: Prisma.AdminWhereInput[] = [
    ...(query.q ? [{ OR: [{ email: { contains: query.q, mode: "insensitive" as const } }, { name: { contains: query.q, mode: "insensitive" as const } }] }] : []),
    ...(query.role ? [{ role: query.role }] : []),
    ...(query.status === "disabled" ? [{ disabledAt: { not: null } }] : []),
    ...(query.status === "active" ? [{ disabledAt: null, OR: [{ passwordHash: { not: null } }, { oidcSubject: { not: null } }] }] : []),
    ...(query.status === "invited" ? [{ disabledAt: null, passwordHash: null, oidcSubject: null }] : []),
  ];
  const where: Prisma.AdminWhereInput = { AND: filters };
  const [admins, total] = await db.$transaction([
    db.admin.findMany({
      where,
      // Nullable columns put "never" last either way; Prisma accepts `nulls` only on those.
      orderBy: [
        query.sort === "name" || query.sort === "lastSignInAt" ? { [query.sort]: { sort: query.dir, nulls: "last" } } : { [query.sort]: query.dir },
        { id: "asc" },
      ],
      skip: (query.page - 1) * query.size,
      take: query.size,
      // The hash is read only to tell "invited" from "active"; it never leaves this function.
      select: {
        id: true, email: true, name: true, role: true, version: true, createdAt: true,
        lastSignInAt: true, disabledAt: true, oidcSubject: true, passwordHash: true,
      },
    }),
    db.admin.count({ where }),
  ]);
  return {
    total,
    rows: admins.map((admin) => ({
      id: admin.id,
      email: admin.email,
      name: admin.name,
      role: admin.role,
      status: admin.disabledAt ? "disabled" : isInvited(admin) ? "invited" : "active",
      signInMethods: [...(admin.passwordHash ? ["password"] : []), ...(admin.oidcSubject ? ["sso"] : [])],
      lastSignInAt: admin.lastSignInAt?.toISOString() ?? null,
      createdAt: admin.createdAt.toISOString(),
      version: admin.version,
    })),
  };
}

// ---------- commands ----------

export const InviteAdminSchema = z.object({
  email: z.email("Enter a valid email address.").max(320).transform((email) => email.toLowerCase()),
  name: z.string().trim().max(120).optional(),
  role: z.enum(ADMIN_ROLES),
});

export async function inviteAdmin(db: Db, actor: Actor, input: z.infer<typeof InviteAdminSchema>) {
  if (input.role === "OWNER" && actor.role !== "OWNER") throw new DomainError("Only an owner can invite another owner.");
  const alreadyAdmin = () => new DomainError("An admin with this email already exists.", { email: ["Already an admin."] });
  return db.$transaction(async (tx) => {
    const existing = await tx.admin.findUnique({ where: { email: input.email }, select: { id: true } });
    if (existing) throw alreadyAdmin();
    const admin = await tx.admin.create({
      data: { email: input.email, name: input.name || null, role: input.role, invitedById: actor.id },
    });
    const token = await issueSetupToken(tx, "invitation", admin.id, INVITATION_TOKEN_TTL_MS);
    await recordAdminEvent(tx, actor, {
      action: "admin.invited",
      target: `admin:${admin.id}`,
      details: { after: { email: admin.email, role: admin.role } },
    });
    return { id: admin.id, email: admin.email, invitationToken: token };
  }).catch((error: unknown) => {
    // Two invitations of one email at once both pass the check above; the
    // unique email refuses the second, which gets the same form error
    // instead of a server error.
    if (isUniqueViolationOn(error, "Admin")) throw alreadyAdmin();
    throw error;
  });
}

export const ChangeAdminRoleSchema = z.object({
  adminId: z.uuid(),
  role: z.enum(ADMIN_ROLES),
  version: z.number().int().min(1),
});

export async function changeAdminRole(db: Db, actor: Actor, input: z.infer<typeof ChangeAdminRoleSchema>) {
  return db.$transaction(async (tx) => {
    const { target, otherActiveOwners, actorRole } = await lockForChange(tx, actor, input.adminId, input.version);
    if (target.role === input.role) return { role: target.role };
    if ((target.role === "OWNER" || input.role === "OWNER") && actorRole !== "OWNER") {
      throw new DomainError("Only an owner can grant or take away the owner role.");
    }
    if (target.role === "OWNER") assertNotLastOwner(otherActiveOwners, "demote");
    // Sessions begun under the old role end: the admin signs in again as what they are now.
    await tx.admin.update({ where: { id: target.id }, data: { role: input.role, version: { increment: 1 }, ...END_ALL_SESSIONS } });
    await recordAdminEvent(tx, actor, {
      action: "admin.role_changed",
      target: `admin:${target.id}`,
      details: { email: target.email, before: { role: target.role }, after: { role: input.role } },
    });
    return { role: input.role };
  });
}

export const SetAdminDisabledSchema = z.object({
  adminId: z.uuid(),
  disabled: z.boolean(),
  version: z.number().int().min(1),
});

export async function setAdminDisabled(db: Db, actor: Actor, input: z.infer<typeof SetAdminDisabledSchema>) {
  return db.$transaction(async (tx) => {
    const { target, otherActiveOwners, actorRole } = await lockForChange(tx, actor, input.adminId, input.version);
    if (Boolean(target.disabledAt) === input.disabled) return;
    if (input.disabled && target.id === actor.id) throw new DomainError("You cannot disable your own account.");
    if (target.role === "OWNER" && actorRole !== "OWNER") throw new DomainError("Only an owner can disable or enable an owner.");
    if (input.disabled && target.role === "OWNER") assertNotLastOwner(otherActiveOwners, "disable");
    await tx.admin.update({
      where: { id: target.id },
      // Enabling ends sessions too: a cookie from before the disable must not come back to life.
      data: { disabledAt: input.disabled ? new Date() : null, version: { increment: 1 }, ...END_ALL_SESSIONS },
    });
    await recordAdminEvent(tx, actor, {
      action: input.disabled ? "admin.disabled" : "admin.enabled",
      target: `admin:${target.id}`,
      details: { email: target.email, before: { disabled: Boolean(target.disabledAt) }, after: { disabled: input.disabled } },
    });
  });
}

export const ReissueInvitationSchema = z.object({ adminId: z.uuid() });

/**
 * A new invitation link, only for an account that has not accepted one yet:
 * the link sets a password, and for an active account that would hand the
 * account to whoever holds the link. Active accounts get a password reset,
 * which only an owner can start.
 */
export async function reissueInvitation(db: Db, actor: Actor, input: z.infer<typeof ReissueInvitationSchema>) {
  return db.$transaction(async (tx) => {
    // Locked, so that an invitation accepted meanwhile is seen here.
    await tx.$queryRaw`SELECT 1 FROM "Admin" WHERE "id" = ${input.adminId}::uuid FOR UPDATE`;
    const target = await tx.admin.findUnique({ where: { id: input.adminId } });
    if (!target) throw new NotFoundError("This admin");
    if (target.role === "OWNER" && actor.role !== "OWNER") throw new DomainError("Only an owner can re-invite an owner.");
    if (target.disabledAt) throw new DomainError("Enable this admin before sending a new invitation.");
    if (!isInvited(target)) {
      throw new DomainError(
        `${target.email} has already accepted their invitation. Invitations can be sent again only to invited admins; an owner can send an active admin a password reset link instead.`,
      );
    }
    await tx.setupToken.updateMany({ where: { adminId: target.id, purpose: "invitation", usedAt: null }, data: { usedAt: new Date() } });
    const token = await issueSetupToken(tx, "invitation", target.id, INVITATION_TOKEN_TTL_MS);
    await recordAdminEvent(tx, actor, { action: "admin.invitation_reissued", target: `admin:${target.id}`, details: { email: target.email } });
    return { email: target.email, invitationToken: token };
  });
}

export const StartPasswordResetSchema = z.object({ adminId: z.uuid() });

/**
 * An owner starts a password reset for another active admin: a one-time link,
 * shown once, that sets a new password and ends all of that admin's sessions.
 * The current password keeps working until the link is used. Only owners may
 * do this, because the link holder takes over the account; an admin changes
 * their own password from the account menu instead.
 */
export async function startPasswordReset(db: Db, actor: Actor, input: z.infer<typeof StartPasswordResetSchema>) {
  return db.$transaction(async (tx) => {
    const actorRole = await currentRole(tx, actor);
    if (actorRole !== "OWNER") throw new DomainError("Only an owner can reset another admin's password.");
    if (input.adminId === actor.id) throw new DomainError("Change your own password from your account menu; it asks for your current one.");
    await tx.$queryRaw`SELECT 1 FROM "Admin" WHERE "id" = ${input.adminId}::uuid FOR UPDATE`;
    const target = await tx.admin.findUnique({ where: { id: input.adminId } });
    if (!target) throw new NotFoundError("This admin");
    if (target.disabledAt) throw new DomainError("Enable this admin before resetting their password.");
    if (isInvited(target)) throw new DomainError(`${target.email} has not accepted their invitation yet. Send a new invitation link instead.`);
    if (target.passwordHash === null) {
      throw new DomainError(
        `${target.email} signs in with single sign-on only and has no password in Warden to reset. Their identity provider manages their sign-in.`,
      );
    }
    // Only the newest link works.
    await tx.setupToken.updateMany({ where: { adminId: target.id, purpose: "password-reset", usedAt: null }, data: { usedAt: new Date() } });
    const token = await issueSetupToken(tx, "password-reset", target.id, PASSWORD_RESET_TOKEN_TTL_MS);
    await recordAdminEvent(tx, actor, { action: "admin.password_reset_started", target: `admin:${target.id}`, details: { email: target.email } });
    return { email: target.email, resetToken: token };
  });
}

/**
 * Locks every enabled owner row (in id order), then the target row, and
 * refuses a write based on a version someone else has already replaced.
 * Taking the owner locks first, in one order, means two owners demoting each
 * other at once queue up instead of deadlocking, and the second sees the
 * first's result.
 */
async function lockForChange(tx: Tx, actor: Actor, adminId: string, expectedVersion: number) {
  const owners = await tx.$queryRaw<{ id: string }[]>`
    SELECT "id" FROM "Admin" WHERE "role" = 'OWNER' AND "disabledAt" IS NULL ORDER BY "id" FOR UPDATE`;
  // The actor's role as of now, not as of the request's start: an owner
  // demoted a moment ago must not complete an owner-only change. An acting
  // owner's row is among those just locked, so it cannot change under us.
  const actorRole = owners.some((owner) => owner.id === actor.id) ? "OWNER" : await currentRole(tx, actor);
  await tx.$queryRaw`SELECT 1 FROM "Admin" WHERE "id" = ${adminId}::uuid FOR UPDATE`;
  const target = await tx.admin.findUnique({ where: { id: adminId }, omit: { passwordHash: true } });
  if (!target) throw new NotFoundError("This admin");
  if (target.version !== expectedVersion) {
    throw new StaleWriteError(
      `${target.email} was changed by someone else since you loaded this page. The current values are shown; review them and try again.`,
      { role: target.role, disabled: Boolean(target.disabledAt), version: target.version },
    );
  }
  const otherActiveOwners = owners.filter((owner) => owner.id !== target.id).length;
  return { target, otherActiveOwners, actorRole };
}

async function currentRole(tx: Tx, actor: Actor): Promise<AdminRole> {
  const row = await tx.admin.findUnique({ where: { id: actor.id }, select: { role: true, disabledAt: true } });
  if (!row || row.disabledAt) throw new DomainError("Your account was disabled. Nothing was changed.");
  return row.role;
}

function assertNotLastOwner(otherActiveOwners: number, verb: "demote" | "disable") {
  if (otherActiveOwners === 0) throw new DomainError(`You cannot ${verb} the last owner. Make another admin an owner first.`);
}
