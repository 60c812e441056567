import "server-only";
import { z } from "zod";
import type { Db, Tx } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client.ts";
import { recordAdminEvent, type AuditActor } from "@/lib/audit/record";
import { isUniqueViolationOn } from "@/lib/db/prisma-errors";
import { DomainError, NotFoundError, StaleWriteError } from "@/lib/errors";
import { safeString } from "@/lib/input/rules";
import { ScopeNameSchema } from "@/lib/scopes/scopes";
import { resourceUriProblems } from "@/lib/servers/urls";
import { TOKEN_LIFETIME_DEFAULT_SECONDS, TOKEN_LIFETIME_MAX_SECONDS, type DelegationPolicy, type ScopePropagation } from "./types";

// ---------- input ----------

const NameSchema = safeString()
  .trim()
  .min(1, "Enter a name.")
  .max(64, "A name has at most 64 characters.")
  .regex(/^[a-z0-9][a-z0-9_-]*$/, "Use lowercase letters, digits, - and _ (for example calendar-api).");

const AudienceSchema = safeString()
  .trim()
  .min(1, "Enter the API's audience URI.")
  .max(2_048)
  .superRefine((text, ctx) => {
    const problem = resourceUriProblems(text)[0];
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

const ScopeListSchema = z.array(ScopeNameSchema).max(100, "At most 100 scopes.").transform((scopes) => [...new Set(scopes)].sort());

export const DownstreamApiInputSchema = z.strictObject({
  name: NameSchema,
  audience: AudienceSchema,
  scopes: ScopeListSchema.refine((scopes) => scopes.length > 0, "Name at least one scope the API understands."),
  tokenLifetimeSeconds: z.coerce
    .number()
    .int("Enter whole seconds.")
    .min(30, "At least 30 seconds.")
    .max(TOKEN_LIFETIME_MAX_SECONDS, `At most ${TOKEN_LIFETIME_MAX_SECONDS / 60} minutes: issued tokens cannot be revoked, so they stay short.`)
    .default(TOKEN_LIFETIME_DEFAULT_SECONDS),
  description: safeString().trim().max(500, "A description has at most 500 characters.").nullish().transform((text) => text || null),
});
export type DownstreamApiInput = z.input<typeof DownstreamApiInputSchema>;

export const UpdateDownstreamApiSchema = DownstreamApiInputSchema.extend({ id: z.uuid(), version: z.number().int().min(1) });
export const DeleteDownstreamApiSchema = z.strictObject({ id: z.uuid() });

export const ScopePropagationSchema = z.strictObject({ scope: ScopeNameSchema, requires: ScopeNameSchema });

export const DelegationInputSchema = z.strictObject({
  downstreamApiId: z.uuid(),
  serverId: z.uuid(),
  tools: z.array(safeString().trim().min(1).max(128)).max(200).default([]).transform((tools) => [...new Set(tools)].sort()),
  scopeCeiling: ScopeListSchema.default([]),
  roles: z.array(safeString().trim().min(1).max(128)).max(100).default([]).transform((roles) => [...new Set(roles)].sort()),
  propagation: z.array(ScopePropagationSchema).max(200).default([]),
});
export type DelegationInput = z.input<typeof DelegationInputSchema>;
export const RemoveDelegationSchema = z.strictObject({ downstreamApiId: z.uuid(), serverId: z.uuid() });

// ---------- commands ----------

export async function createDownstreamApi(db: Db, actor: AuditActor, environmentId: string, raw: unknown) {
  const input = DownstreamApiInputSchema.parse(raw);
  try {
    return await db.$transaction(async (tx) => {
      const api = await tx.downstreamApi.create({ data: { environmentId, ...input } });
      await recordAdminEvent(tx, actor, { action: "downstream_api.created", target: `downstream-api:${api.name}`, environmentId, details: { ...input } });
      return api;
    });
  } catch (error) {
    throw uniqueRefusal(error) ?? error;
  }
}

export async function updateDownstreamApi(db: Db, actor: AuditActor, environmentId: string, raw: unknown) {
  const { id, version, ...input } = UpdateDownstreamApiSchema.parse(raw);
  try {
    return await db.$transaction(async (tx) => {
      const current = await tx.downstreamApi.findFirst({ where: { id, environmentId } });
      if (!current) throw new NotFoundError("This downstream API");
      const updated = await tx.downstreamApi.updateMany({ where: { id, environmentId, version }, data: { ...input, version: { increment: 1 } } });
      if (updated.count === 0) throw new StaleWriteError("Someone else changed this downstream API first. Review their change and save again.", current);
      await recordAdminEvent(tx, actor, {
        action: "downstream_api.updated",
        target: `downstream-api:${input.name}`,
        environmentId,
        details: { before: pick(current), after: input },
      });
      return tx.downstreamApi.findUniqueOrThrow({ where: { id } });
    });
  } catch (error) {
    throw uniqueRefusal(error) ?? error;
  }
}

export async function deleteDownstreamApi(db: Db, actor: AuditActor, environmentId: string, raw: unknown) {
  const { id } = DeleteDownstreamApiSchema.parse(raw);
  return db.$transaction(async (tx) => {
    const current = await tx.downstreamApi.findFirst({ where: { id, environmentId }, include: { _count: { select: { delegations: true } } } });
    if (!current) throw new NotFoundError("This downstream API");
    await tx.downstreamApi.delete({ where: { id } });
    await recordAdminEvent(tx, actor, {
      action: "downstream_api.deleted",
      target: `downstream-api:${current.name}`,
      environmentId,
      details: { ...pick(current), delegationsRemoved: current._count.delegations },
    });
  });
}

/** Creates or replaces the delegation of one API to one server. */
export async function setDelegation(db: Db, actor: AuditActor, environmentId: string, raw: unknown) {
  const input = DelegationInputSchema.parse(raw);
  return db.$transaction(async (tx) => {
    const { api, server } = await delegationParties(tx, environmentId, input.downstreamApiId, input.serverId);
    const unknownScopes = [...input.scopeCeiling, ...input.propagation.map((entry) => entry.scope)].filter((scope) => !api.scopes.includes(scope));
    if (unknownScopes.length > 0) {
      throw new DomainError(`${api.name} does not understand ${[...new Set(unknownScopes)].join(", ")}. Add the scope to the API first, or leave it out.`, { scopeCeiling: [`Unknown scope ${unknownScopes[0]}`] });
    }
    const tools = await tx.tool.findMany({ where: { serverId: server.id, name: { in: input.tools } }, select: { name: true } });
    const missingTools = input.tools.filter((name) => !tools.some((tool) => tool.name === name));
    if (missingTools.length > 0) throw new DomainError(`Server ${server.name} has no tool ${missingTools.join(", ")}.`, { tools: [`Unknown tool ${missingTools[0]}`] });
    const roles = await tx.role.findMany({ where: { environmentId, name: { in: input.roles } }, select: { name: true } });
    const missingRoles = input.roles.filter((name) => !roles.some((role) => role.name === name));
    if (missingRoles.length > 0) throw new DomainError(`There is no role ${missingRoles.join(", ")} in this environment.`, { roles: [`Unknown role ${missingRoles[0]}`] });

    const data = { tools: input.tools, scopeCeiling: input.scopeCeiling, roles: input.roles, propagation: sortPropagation(input.propagation) as unknown as Prisma.InputJsonValue };
    const before = await tx.delegation.findUnique({ where: { downstreamApiId_serverId: { downstreamApiId: api.id, serverId: server.id } } });
    const row = await tx.delegation.upsert({
      where: { downstreamApiId_serverId: { downstreamApiId: api.id, serverId: server.id } },
      create: { downstreamApiId: api.id, serverId: server.id, ...data },
      update: data,
    });
    await recordAdminEvent(tx, actor, {
      action: before ? "delegation.updated" : "delegation.created",
      target: `delegation:${server.name}→${api.name}`,
      environmentId,
      details: { server: server.name, api: api.name, tools: input.tools, scopeCeiling: input.scopeCeiling, roles: input.roles, propagation: data.propagation },
    });
    return row;
  });
}

export async function removeDelegation(db: Db, actor: AuditActor, environmentId: string, raw: unknown) {
  const input = RemoveDelegationSchema.parse(raw);
  return db.$transaction(async (tx) => {
    const { api, server } = await delegationParties(tx, environmentId, input.downstreamApiId, input.serverId);
    const removed = await tx.delegation.deleteMany({ where: { downstreamApiId: api.id, serverId: server.id } });
    if (removed.count === 0) throw new NotFoundError(`The delegation of ${api.name} to ${server.name}`);
    await recordAdminEvent(tx, actor, { action: "delegation.removed", target: `delegation:${server.name}→${api.name}`, environmentId, details: { server: server.name, api: api.name } });
  });
}

async function delegationParties(tx: Tx, environmentId: string, downstreamApiId: string, serverId: string) {
  const [api, server] = await Promise.all([
    tx.downstreamApi.findFirst({ where: { id: downstreamApiId, environmentId } }),
    tx.mcpServer.findFirst({ where: { id: serverId, environmentId }, select: { id: true, name: true } }),
  ]);
  if (!api) throw new NotFoundError("This downstream API");
  if (!server) throw new NotFoundError("This MCP server");
  return { api, server };
}

function uniqueRefusal(error: unknown): DomainError | null {
  if (!isUniqueViolationOn(error, "DownstreamApi")) return null;
  return new DomainError("Another downstream API in this environment already has this name or audience.", { name: ["Name or audience already in use."] });
}

function pick(api: { name: string; audience: string; scopes: string[]; tokenLifetimeSeconds: number; description: string | null }) {
  return { name: api.name, audience: api.audience, scopes: api.scopes, tokenLifetimeSeconds: api.tokenLifetimeSeconds, description: api.description };
}

function sortPropagation(entries: ScopePropagation[]): ScopePropagation[] {
  const unique = new Map(entries.map((entry) => [`${entry.scope}\u0000${entry.requires}`, { scope: entry.scope, requires: entry.requires }]));
  return [...unique.values()].sort((a, b) => (a.scope === b.scope ? cmp(a.requires, b.requires) : cmp(a.scope, b.scope)));
}

function cmp(a: string, b: string) {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------- queries ----------

/** The environment's downstream APIs and delegations as they would be published; null when it has none (the config then stays as before). */
export async function loadDelegationPolicy(db: Db | Tx, environmentId: string): Promise<DelegationPolicy | null> {
  const apis = await db.downstreamApi.findMany({
    where: { environmentId },
    orderBy: { name: "asc" },
    include: { delegations: { include: { server: { select: { name: true } } } } },
  });
  if (apis.length === 0) return null;
  return {
    downstreamApis: apis.map((api) => ({ name: api.name, audience: api.audience, scopes: [...api.scopes].sort(), tokenLifetimeSeconds: api.tokenLifetimeSeconds })),
    delegations: apis
      .flatMap((api) =>
        api.delegations.map((delegation) => ({
          server: delegation.server.name,
          api: api.name,
          tools: [...delegation.tools].sort(),
          scopeCeiling: [...delegation.scopeCeiling].sort(),
          roles: [...delegation.roles].sort(),
          propagation: sortPropagation((delegation.propagation as unknown as ScopePropagation[]) ?? []),
        })),
      )
      .sort((a, b) => cmp(a.server, b.server) || cmp(a.api, b.api)),
  };
}

/** Everything the downstream page shows: APIs, servers with their tools, roles, and the delegations between them. */
export async function downstreamOverview(db: Db, environmentId: string) {
  const [apis, servers, roles] = await db.$transaction([
    db.downstreamApi.findMany({ where: { environmentId }, orderBy: { name: "asc" }, include: { delegations: true } }),
    db.mcpServer.findMany({ where: { environmentId }, orderBy: { name: "asc" }, select: { id: true, name: true, tools: { select: { name: true }, orderBy: { name: "asc" } } } }),
    db.role.findMany({ where: { environmentId }, orderBy: { name: "asc" }, select: { name: true } }),
  ]);
  return {
    apis: apis.map((api) => ({
      id: api.id,
      name: api.name,
      audience: api.audience,
      scopes: api.scopes,
      tokenLifetimeSeconds: api.tokenLifetimeSeconds,
      description: api.description,
      version: api.version,
      delegations: api.delegations.map((delegation) => ({
        serverId: delegation.serverId,
        tools: delegation.tools,
        scopeCeiling: delegation.scopeCeiling,
        roles: delegation.roles,
        propagation: (delegation.propagation as unknown as ScopePropagation[]) ?? [],
      })),
    })),
    servers: servers.map((server) => ({ id: server.id, name: server.name, tools: server.tools.map((tool) => tool.name) })),
    roles: roles.map((role) => role.name),
  };
}
export type DownstreamOverview = Awaited<ReturnType<typeof downstreamOverview>>;
