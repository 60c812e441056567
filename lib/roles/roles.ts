import "server-only";
import { z } from "zod";
import { pagingFields } from "@/lib/list-query";
import type { Db, Tx } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client.ts";
import { recordAdminEvent, type AuditActor } from "@/lib/audit/record";
import { isUniqueViolationOn } from "@/lib/db/prisma-errors";
import { DomainError, NotFoundError, StaleWriteError } from "@/lib/errors";

// Control characters never belong in a label or a claim value, and would hide in logs.
const hasControlCharacter = (value: string) => /\p{Cc}/u.test(value);

export const RoleNameSchema = z
  .string()
  .trim()
  .min(1, "Enter a role name.")
  .max(100, "A role name has at most 100 characters.")
  .refine((name) => !hasControlCharacter(name), "A role name cannot contain control characters.");

/**
 * A claim name as it appears in an ID or access token: a plain name such as
 * roles or groups, or a namespaced URL as Auth0 requires for custom claims
 * (https://example.com/roles). No spaces.
 */
export const ClaimNameSchema = z
  .string()
  .trim()
  .min(1, "Enter the claim the role comes from, for example roles.")
  .max(256, "A claim name has at most 256 characters.")
  .refine(
    (name) => /^[A-Za-z0-9_.:/#\-]*$/.test(name),
    "A claim name uses letters, digits and _ . : / # - only, with no spaces (for example roles, groups or https://example.com/roles).",
  );

export const ClaimValueSchema = z
  .string()
  .trim()
  .min(1, "Enter the claim value that grants this role, for example sales-agent.")
  .max(256, "A claim value has at most 256 characters.")
  .refine((value) => !hasControlCharacter(value), "A claim value cannot contain control characters.");

const DescriptionSchema = z
  .string()
  .trim()
  .max(500, "A description has at most 500 characters.")
  .optional()
  .transform((description) => description || null);

// ---------- queries ----------

export const ROLE_SORTS = ["name", "claimValue", "grants", "createdAt"] as const;

export const RoleListQuerySchema = z.object({
  ...pagingFields(),
  sort: z.enum(ROLE_SORTS).catch("name"),
  dir: z.enum(["asc", "desc"]).catch("asc"),
  q: z.string().trim().max(200).catch(""),
});
export type RoleListQuery = z.infer<typeof RoleListQuerySchema>;

export type RoleRow = {
  id: string;
  name: string;
  description: string | null;
  claimName: string;
  claimValue: string;
  grantCount: number;
  createdAt: string;
  version: number;
};

export async function listRoles(db: Db, environmentId: string, query: RoleListQuery): Promise<{ rows: RoleRow[]; total: number }> {
  const where: Prisma.RoleWhereInput = {
    environmentId,
    ...(query.q
      ? {
          OR: [
            { name: { contains: query.q, mode: "insensitive" as const } },
            { claimValue: { contains: query.q, mode: "insensitive" as const } },
            { description: { contains: query.q, mode: "insensitive" as const } },
          ],
        }
      : {}),
  };
  const orderBy: Prisma.RoleOrderByWithRelationInput =
    query.sort === "grants" ? { grants: { _count: query.dir } } : { [query.sort]: query.dir };
  const [roles, total] = await db.$transaction([
    db.role.findMany({
      where,
      orderBy: [orderBy, { id: "asc" }],
      skip: (query.page - 1) * query.size,
      take: query.size,
      include: { _count: { select: { grants: true } } },
    }),
    db.role.count({ where }),
  ]);
  return { total, rows: roles.map(toRow) };
}

export async function findRole(db: Db, environmentId: string, roleId: string): Promise<RoleRow | null> {
  const role = await db.role.findFirst({ where: { id: roleId, environmentId }, include: { _count: { select: { grants: true } } } });
  return role ? toRow(role) : null;
}

function toRow(role: Prisma.RoleGetPayload<{ include: { _count: { select: { grants: true } } } }>): RoleRow {
  return {
    id: role.id,
    name: role.name,
    description: role.description,
    claimName: role.claimName,
    claimValue: role.claimValue,
    grantCount: role._count.grants,
    createdAt: role.createdAt.toISOString(),
    version: role.version,
  };
}

// ---------- commands ----------

const RoleFieldsSchema = z.object({
  name: RoleNameSchema,
  description: DescriptionSchema,
  claimName: ClaimNameSchema,
  claimValue: ClaimValueSchema,
});

export const CreateRoleSchema = RoleFieldsSchema;

export const UpdateRoleSchema = RoleFieldsSchema.extend({
  roleId: z.uuid(),
  version: z.number().int().min(1),
});

export const DeleteRoleSchema = z.object({
  roleId: z.uuid(),
  version: z.number().int().min(1),
  /** How many grants the admin was told would go with the role. */
  grantCount: z.number().int().min(0),
});

const nameTaken = (name: string) =>
  new DomainError(`A role named ${name} already exists in this environment.`, { name: ["This name is already used by another role."] });

type RoleFields = z.infer<typeof RoleFieldsSchema>;
const fieldsOf = (role: RoleFields) => ({ name: role.name, description: role.description, claimName: role.claimName, claimValue: role.claimValue });

export async function createRole(db: Db, actor: AuditActor, environmentId: string, input: z.infer<typeof CreateRoleSchema>) {
  return db
    .$transaction(async (tx) => {
      const existing = await tx.role.findUnique({ where: { environmentId_name: { environmentId, name: input.name } }, select: { id: true } });
      if (existing) throw nameTaken(input.name);
      const role = await tx.role.create({ data: { environmentId, ...fieldsOf(input) } });
      await recordAdminEvent(tx, actor, {
        action: "role.created",
        target: `role:${role.id}`,
        environmentId,
        details: { after: fieldsOf(role) },
      });
      return { id: role.id, name: role.name };
    })
    .catch((error: unknown) => {
      if (isUniqueViolationOn(error, "Role")) throw nameTaken(input.name);
      throw error;
    });
}

export async function updateRole(db: Db, actor: AuditActor, environmentId: string, input: z.infer<typeof UpdateRoleSchema>) {
  return db
    .$transaction(async (tx) => {
      const role = await lockRole(tx, environmentId, input.roleId, input.version);
      const before = fieldsOf(role);
      const after = fieldsOf(input);
      if (JSON.stringify(before) === JSON.stringify(after)) return { id: role.id, name: role.name };
      if (role.name !== input.name) {
        const clash = await tx.role.findUnique({ where: { environmentId_name: { environmentId, name: input.name } }, select: { id: true } });
        if (clash) throw nameTaken(input.name);
      }
      await tx.role.update({ where: { id: role.id }, data: { ...after, version: { increment: 1 } } });
      await recordAdminEvent(tx, actor, { action: "role.updated", target: `role:${role.id}`, environmentId, details: { before, after } });
      return { id: role.id, name: input.name };
    })
    .catch((error: unknown) => {
      if (isUniqueViolationOn(error, "Role")) throw nameTaken(input.name);
      throw error;
    });
}

/** Deleting a role takes its grants with it; the admin confirmed a count, and a different count now is refused. */
export async function deleteRole(db: Db, actor: AuditActor, environmentId: string, input: z.infer<typeof DeleteRoleSchema>) {
  return db.$transaction(async (tx) => {
    const role = await lockRole(tx, environmentId, input.roleId, input.version);
    const grants = await tx.grant.findMany({
      where: { roleId: role.id },
      select: { requiredScopes: true, tool: { select: { name: true, server: { select: { name: true } } } } },
    });
    if (grants.length !== input.grantCount) {
      throw new StaleWriteError<RoleCurrentValues>(
        `${role.name} now has ${grants.length} ${grants.length === 1 ? "grant" : "grants"}, not ${input.grantCount}. Nothing was deleted; review and confirm again.`,
        { ...fieldsOf(role), version: role.version, grantCount: grants.length },
      );
    }
    await tx.role.delete({ where: { id: role.id } });
    await recordAdminEvent(tx, actor, {
      action: "role.deleted",
      target: `role:${role.id}`,
      environmentId,
      details: {
        before: fieldsOf(role),
        grantsRemoved: grants.map((grant) => ({ server: grant.tool.server.name, tool: grant.tool.name, requiredScopes: grant.requiredScopes })),
      },
    });
    return { name: role.name, grantsRemoved: grants.length };
  });
}

export type RoleCurrentValues = RoleFields & { version: number; grantCount?: number };

async function lockRole(tx: Tx, environmentId: string, roleId: string, expectedVersion: number) {
  await tx.$queryRaw`SELECT 1 FROM "Role" WHERE "id" = ${roleId}::uuid FOR UPDATE`;
  const role = await tx.role.findUnique({ where: { id: roleId } });
  if (!role || role.environmentId !== environmentId) throw new NotFoundError("This role");
  if (role.version !== expectedVersion) {
    throw new StaleWriteError<RoleCurrentValues>(
      `The role ${role.name} was changed by someone else since you loaded this page. The current values are shown; review them and try again.`,
      { ...fieldsOf(role), version: role.version },
    );
  }
  return role;
}
