import "server-only";
import { z } from "zod";
import { pagingFields } from "@/lib/list-query";
import type { Db, Tx } from "@/lib/db/client";
import type { Prisma, RiskTier } from "@/lib/db/generated/client.ts";
import { recordAuditEvents, type AuditActor, type AuditEventInput } from "@/lib/audit/record";
import { isUniqueViolationOn } from "@/lib/db/prisma-errors";
import { DomainError, NotFoundError, StaleWriteError } from "@/lib/errors";

// ---------- risk markers ----------

export type ToolRisk = {
  riskTier: RiskTier;
  /** HIGH or CRITICAL: an admin should think twice before granting it. */
  highRisk: boolean;
  /** The server declared the tool destructive (MCP annotation destructiveHint). */
  destructive: boolean;
  readOnly: boolean;
};

/**
 * The MCP spec defaults destructiveHint to true for tools that are not
 * read-only, but nearly every tool omits its annotations; marking all of them
 * would drown the tools that actually declare themselves destructive.
 */
export function toolRisk(tool: { riskTier: RiskTier; annotations: Prisma.JsonValue }): ToolRisk {
  const annotations = tool.annotations && typeof tool.annotations === "object" && !Array.isArray(tool.annotations) ? tool.annotations : {};
  return {
    riskTier: tool.riskTier,
    highRisk: tool.riskTier === "HIGH" || tool.riskTier === "CRITICAL",
    // destructiveHint means nothing for a read-only tool (MCP spec), and
    // stored annotations carry the spec's default of true for it.
    destructive: annotations.destructiveHint === true && annotations.readOnlyHint !== true,
    readOnly: annotations.readOnlyHint === true,
  };
}

// ---------- the matrix ----------

export type MatrixRole = { id: string; name: string; claimName: string; claimValue: string };
export type MatrixTool = { id: string; name: string; title: string | null; enabled: boolean } & ToolRisk;
export type MatrixServer = { id: string; name: string; tools: MatrixTool[] };
export type GrantCell = { id: string; requiredScopes: string[]; version: number };
export type GrantMatrix = {
  roles: MatrixRole[];
  servers: MatrixServer[];
  /** Keyed by `${roleId}:${toolId}`; a missing key is "not granted". */
  grants: Record<string, GrantCell>;
};

export const grantKey = (roleId: string, toolId: string) => `${roleId}:${toolId}`;

/** Roles × tools of one environment, tools grouped by server, with each cell's grant. */
export async function getGrantMatrix(db: Db, environmentId: string): Promise<GrantMatrix> {
  const [roles, servers, grants] = await db.$transaction([
    db.role.findMany({
      where: { environmentId },
      orderBy: [{ name: "asc" }, { id: "asc" }],
      select: { id: true, name: true, claimName: true, claimValue: true },
    }),
    db.mcpServer.findMany({
      where: { environmentId },
      orderBy: [{ name: "asc" }, { id: "asc" }],
      select: {
        id: true,
        name: true,
        tools: {
          orderBy: [{ name: "asc" }, { id: "asc" }],
          select: { id: true, name: true, title: true, enabled: true, riskTier: true, annotations: true },
        },
      },
    }),
    db.grant.findMany({
      where: { role: { environmentId } },
      select: { id: true, roleId: true, toolId: true, requiredScopes: true, version: true },
    }),
  ]);
  return {
    roles,
    servers: servers.map((server) => ({
      id: server.id,
      name: server.name,
      tools: server.tools.map((tool) => ({ id: tool.id, name: tool.name, title: tool.title, enabled: tool.enabled, ...toolRisk(tool) })),
    })),
    grants: Object.fromEntries(
      grants.map((grant) => [grantKey(grant.roleId, grant.toolId), { id: grant.id, requiredScopes: grant.requiredScopes, version: grant.version }]),
    ),
  };
}

// ---------- "what can this role do?" and "who can call this tool?" ----------

export const GRANT_SORTS = ["name", "updatedAt"] as const;

export const GrantListQuerySchema = z.object({
  ...pagingFields(),
  sort: z.enum(GRANT_SORTS).catch("name"),
  dir: z.enum(["asc", "desc"]).catch("asc"),
  q: z.string().trim().max(200).catch(""),
});
export type GrantListQuery = z.infer<typeof GrantListQuerySchema>;

export type RoleGrantRow = {
  id: string;
  requiredScopes: string[];
  version: number;
  updatedAt: string;
  tool: MatrixTool & { serverId: string; serverName: string };
};

export async function listGrantsForRole(
  db: Db,
  environmentId: string,
  roleId: string,
  query: GrantListQuery,
): Promise<{ rows: RoleGrantRow[]; total: number }> {
  const where: Prisma.GrantWhereInput = {
    roleId,
    role: { environmentId },
    ...(query.q
      ? {
          tool: {
            OR: [
              { name: { contains: query.q, mode: "insensitive" as const } },
              { server: { name: { contains: query.q, mode: "insensitive" as const } } },
            ],
          },
        }
      : {}),
  };
  const orderBy: Prisma.GrantOrderByWithRelationInput[] =
    query.sort === "name" ? [{ tool: { server: { name: query.dir } } }, { tool: { name: query.dir } }] : [{ updatedAt: query.dir }];
  const [grants, total] = await db.$transaction([
    db.grant.findMany({
      where,
      orderBy: [...orderBy, { id: "asc" }],
      skip: (query.page - 1) * query.size,
      take: query.size,
      select: {
        id: true,
        requiredScopes: true,
        version: true,
        updatedAt: true,
        tool: {
          select: { id: true, name: true, title: true, enabled: true, riskTier: true, annotations: true, server: { select: { id: true, name: true } } },
        },
      },
    }),
    db.grant.count({ where }),
  ]);
  return {
    total,
    rows: grants.map((grant) => ({
      id: grant.id,
      requiredScopes: grant.requiredScopes,
      version: grant.version,
      updatedAt: grant.updatedAt.toISOString(),
      tool: {
        id: grant.tool.id,
        name: grant.tool.name,
        title: grant.tool.title,
        enabled: grant.tool.enabled,
        serverId: grant.tool.server.id,
        serverName: grant.tool.server.name,
        ...toolRisk(grant.tool),
      },
    })),
  };
}

export type ToolGrantRow = { id: string; requiredScopes: string[]; version: number; updatedAt: string; role: MatrixRole };
export type ToolSummary = MatrixTool & { serverId: string; serverName: string };

export async function findTool(db: Db, environmentId: string, toolId: string): Promise<ToolSummary | null> {
  const tool = await db.tool.findFirst({
    where: { id: toolId, server: { environmentId } },
    select: { id: true, name: true, title: true, enabled: true, riskTier: true, annotations: true, server: { select: { id: true, name: true } } },
  });
  if (!tool) return null;
  return { id: tool.id, name: tool.name, title: tool.title, enabled: tool.enabled, serverId: tool.server.id, serverName: tool.server.name, ...toolRisk(tool) };
}

export async function listGrantsForTool(
  db: Db,
  environmentId: string,
  toolId: string,
  query: GrantListQuery,
): Promise<{ rows: ToolGrantRow[]; total: number }> {
  const where: Prisma.GrantWhereInput = {
    toolId,
    role: { environmentId, ...(query.q ? { name: { contains: query.q, mode: "insensitive" as const } } : {}) },
    tool: { server: { environmentId } },
  };
  const [grants, total] = await db.$transaction([
    db.grant.findMany({
      where,
      orderBy: [query.sort === "name" ? { role: { name: query.dir } } : { updatedAt: query.dir }, { id: "asc" }],
      skip: (query.page - 1) * query.size,
      take: query.size,
      select: {
        id: true,
        requiredScopes: true,
        version: true,
        updatedAt: true,
        role: { select: { id: true, name: true, claimName: true, claimValue: true } },
      },
    }),
    db.grant.count({ where }),
  ]);
  return {
    total,
    rows: grants.map((grant) => ({ ...grant, updatedAt: grant.updatedAt.toISOString() })),
  };
}

// ---------- commands ----------

const normalizeScopes = (scopes: string[]) => [...new Set(scopes.map((scope) => scope.trim()))].sort();

const RequiredScopesSchema = z
  .array(z.string().trim().min(1).max(128))
  .max(50, "A grant can require at most 50 scopes.")
  .transform(normalizeScopes);

export const SetGrantSchema = z.object({
  roleId: z.uuid(),
  toolId: z.uuid(),
  requiredScopes: RequiredScopesSchema,
  /** The grant's version the admin saw, or null when they saw no grant. */
  version: z.number().int().min(1).nullable(),
});

export const RevokeGrantSchema = z.object({
  roleId: z.uuid(),
  toolId: z.uuid(),
  version: z.number().int().min(1),
});

export const MAX_BULK_ROLES = 100;
export const MAX_BULK_TOOLS = 500;

export const ApplyGrantsSchema = z.object({
  roleIds: z
    .array(z.uuid())
    .min(1, "Select at least one role.")
    .max(MAX_BULK_ROLES, `Select at most ${MAX_BULK_ROLES} roles at once.`)
    .transform((ids) => [...new Set(ids)]),
  toolIds: z
    .array(z.uuid())
    .min(1, "Select at least one tool.")
    .max(MAX_BULK_TOOLS, `Select at most ${MAX_BULK_TOOLS} tools at once.`)
    .transform((ids) => [...new Set(ids)]),
  action: z.enum(["grant", "revoke"]),
  requiredScopes: RequiredScopesSchema.default([]),
});

export type GrantCurrentValues = { requiredScopes: string[]; version: number } | null;

type GrantContext = { role: { id: string; name: string }; tool: { id: string; name: string; serverName: string } };

/** Grants a tool to a role, or changes the scopes an existing grant requires. */
export async function setGrant(db: Db, actor: AuditActor, environmentId: string, given: z.infer<typeof SetGrantSchema>) {
  const input = { ...given, requiredScopes: normalizeScopes(given.requiredScopes) };
  return db
    .$transaction(async (tx) => {
      const { roles, tools } = await lockSubjects(tx, environmentId, [input.roleId], [input.toolId]);
      const context: GrantContext = { role: roles[0]!, tool: tools[0]! };
      await assertScopesExist(tx, environmentId, input.requiredScopes);
      const existing = await lockGrant(tx, input.roleId, input.toolId);
      if ((existing?.version ?? null) !== input.version) throw staleGrant(context, existing);
      if (existing && sameScopes(existing.requiredScopes, input.requiredScopes)) {
        return { id: existing.id, requiredScopes: existing.requiredScopes, version: existing.version, changed: false };
      }
      const grant = existing
        ? await tx.grant.update({ where: { id: existing.id }, data: { requiredScopes: input.requiredScopes, version: { increment: 1 } } })
        : await tx.grant.create({ data: { roleId: input.roleId, toolId: input.toolId, requiredScopes: input.requiredScopes } });
      await recordAuditEvents(tx, [
        grantEvent(actor, environmentId, existing ? "grant.updated" : "grant.created", grant.id, context, existing, grant),
      ]);
      return { id: grant.id, requiredScopes: grant.requiredScopes, version: grant.version, changed: true };
    })
    .catch(async (error: unknown) => {
      // Two admins granting the same cell at once: the second is as stale as if it had loaded the page later.
      if (isUniqueViolationOn(error, "Grant")) {
        const current = await db.grant.findUnique({ where: { roleId_toolId: { roleId: input.roleId, toolId: input.toolId } } });
        throw new StaleWriteError<GrantCurrentValues>(
          "Someone else granted this tool to this role a moment ago. The current grant is shown; review it and try again.",
          current ? { requiredScopes: current.requiredScopes, version: current.version } : null,
        );
      }
      throw error;
    });
}

export async function revokeGrant(db: Db, actor: AuditActor, environmentId: string, input: z.infer<typeof RevokeGrantSchema>) {
  return db.$transaction(async (tx) => {
    const { roles, tools } = await lockSubjects(tx, environmentId, [input.roleId], [input.toolId]);
    const context: GrantContext = { role: roles[0]!, tool: tools[0]! };
    const existing = await lockGrant(tx, input.roleId, input.toolId);
    if (!existing || existing.version !== input.version) throw staleGrant(context, existing);
    await tx.grant.delete({ where: { id: existing.id } });
    await recordAuditEvents(tx, [grantEvent(actor, environmentId, "grant.revoked", existing.id, context, existing, null)]);
  });
}

export type BulkResult = { created: number; updated: number; revoked: number; unchanged: number };

/**
 * Grants or revokes every selected tool for every selected role, all or
 * nothing. A bulk grant sets the chosen scopes on every pair, including pairs
 * already granted: the admin chose what the selection should require.
 */
export async function applyGrants(db: Db, actor: AuditActor, environmentId: string, given: z.infer<typeof ApplyGrantsSchema>): Promise<BulkResult> {
  const input = { ...given, requiredScopes: normalizeScopes(given.requiredScopes) };
  return db
    .$transaction(
      async (tx) => {
        const { roles, tools } = await lockSubjects(tx, environmentId, input.roleIds, input.toolIds);
        if (input.action === "grant") await assertScopesExist(tx, environmentId, input.requiredScopes);
        else if (input.requiredScopes.length) throw new DomainError("Revoking takes no scopes.", { requiredScopes: ["Leave the scopes empty to revoke."] });
        const existing = await tx.$queryRaw<{ id: string; roleId: string; toolId: string; requiredScopes: string[]; version: number }[]>`
          SELECT "id", "roleId", "toolId", "requiredScopes", "version" FROM "Grant"
          WHERE "roleId" = ANY(${input.roleIds}::uuid[]) AND "toolId" = ANY(${input.toolIds}::uuid[])
          ORDER BY "id" FOR UPDATE`;
        const byPair = new Map(existing.map((grant) => [grantKey(grant.roleId, grant.toolId), grant]));
        const result: BulkResult = { created: 0, updated: 0, revoked: 0, unchanged: 0 };
        const events: AuditEventInput[] = [];
        for (const role of roles) {
          for (const tool of tools) {
            const current = byPair.get(grantKey(role.id, tool.id)) ?? null;
            const context: GrantContext = { role, tool };
            if (input.action === "revoke") {
              if (!current) {
                result.unchanged++;
                continue;
              }
              await tx.grant.delete({ where: { id: current.id } });
              events.push(grantEvent(actor, environmentId, "grant.revoked", current.id, context, current, null));
              result.revoked++;
            } else if (!current) {
              const created = await tx.grant.create({ data: { roleId: role.id, toolId: tool.id, requiredScopes: input.requiredScopes } });
              events.push(grantEvent(actor, environmentId, "grant.created", created.id, context, null, created));
              result.created++;
            } else if (sameScopes(current.requiredScopes, input.requiredScopes)) {
              result.unchanged++;
            } else {
              const updated = await tx.grant.update({
                where: { id: current.id },
                data: { requiredScopes: input.requiredScopes, version: { increment: 1 } },
              });
              events.push(grantEvent(actor, environmentId, "grant.updated", updated.id, context, current, updated));
              result.updated++;
            }
          }
        }
        if (events.length) await recordAuditEvents(tx, events);
        return result;
      },
      // A large selection writes many rows; the default 5 s would cut it short on a busy database.
      { timeout: 30_000 },
    )
    .catch((error: unknown) => {
      if (isUniqueViolationOn(error, "Grant")) {
        throw new DomainError("Someone else changed some of these grants at the same moment. Nothing was changed; review the matrix and try again.");
      }
      throw error;
    });
}

// ---------- helpers ----------

/**
 * Loads the roles and tools a change names, refusing any that do not belong
 * to this environment (a forged id from another environment is "not found"),
 * and share-locks the roles so a concurrent role deletion waits for this change.
 */
async function lockSubjects(tx: Tx, environmentId: string, roleIds: string[], toolIds: string[]) {
  const roles = await tx.$queryRaw<{ id: string; name: string }[]>`
    SELECT "id", "name" FROM "Role"
    WHERE "id" = ANY(${roleIds}::uuid[]) AND "environmentId" = ${environmentId}::uuid
    ORDER BY "name", "id" FOR SHARE`;
  if (roles.length !== roleIds.length) {
    throw roleIds.length === 1
      ? new NotFoundError("This role")
      : new DomainError(`${roleIds.length - roles.length} of the selected roles no longer exist in this environment. Nothing was changed.`);
  }
  const tools = await tx.$queryRaw<{ id: string; name: string; serverName: string }[]>`
    SELECT t."id", t."name", s."name" AS "serverName" FROM "Tool" t JOIN "McpServer" s ON s."id" = t."serverId"
    WHERE t."id" = ANY(${toolIds}::uuid[]) AND s."environmentId" = ${environmentId}::uuid
    ORDER BY s."name", t."name", t."id" FOR SHARE OF t`;
  if (tools.length !== toolIds.length) {
    throw toolIds.length === 1
      ? new NotFoundError("This tool")
      : new DomainError(`${toolIds.length - tools.length} of the selected tools no longer exist in this environment. Nothing was changed.`);
  }
  return { roles, tools };
}

/** Share-locks the named scopes, so a rename or deletion of one of them waits for this grant to commit. */
async function assertScopesExist(tx: Tx, environmentId: string, names: string[]) {
  if (names.length === 0) return;
  const found = await tx.$queryRaw<{ name: string }[]>`
    SELECT "name" FROM "Scope" WHERE "environmentId" = ${environmentId}::uuid AND "name" = ANY(${names}::text[])
    ORDER BY "name" FOR SHARE`;
  const known = new Set(found.map((scope) => scope.name));
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length) {
    const list = unknown.join(", ");
    throw new DomainError(
      `${unknown.length === 1 ? "This scope does" : "These scopes do"} not exist in this environment: ${list}. Create ${unknown.length === 1 ? "it" : "them"} under Scopes first.`,
      { requiredScopes: [`Unknown ${unknown.length === 1 ? "scope" : "scopes"}: ${list}`] },
    );
  }
}

async function lockGrant(tx: Tx, roleId: string, toolId: string) {
  const [grant] = await tx.$queryRaw<{ id: string; requiredScopes: string[]; version: number }[]>`
    SELECT "id", "requiredScopes", "version" FROM "Grant" WHERE "roleId" = ${roleId}::uuid AND "toolId" = ${toolId}::uuid FOR UPDATE`;
  return grant ?? null;
}

function staleGrant(context: GrantContext, current: { requiredScopes: string[]; version: number } | null) {
  const subject = `${context.tool.name} for ${context.role.name}`;
  return new StaleWriteError<GrantCurrentValues>(
    current
      ? `The grant of ${subject} was changed by someone else since you loaded this page. It now requires ${current.requiredScopes.length ? current.requiredScopes.join(", ") : "no scopes"}; review it and try again.`
      : `The grant of ${subject} was revoked by someone else since you loaded this page. Review the matrix and try again.`,
    current ? { requiredScopes: current.requiredScopes, version: current.version } : null,
  );
}

function sameScopes(a: string[], b: string[]) {
  const sortedB = [...b].sort();
  return a.length === b.length && [...a].sort().every((scope, index) => scope === sortedB[index]);
}

function grantEvent(
  actor: AuditActor,
  environmentId: string,
  action: "grant.created" | "grant.updated" | "grant.revoked",
  grantId: string,
  context: GrantContext,
  before: { requiredScopes: string[] } | null,
  after: { requiredScopes: string[] } | null,
): AuditEventInput {
  return {
    source: "admin",
    actor: actor.id,
    actorLabel: actor.email,
    ip: actor.ip ?? null,
    environmentId,
    server: context.tool.serverName,
    tool: context.tool.name,
    action,
    target: `grant:${grantId}`,
    details: {
      role: context.role.name,
      roleId: context.role.id,
      toolId: context.tool.id,
      before: before ? { granted: true, requiredScopes: before.requiredScopes } : { granted: false },
      after: after ? { granted: true, requiredScopes: after.requiredScopes } : { granted: false },
    },
  };
}
