import "server-only";
import { z } from "zod";
import { pagingFields } from "@/lib/list-query";
import type { Db, Tx } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client.ts";
import { recordAdminEvent, type AuditActor } from "@/lib/audit/record";
import { isUniqueViolationOn } from "@/lib/db/prisma-errors";
import { DomainError, NotFoundError, StaleWriteError } from "@/lib/errors";

// ---------- names ----------

export const SCOPE_NAME_MAX = 128;

/**
 * An OAuth scope token (RFC 6749 §3.3). Tokens carry several scopes in one
 * space-separated string, so a space would split this scope in two; the
 * character set is the conservative subset every authorization server accepts.
 */
export const ScopeNameSchema = z
  .string()
  .trim()
  .min(1, "Enter a scope name.")
  .max(SCOPE_NAME_MAX, `A scope name has at most ${SCOPE_NAME_MAX} characters.`)
  .refine((name) => !/\s/.test(name), "A scope name cannot contain spaces: tokens list their scopes separated by spaces.")
  .refine(
    (name) => /^[A-Za-z0-9_.:\-/]*$/.test(name),
    "Use only letters, digits and the characters _ . : - / (for example tools:sales.read).",
  );

const DescriptionSchema = z
  .string()
  .trim()
  .max(500, "A description has at most 500 characters.")
  .optional()
  .transform((description) => description || null);

// ---------- queries ----------

export const SCOPE_SORTS = ["name", "createdAt", "updatedAt"] as const;

export const ScopeListQuerySchema = z.object({
  ...pagingFields(),
  sort: z.enum(SCOPE_SORTS).catch("name"),
  dir: z.enum(["asc", "desc"]).catch("asc"),
  q: z.string().trim().max(200).catch(""),
});
export type ScopeListQuery = z.infer<typeof ScopeListQuerySchema>;

export type ScopeRow = {
  id: string;
  name: string;
  description: string | null;
  /** Grants in this environment that require this scope. */
  grantCount: number;
  createdAt: string;
  updatedAt: string;
  version: number;
};

export async function listScopes(db: Db, environmentId: string, query: ScopeListQuery): Promise<{ rows: ScopeRow[]; total: number }> {
  const where: Prisma.ScopeWhereInput = {
    environmentId,
    ...(query.q
      ? { OR: [{ name: { contains: query.q, mode: "insensitive" as const } }, { description: { contains: query.q, mode: "insensitive" as const } }] }
      : {}),
  };
  const [scopes, total] = await db.$transaction([
    db.scope.findMany({
      where,
      orderBy: [{ [query.sort]: query.dir }, { id: "asc" }],
      skip: (query.page - 1) * query.size,
      take: query.size,
    }),
    db.scope.count({ where }),
  ]);
  const usage = await scopeUsage(db, environmentId, scopes.map((scope) => scope.name));
  return {
    total,
    rows: scopes.map((scope) => ({
      id: scope.id,
      name: scope.name,
      description: scope.description,
      grantCount: usage.get(scope.name) ?? 0,
      createdAt: scope.createdAt.toISOString(),
      updatedAt: scope.updatedAt.toISOString(),
      version: scope.version,
    })),
  };
}

/** Every scope of an environment, for pickers; environments hold tens of scopes, not thousands. */
export async function listAllScopes(db: Db, environmentId: string): Promise<{ id: string; name: string; description: string | null }[]> {
  return db.scope.findMany({ where: { environmentId }, orderBy: { name: "asc" }, select: { id: true, name: true, description: true } });
}

/** How many grants of the environment require each of the named scopes. */
async function scopeUsage(db: Db | Tx, environmentId: string, names: string[]): Promise<Map<string, number>> {
  if (names.length === 0) return new Map();
  const rows = await db.$queryRaw<{ name: string; count: bigint }[]>`
    SELECT s.name, COUNT(*)::bigint AS count
    FROM "Grant" g
    JOIN "Role" r ON r.id = g."roleId"
    CROSS JOIN LATERAL unnest(g."requiredScopes") AS s(name)
    WHERE r."environmentId" = ${environmentId}::uuid AND s.name = ANY(${names}::text[])
    GROUP BY s.name`;
  return new Map(rows.map((row) => [row.name, Number(row.count)]));
}

// ---------- commands ----------

export const CreateScopeSchema = z.object({
  name: ScopeNameSchema,
  description: DescriptionSchema,
});

export const UpdateScopeSchema = z.object({
  scopeId: z.uuid(),
  name: ScopeNameSchema,
  description: DescriptionSchema,
  version: z.number().int().min(1),
});

export const DeleteScopeSchema = z.object({
  scopeId: z.uuid(),
  version: z.number().int().min(1),
});

const nameTaken = (name: string) =>
  new DomainError(`A scope named ${name} already exists in this environment.`, { name: ["This name is already used by another scope."] });

export async function createScope(db: Db, actor: AuditActor, environmentId: string, input: z.infer<typeof CreateScopeSchema>) {
  return db
    .$transaction(async (tx) => {
      const existing = await tx.scope.findUnique({ where: { environmentId_name: { environmentId, name: input.name } }, select: { id: true } });
      if (existing) throw nameTaken(input.name);
      const scope = await tx.scope.create({ data: { environmentId, name: input.name, description: input.description } });
      await recordAdminEvent(tx, actor, {
        action: "scope.created",
        target: `scope:${scope.id}`,
        environmentId,
        details: { after: { name: scope.name, description: scope.description } },
      });
      return { id: scope.id, name: scope.name };
    })
    .catch((error: unknown) => {
      // Two creations of one name at once both pass the check; the unique index refuses the second.
      if (isUniqueViolationOn(error, "Scope")) throw nameTaken(input.name);
      throw error;
    });
}

/**
 * Renaming a scope rewrites every grant of the environment that requires it,
 * in the same transaction: a grant never points at a scope that no longer
 * exists, and tokens carrying the new name keep the access they had.
 */
export async function updateScope(db: Db, actor: AuditActor, environmentId: string, input: z.infer<typeof UpdateScopeSchema>) {
  return db
    .$transaction(async (tx) => {
      const scope = await lockScope(tx, environmentId, input.scopeId, input.version);
      const renamed = scope.name !== input.name;
      if (!renamed && scope.description === input.description) return { id: scope.id, name: scope.name, grantsRewritten: 0 };
      if (renamed) {
        const clash = await tx.scope.findUnique({ where: { environmentId_name: { environmentId, name: input.name } }, select: { id: true } });
        if (clash) throw nameTaken(input.name);
      }
      await tx.scope.update({
        where: { id: scope.id },
        data: { name: input.name, description: input.description, version: { increment: 1 } },
      });
      const grantsRewritten = renamed
        ? await tx.$executeRaw`
            UPDATE "Grant" SET
              "requiredScopes" = array_replace("requiredScopes", ${scope.name}, ${input.name}),
              "version" = "version" + 1,
              "updatedAt" = now()
            WHERE ${scope.name} = ANY("requiredScopes")
              AND "roleId" IN (SELECT id FROM "Role" WHERE "environmentId" = ${environmentId}::uuid)`
        : 0;
      await recordAdminEvent(tx, actor, {
        action: "scope.updated",
        target: `scope:${scope.id}`,
        environmentId,
        details: {
          before: { name: scope.name, description: scope.description },
          after: { name: input.name, description: input.description },
          ...(renamed ? { grantsRewritten } : {}),
        },
      });
      return { id: scope.id, name: input.name, grantsRewritten };
    })
    .catch((error: unknown) => {
      if (isUniqueViolationOn(error, "Scope")) throw nameTaken(input.name);
      throw error;
    });
}

export async function deleteScope(db: Db, actor: AuditActor, environmentId: string, input: z.infer<typeof DeleteScopeSchema>) {
  return db.$transaction(async (tx) => {
    // The row lock makes a grant being saved with this scope right now
    // finish first (it holds a share lock on the scope), so the count below sees it.
    const scope = await lockScope(tx, environmentId, input.scopeId, input.version);
    const inUse = (await scopeUsage(tx, environmentId, [scope.name])).get(scope.name) ?? 0;
    if (inUse > 0) {
      throw new DomainError(
        `${scope.name} is required by ${inUse} ${inUse === 1 ? "grant" : "grants"}, so it cannot be deleted. Remove it from ${inUse === 1 ? "that grant" : "those grants"} in the grants matrix first.`,
      );
    }
    await tx.scope.delete({ where: { id: scope.id } });
    await recordAdminEvent(tx, actor, {
      action: "scope.deleted",
      target: `scope:${scope.id}`,
      environmentId,
      details: { before: { name: scope.name, description: scope.description } },
    });
    return { name: scope.name };
  });
}

export type ScopeCurrentValues = { name: string; description: string | null; version: number };

async function lockScope(tx: Tx, environmentId: string, scopeId: string, expectedVersion: number) {
  await tx.$queryRaw`SELECT 1 FROM "Scope" WHERE "id" = ${scopeId}::uuid FOR UPDATE`;
  const scope = await tx.scope.findUnique({ where: { id: scopeId } });
  // A scope of another environment is "not found" here: ids from a form are never trusted to stay in their environment.
  if (!scope || scope.environmentId !== environmentId) throw new NotFoundError("This scope");
  if (scope.version !== expectedVersion) {
    throw new StaleWriteError<ScopeCurrentValues>(
      `The scope ${scope.name} was changed by someone else since you loaded this page. The current values are shown; review them and try again.`,
      { name: scope.name, description: scope.description, version: scope.version },
    );
  }
  return scope;
}
