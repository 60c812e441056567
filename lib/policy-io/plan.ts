import "server-only";
import type { Db, Tx } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client.ts";
import { recordAdminEvent, type AuditActor } from "@/lib/audit/record";
import { canonicalJson, contentDigest } from "@/sdk/src/contract/canonical-json";
import { DomainError } from "@/lib/errors";
import { approvedDefinition, laterFieldsOf, toolDefinitionHash } from "@/lib/tools/definition-hash";
import { grantKey, readPolicyState, toolKey, type PolicyDocument, type PolicyIds } from "./document";
import { planCounts, planIsEmpty, type KindPlan, type PolicyPlan } from "./plan-shape";
import { flattenDownstream, writeDownstream } from "@/lib/delegation/policy-file";


const same = (a: unknown, b: unknown) => canonicalJson(a ?? null) === canonicalJson(b ?? null);

function diff<T>(current: Map<string, T>, wanted: Map<string, T>, fields: (keyof T & string)[]): KindPlan {
  const plan: KindPlan = { create: [], update: [], delete: [] };
  for (const [name, value] of wanted) {
    const existing = current.get(name);
    if (!existing) plan.create.push(name);
    else {
      const changed = fields.filter((field) => !same(existing[field], value[field]));
      if (changed.length) plan.update.push({ name, fields: changed });
    }
  }
  for (const name of current.keys()) if (!wanted.has(name)) plan.delete.push(name);
  plan.create.sort();
  plan.update.sort((a, b) => (a.name < b.name ? -1 : 1));
  plan.delete.sort();
  return plan;
}

type FlatPolicy = {
  scopes: Map<string, PolicyDocument["scopes"][number]>;
  servers: Map<string, Omit<PolicyDocument["servers"][number], "tools">>;
  tools: Map<string, PolicyDocument["servers"][number]["tools"][number] & { server: string }>;
  roles: Map<string, Omit<PolicyDocument["roles"][number], "grants">>;
  grants: Map<string, { role: string; server: string; tool: string; requiredScopes: string[] }>;
  clients: Map<string, NonNullable<PolicyDocument["clients"]>[number]>;
};

const CLIENT_FIELDS = ["displayName", "owner", "description", "redirectUris", "status", "reviewNote", "scopeCeiling", "restrictTools", "allowedTools"] as const;

/** A file without a clients list leaves the environment's clients as they are (files written before clients could be exported). */
function withClientsOf(current: PolicyDocument, wanted: PolicyDocument): PolicyDocument {
  const clients = wanted.clients === undefined ? { ...wanted, clients: current.clients } : wanted;
  // Likewise downstream APIs: a file without the list leaves them alone.
  return clients.downstreamApis === undefined && current.downstreamApis !== undefined ? { ...clients, downstreamApis: current.downstreamApis } : clients;
}

function flatten(doc: PolicyDocument): FlatPolicy {
  const flat: FlatPolicy = { scopes: new Map(), servers: new Map(), tools: new Map(), roles: new Map(), grants: new Map(), clients: new Map() };
  for (const client of doc.clients ?? []) flat.clients.set(client.clientId, client);
  for (const scope of doc.scopes) flat.scopes.set(scope.name, scope);
  for (const { tools, ...server } of doc.servers) {
    flat.servers.set(server.name, server);
    for (const tool of tools) flat.tools.set(toolKey(server.name, tool.name), { ...tool, server: server.name });
  }
  for (const { grants, ...role } of doc.roles) {
    flat.roles.set(role.name, role);
    for (const grant of grants) {
      flat.grants.set(grantKey(role.name, grant.server, grant.tool), { role: role.name, ...grant, requiredScopes: [...grant.requiredScopes].sort() });
    }
  }
  return flat;
}

// Keys joined with a NUL inside; shown to admins with readable separators.
const showTool = (key: string) => key.split("\u0000").join("/");
const showGrant = (key: string) => {
  const [role, server, tool] = key.split("\u0000");
  return `${role} → ${server}/${tool}`;
};
const relabel = (plan: KindPlan, show: (key: string) => string): KindPlan => ({
  create: plan.create.map(show),
  update: plan.update.map((update) => ({ ...update, name: show(update.name) })),
  delete: plan.delete.map(show),
});

function computePlan(current: PolicyDocument, file: PolicyDocument): PolicyPlan {
  const wanted = withClientsOf(current, file);
  const from = flatten(current);
  const to = flatten(wanted);
  const changes = {
    scopes: diff(from.scopes, to.scopes, ["description"]),
    servers: diff(from.servers, to.servers, ["description", "resource", "authorizationServer", "jwksUri", "scopesSupported"]),
    tools: relabel(diff(from.tools, to.tools, ["title", "description", "inputSchema", "annotations", "riskTier", "enabled", "requiresApproval"]), showTool),
    roles: diff(from.roles, to.roles, ["description", "claimName", "claimValue"]),
    grants: relabel(diff(from.grants, to.grants, ["requiredScopes"]), showGrant),
    clients: diff(from.clients, to.clients, [...CLIENT_FIELDS]),
    downstreamApis: diff(flattenDownstream(current.downstreamApis).downstreamApis, flattenDownstream(wanted.downstreamApis).downstreamApis, ["audience", "scopes", "tokenLifetimeSeconds", "description"]),
    delegations: relabel(
      diff(flattenDownstream(current.downstreamApis).delegations, flattenDownstream(wanted.downstreamApis).delegations, ["tools", "scopeCeiling", "roles", "propagation"]),
      (key) => key.split("\u0000").reverse().join(" → "),
    ),
  };
  // The environment key in the file is informational (promotion imports dev's file into prod).
  return { ...changes, hash: contentDigest({ changes, wanted: { ...wanted, environment: null } }) };
}

/** What importing the document would change in the environment; writes nothing. */
export async function planPolicyImport(db: Db, environmentId: string, doc: PolicyDocument): Promise<PolicyPlan> {
  return db.$transaction(async (tx) => computePlan((await readPolicyState(tx, environmentId)).doc, doc));
}

export class StalePlanError extends DomainError {
  constructor(readonly plan: PolicyPlan) {
    super("The environment or the file changed since you previewed this import. Review the new preview and apply again.");
    this.name = "StalePlanError";
  }
}

/**
 * Makes the environment match the document, in one transaction: all of it or
 * nothing. Refuses unless the changes are exactly the ones the admin
 * previewed (expectedPlanHash), so nobody applies a diff they did not see.
 */
export async function applyPolicyImport(
  db: Db,
  actor: AuditActor,
  environmentId: string,
  doc: PolicyDocument,
  expectedPlanHash: string,
  source?: { kind: "file" | "promotion"; from?: string },
): Promise<PolicyPlan> {
  return db
    .$transaction(async (tx) => {
      // One import at a time per environment: the second one sees the first's result and is refused as stale.
      await tx.$queryRaw`SELECT 1 FROM "Environment" WHERE "id" = ${environmentId}::uuid FOR UPDATE`;
      const state = await readPolicyState(tx, environmentId);
      const plan = computePlan(state.doc, doc);
      if (plan.hash !== expectedPlanHash) throw new StalePlanError(plan);
      if (planIsEmpty(plan)) return plan;
      await writeChanges(tx, actor, environmentId, state.ids, state.doc, withClientsOf(state.doc, doc));
      await recordAdminEvent(tx, actor, {
        action: "policy.imported",
        target: `environment:${environmentId}`,
        environmentId,
        details: { source: source?.kind ?? "file", ...(source?.from ? { from: source.from } : {}), planHash: plan.hash, counts: planCounts(plan) },
      });
      return plan;
    })
    .catch((error: unknown) => {
      // Two servers swapping resources collide half-way; say so instead of failing with a 500.
      if ((error as { code?: unknown } | null)?.code === "P2002") {
        throw new DomainError("This import would make two objects share a unique name or resource part-way through. Apply it in two steps.");
      }
      throw error;
    });
}

async function writeChanges(tx: Tx, actor: AuditActor, environmentId: string, ids: PolicyIds, current: PolicyDocument, wanted: PolicyDocument): Promise<void> {
  const from = flatten(current);
  const to = flatten(wanted);
  const bump = { version: { increment: 1 } } as const;

  const downstreamFrom = flattenDownstream(current.downstreamApis);
  const downstreamTo = flattenDownstream(wanted.downstreamApis);
  // Deletions first, so names and resources they free can be reused below.
  for (const key of downstreamFrom.delegations.keys()) {
    const id = ids.delegations?.get(key);
    if (id && !downstreamTo.delegations.has(key)) await tx.delegation.delete({ where: { id } });
  }
  for (const key of from.grants.keys()) if (!to.grants.has(key)) await tx.grant.delete({ where: { id: ids.grants.get(key)! } });
  for (const name of from.roles.keys()) if (!to.roles.has(name)) await tx.role.delete({ where: { id: ids.roles.get(name)! } });
  for (const key of from.tools.keys()) if (!to.tools.has(key) && to.servers.has(from.tools.get(key)!.server)) await tx.tool.delete({ where: { id: ids.tools.get(key)! } });
  for (const name of from.servers.keys()) if (!to.servers.has(name)) await tx.mcpServer.delete({ where: { id: ids.servers.get(name)! } });
  for (const name of from.scopes.keys()) if (!to.scopes.has(name)) await tx.scope.delete({ where: { id: ids.scopes.get(name)! } });
  for (const clientId of from.clients.keys()) if (!to.clients.has(clientId)) await tx.client.delete({ where: { id: ids.clients.get(clientId)! } });

  for (const [name, scope] of to.scopes) {
    const id = ids.scopes.get(name);
    const existing = from.scopes.get(name);
    if (!id) ids.scopes.set(name, (await tx.scope.create({ data: { environmentId, name, description: scope.description } })).id);
    else if (!same(existing, scope)) await tx.scope.update({ where: { id }, data: { description: scope.description, ...bump } });
  }
  for (const [name, server] of to.servers) {
    const data = {
      description: server.description,
      resourceUri: server.resource,
      authorizationServer: server.authorizationServer,
      jwksUri: server.jwksUri,
      scopesSupported: server.scopesSupported,
    };
    const id = ids.servers.get(name);
    if (!id) ids.servers.set(name, (await tx.mcpServer.create({ data: { environmentId, name, ...data } })).id);
    else if (!same(from.servers.get(name), server)) await tx.mcpServer.update({ where: { id }, data: { ...data, ...bump } });
  }
  for (const [key, tool] of to.tools) {
    const id = ids.tools.get(key);
    // Whoever applies a previewed import approves the definitions in it,
    // together with the fields a policy file does not carry (an imported
    // outputSchema, say), which stay as the tool has them.
    const stored = id ? await tx.tool.findUniqueOrThrow({ where: { id }, select: { outputSchema: true, execution: true, icons: true, meta: true } }) : {};
    const definition = { ...tool, ...laterFieldsOf(stored) };
    const hash = toolDefinitionHash(definition);
    const data = {
      title: tool.title,
      description: tool.description,
      inputSchema: tool.inputSchema as Prisma.InputJsonValue,
      annotations: tool.annotations,
      riskTier: tool.riskTier,
      enabled: tool.enabled,
      requiresApproval: tool.requiresApproval,
      definitionHash: hash,
      approvedHash: hash,
      approvedDefinition: approvedDefinition(definition) as Prisma.InputJsonValue,
    };
    if (!id) ids.tools.set(key, (await tx.tool.create({ data: { serverId: ids.servers.get(tool.server)!, name: tool.name, ...data } })).id);
    else if (!same(from.tools.get(key), tool)) await tx.tool.update({ where: { id }, data: { ...data, ...bump } });
  }
  for (const [name, role] of to.roles) {
    const data = { description: role.description, claimName: role.claimName, claimValue: role.claimValue };
    const id = ids.roles.get(name);
    if (!id) ids.roles.set(name, (await tx.role.create({ data: { environmentId, name, ...data } })).id);
    else if (!same(from.roles.get(name), role)) await tx.role.update({ where: { id }, data: { ...data, ...bump } });
  }
  const reviewerId = to.clients.size ? ((await tx.admin.findUnique({ where: { id: actor.id }, select: { id: true } }))?.id ?? null) : null;
  for (const [clientId, client] of to.clients) {
    const id = ids.clients.get(clientId);
    const existing = from.clients.get(clientId);
    if (existing && same(existing, client)) continue;
    // Whoever applies the import decided the status it sets, as a review in the UI would record.
    const reviewed = !existing || existing.status !== client.status ? { reviewedById: client.status === "PENDING" ? null : reviewerId, reviewedAt: client.status === "PENDING" ? null : new Date() } : {};
    const data = { ...client, ...reviewed };
    if (!id) await tx.client.create({ data: { environmentId, kind: "PRE_REGISTERED", ...data } });
    else await tx.client.update({ where: { id }, data: { ...data, ...bump } });
  }
  for (const [key, grant] of to.grants) {
    const id = ids.grants.get(key);
    if (!id) {
      await tx.grant.create({
        data: { roleId: ids.roles.get(grant.role)!, toolId: ids.tools.get(toolKey(grant.server, grant.tool))!, requiredScopes: grant.requiredScopes },
      });
    } else if (!same(from.grants.get(key), grant)) await tx.grant.update({ where: { id }, data: { requiredScopes: grant.requiredScopes, ...bump } });
  }
  await writeDownstream(tx, environmentId, ids, downstreamFrom, downstreamTo, same);
}
