import "server-only";
import { z } from "zod";
import { pagingFields } from "@/lib/list-query";
import type { Db, Tx } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client.ts";
import { recordAdminEvent, type AuditActor } from "@/lib/audit/record";
import { DomainError, NotFoundError, StaleWriteError } from "@/lib/errors";
import { PG_INT_MAX, refineText, safeString } from "@/lib/input/rules";
import { issuerUrlProblems, jwksUriProblems, resourceUriProblems } from "./urls";

// ---------- schemas ----------

function urlSchema(problems: (text: string) => string[], requiredMessage: string) {
  return z
    .string()
    .trim()
    .min(1, { message: requiredMessage, abort: true })
    .max(2048, "Keep the URL under 2048 characters.")
    .superRefine(refineText)
    .superRefine((text, ctx) => {
      for (const message of problems(text)) ctx.addIssue({ code: "custom", message });
    });
}

export const ResourceUriSchema = urlSchema(resourceUriProblems, "Enter the resource identifier.");
export const IssuerUrlSchema = urlSchema(issuerUrlProblems, "Enter the authorization server's issuer URL.");
export const JwksUriSchema = urlSchema(jwksUriProblems, "Enter the JWKS URL.");

// RFC 6749 §3.3 scope-token: printable ASCII except space, " and \.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Scopes arrive from a form as one text (space, comma or newline separated) or as a list. */
export const ScopesSupportedSchema = z.preprocess(
  (value) => (typeof value === "string" ? value.split(/[\s,]+/).filter(Boolean) : value),
  z
    .array(z.string().regex(SCOPE_TOKEN, "A scope is printable ASCII without spaces, quotes or backslashes.").max(200))
    .max(200, "List at most 200 scopes.")
    .transform((scopes) => [...new Set(scopes)]),
);

const optionalText = (max: number) =>
  safeString()
    .trim()
    .max(max, `Keep it under ${max} characters.`)
    .optional()
    .transform((text) => text || null);

export const ServerFieldsSchema = z.object({
  name: safeString().trim().min(1, "Enter a name.").max(100, "Keep the name under 100 characters."),
  description: optionalText(2000),
  resourceUri: ResourceUriSchema,
  // Optional: a local tool server may not use OAuth at all (the form warns what that means).
  authorizationServer: z
    .union([z.literal("").transform(() => null), IssuerUrlSchema])
    .nullish()
    .transform((value) => value ?? null),
  jwksUri: z
    .union([z.literal("").transform(() => null), JwksUriSchema])
    .nullish()
    .transform((value) => value ?? null),
  scopesSupported: ScopesSupportedSchema.default([]),
});
export type ServerFields = z.output<typeof ServerFieldsSchema>;

export const CreateServerSchema = ServerFieldsSchema.extend({ environmentId: z.uuid() });
export const UpdateServerSchema = ServerFieldsSchema.extend({
  environmentId: z.uuid(),
  serverId: z.uuid(),
  version: z.coerce.number().int().min(1).max(PG_INT_MAX),
});
export const DeleteServerSchema = z.object({ environmentId: z.uuid(), serverId: z.uuid(), version: z.coerce.number().int().min(1).max(PG_INT_MAX) });

// ---------- queries ----------

export const SERVER_SORTS = ["name", "resourceUri", "tools", "updatedAt"] as const;

export const ServerListQuerySchema = z.object({
  ...pagingFields(),
  sort: z.enum(SERVER_SORTS).catch("name"),
  dir: z.enum(["asc", "desc"]).catch("asc"),
  q: z.string().trim().max(200).catch(""),
});
export type ServerListQuery = z.infer<typeof ServerListQuerySchema>;

export type ServerRow = { id: string; name: string; resourceUri: string; toolCount: number; updatedAt: string; version: number };

export type ServerDetail = {
  id: string;
  environmentId: string;
  name: string;
  description: string | null;
  resourceUri: string;
  authorizationServer: string | null;
  jwksUri: string | null;
  scopesSupported: string[];
  version: number;
  createdAt: string;
  updatedAt: string;
};

export async function listServers(db: Db, environmentId: string, query: ServerListQuery): Promise<{ rows: ServerRow[]; total: number }> {
  const where: Prisma.McpServerWhereInput = {
    environmentId,
    ...(query.q
      ? { OR: [{ name: { contains: query.q, mode: "insensitive" } }, { resourceUri: { contains: query.q, mode: "insensitive" } }] }
      : {}),
  };
  const orderBy: Prisma.McpServerOrderByWithRelationInput = query.sort === "tools" ? { tools: { _count: query.dir } } : { [query.sort]: query.dir };
  const [servers, total] = await db.$transaction([
    db.mcpServer.findMany({
      where,
      orderBy: [orderBy, { id: "asc" }],
      skip: (query.page - 1) * query.size,
      take: query.size,
      select: { id: true, name: true, resourceUri: true, updatedAt: true, version: true, _count: { select: { tools: true } } },
    }),
    db.mcpServer.count({ where }),
  ]);
  return {
    total,
    rows: servers.map((server) => ({
      id: server.id,
      name: server.name,
      resourceUri: server.resourceUri,
      toolCount: server._count.tools,
      updatedAt: server.updatedAt.toISOString(),
      version: server.version,
    })),
  };
}

type ServerRecord = Prisma.McpServerGetPayload<object>;

function toDetail(server: ServerRecord): ServerDetail {
  return {
    id: server.id,
    environmentId: server.environmentId,
    name: server.name,
    description: server.description,
    resourceUri: server.resourceUri,
    authorizationServer: server.authorizationServer,
    jwksUri: server.jwksUri,
    scopesSupported: server.scopesSupported,
    version: server.version,
    createdAt: server.createdAt.toISOString(),
    updatedAt: server.updatedAt.toISOString(),
  };
}

/** The server, or null when the id is not a server of this environment (including a malformed id). */
export async function getServer(db: Db | Tx, environmentId: string, serverId: string): Promise<ServerDetail | null> {
  if (!z.uuid().safeParse(serverId).success) return null;
  const server = await db.mcpServer.findFirst({ where: { id: serverId, environmentId } });
  return server ? toDetail(server) : null;
}

/** What deleting the server takes with it, for the confirmation to name. */
export async function serverDeletionImpact(db: Db, serverId: string): Promise<{ tools: number; grants: number }> {
  const [tools, grants] = await db.$transaction([db.tool.count({ where: { serverId } }), db.grant.count({ where: { tool: { serverId } } })]);
  return { tools, grants };
}

export type ProtectedResourceMetadata = {
  resource: string;
  authorization_servers: string[];
  scopes_supported?: string[];
  bearer_methods_supported: string[];
  resource_name: string;
};

/**
 * The RFC 9728 Protected Resource Metadata the MCP server publishes at
 * /.well-known/oauth-protected-resource. Only the Authorization header is
 * offered: MCP forbids access tokens in the query string.
 */
export function protectedResourceMetadata(
  server: Pick<ServerDetail, "name" | "resourceUri" | "authorizationServer" | "scopesSupported">,
): ProtectedResourceMetadata {
  return {
    resource: server.resourceUri,
    authorization_servers: server.authorizationServer ? [server.authorizationServer] : [],
    ...(server.scopesSupported.length ? { scopes_supported: [...server.scopesSupported] } : {}),
    bearer_methods_supported: ["header"],
    resource_name: server.name,
  };
}

// ---------- commands ----------

function auditedFields(server: ServerRecord | ServerFields) {
  return {
    name: server.name,
    description: server.description,
    resourceUri: server.resourceUri,
    authorizationServer: server.authorizationServer,
    jwksUri: server.jwksUri,
    scopesSupported: server.scopesSupported,
  };
}

async function assertUnique(tx: Tx, environmentId: string, fields: ServerFields, exceptId?: string) {
  const clashes = await tx.mcpServer.findMany({
    where: { environmentId, OR: [{ name: fields.name }, { resourceUri: fields.resourceUri }], ...(exceptId ? { NOT: { id: exceptId } } : {}) },
    select: { name: true, resourceUri: true },
  });
  const fieldErrors: Record<string, string[]> = {};
  if (clashes.some((clash) => clash.name === fields.name)) fieldErrors.name = ["Another server in this environment has this name."];
  if (clashes.some((clash) => clash.resourceUri === fields.resourceUri)) {
    fieldErrors.resourceUri = ["Another server in this environment has this resource identifier."];
  }
  if (Object.keys(fieldErrors).length) throw new DomainError("Some fields need attention.", fieldErrors);
}

/** Two saves racing past the check above: the unique index refuses one, which gets the same field errors. */
function uniqueViolationToFieldErrors(error: unknown): never {
  const known = error as { code?: unknown; meta?: unknown } | null;
  if (known?.code === "P2002") {
    const where = JSON.stringify(known.meta ?? {});
    const field = where.includes("resourceUri") ? "resourceUri" : "name";
    throw new DomainError("Some fields need attention.", {
      [field]: [field === "name" ? "Another server in this environment has this name." : "Another server in this environment has this resource identifier."],
    });
  }
  throw error;
}

export async function createServer(db: Db, actor: AuditActor, input: z.output<typeof CreateServerSchema>): Promise<ServerDetail> {
  const { environmentId, ...fields } = input;
  return db
    .$transaction(async (tx) => {
      if (!(await tx.environment.findUnique({ where: { id: environmentId }, select: { id: true } }))) throw new NotFoundError("This environment");
      await assertUnique(tx, environmentId, fields);
      const server = await tx.mcpServer.create({ data: { environmentId, ...fields } });
      await recordAdminEvent(tx, actor, {
        action: "server.created",
        target: `server:${server.id}`,
        environmentId,
        details: { after: auditedFields(server) },
      });
      return toDetail(server);
    })
    .catch(uniqueViolationToFieldErrors);
}

/** Locks the row and refuses a write based on a version someone else has already replaced. */
async function lockServer(tx: Tx, environmentId: string, serverId: string, expectedVersion: number): Promise<ServerRecord> {
  await tx.$queryRaw`SELECT 1 FROM "McpServer" WHERE "id" = ${serverId}::uuid FOR UPDATE`;
  const server = await tx.mcpServer.findFirst({ where: { id: serverId, environmentId } });
  if (!server) throw new NotFoundError("This server");
  if (server.version !== expectedVersion) {
    throw new StaleWriteError(
      `${server.name} was changed by someone else since you loaded this page. The current values are shown; review them and save again.`,
      toDetail(server),
    );
  }
  return server;
}

export async function updateServer(db: Db, actor: AuditActor, input: z.output<typeof UpdateServerSchema>): Promise<ServerDetail> {
  const { environmentId, serverId, version, ...fields } = input;
  return db
    .$transaction(async (tx) => {
      const before = await lockServer(tx, environmentId, serverId, version);
      await assertUnique(tx, environmentId, fields, serverId);
      const after = await tx.mcpServer.update({ where: { id: serverId }, data: { ...fields, version: { increment: 1 } } });
      await recordAdminEvent(tx, actor, {
        action: "server.updated",
        target: `server:${serverId}`,
        environmentId,
        details: { before: auditedFields(before), after: auditedFields(after) },
      });
      return toDetail(after);
    })
    .catch(uniqueViolationToFieldErrors);
}

/** Deletes the server with its tools and their grants (the schema cascades), and says how many went. */
export async function deleteServer(db: Db, actor: AuditActor, input: z.output<typeof DeleteServerSchema>): Promise<{ name: string; tools: number; grants: number }> {
  return db.$transaction(async (tx) => {
    const server = await lockServer(tx, input.environmentId, input.serverId, input.version);
    const tools = await tx.tool.count({ where: { serverId: server.id } });
    const grants = await tx.grant.count({ where: { tool: { serverId: server.id } } });
    await tx.mcpServer.delete({ where: { id: server.id } });
    await recordAdminEvent(tx, actor, {
      action: "server.deleted",
      target: `server:${server.id}`,
      environmentId: input.environmentId,
      details: { before: auditedFields(server), deletedTools: tools, deletedGrants: grants },
    });
    return { name: server.name, tools, grants };
  });
}
