import "server-only";
import { z } from "zod";
import type { Tx } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client.ts";
import { DownstreamApiInputSchema, ScopePropagationSchema } from "./delegation";
import type { ScopePropagation } from "./types";

// Downstream APIs and their delegations in a policy file (policy/v1,
// `downstreamApis:`), with the same field rules as the dashboard's forms.

const names = (max: number) =>
  z
    .array(z.string().trim().min(1).max(128))
    .max(max)
    .default([])
    .transform((list) => [...new Set(list)].sort());

export const DelegationFileSchema = z.strictObject({
  server: z.string().trim().min(1, "Name the MCP server this API is delegated to."),
  tools: names(200),
  scopeCeiling: names(100),
  roles: names(100),
  propagation: z
    .array(ScopePropagationSchema)
    .max(200)
    .default([])
    .transform((entries) => sortPropagation(entries)),
});

export const DownstreamApiFileSchema = DownstreamApiInputSchema.extend({
  delegations: z.array(DelegationFileSchema).default([]),
});

export type DownstreamApiFileEntry = z.output<typeof DownstreamApiFileSchema>;

type DocLike = {
  servers: { name: string; tools: { name: string }[] }[];
  roles: { name: string }[];
  downstreamApis?: DownstreamApiFileEntry[];
};

/** Cross-references: each delegation names a server, tools and roles of the same file, and scopes of its API. */
export function refineDownstreamApis(doc: DocLike, ctx: z.RefinementCtx) {
  const apis = doc.downstreamApis ?? [];
  const seen = { names: new Set<string>(), audiences: new Set<string>() };
  const tools = new Map(doc.servers.map((server) => [server.name, new Set(server.tools.map((tool) => tool.name))]));
  const roles = new Set(doc.roles.map((role) => role.name));
  apis.forEach((api, a) => {
    if (seen.names.has(api.name)) ctx.addIssue({ code: "custom", path: ["downstreamApis", a, "name"], message: `The downstream API "${api.name}" appears twice.` });
    if (seen.audiences.has(api.audience)) ctx.addIssue({ code: "custom", path: ["downstreamApis", a, "audience"], message: `The audience "${api.audience}" appears twice.` });
    seen.names.add(api.name);
    seen.audiences.add(api.audience);
    const delegated = new Set<string>();
    api.delegations.forEach((delegation, d) => {
      const path = ["downstreamApis", a, "delegations", d];
      const serverTools = tools.get(delegation.server);
      if (!serverTools) ctx.addIssue({ code: "custom", path: [...path, "server"], message: `No server named "${delegation.server}" in this file.` });
      if (delegated.has(delegation.server)) ctx.addIssue({ code: "custom", path: [...path, "server"], message: `"${api.name}" is delegated to "${delegation.server}" twice.` });
      delegated.add(delegation.server);
      delegation.tools.forEach((tool) => {
        if (serverTools && !serverTools.has(tool)) ctx.addIssue({ code: "custom", path: [...path, "tools"], message: `The server "${delegation.server}" has no tool named "${tool}" in this file.` });
      });
      delegation.roles.forEach((role) => {
        if (!roles.has(role)) ctx.addIssue({ code: "custom", path: [...path, "roles"], message: `No role named "${role}" in this file.` });
      });
      [...delegation.scopeCeiling, ...delegation.propagation.map((entry) => entry.scope)].forEach((scope) => {
        if (!api.scopes.includes(scope)) ctx.addIssue({ code: "custom", path, message: `"${api.name}" does not list the scope "${scope}".` });
      });
    });
  });
}

/** The environment's downstream APIs as file entries, in a stable order, and their row ids. */
export async function downstreamApisOf(tx: Tx, environmentId: string) {
  const rows = await tx.downstreamApi.findMany({ where: { environmentId }, include: { delegations: { include: { server: { select: { name: true } } } } } });
  const ids = { downstreamApis: new Map<string, string>(), delegations: new Map<string, string>() };
  const entries: DownstreamApiFileEntry[] = rows
    .map((api) => {
      ids.downstreamApis.set(api.name, api.id);
      for (const delegation of api.delegations) ids.delegations.set(delegationKey(api.name, delegation.server.name), delegation.id);
      return {
        name: api.name,
        audience: api.audience,
        scopes: [...api.scopes].sort(),
        tokenLifetimeSeconds: api.tokenLifetimeSeconds,
        description: api.description,
        delegations: api.delegations
          .map((delegation) => ({
            server: delegation.server.name,
            tools: [...delegation.tools].sort(),
            scopeCeiling: [...delegation.scopeCeiling].sort(),
            roles: [...delegation.roles].sort(),
            propagation: sortPropagation((delegation.propagation as unknown as ScopePropagation[]) ?? []),
          }))
          .sort((a, b) => cmp(a.server, b.server)),
      };
    })
    .sort((a, b) => cmp(a.name, b.name));
  return { entries, ids };
}

export const delegationKey = (api: string, server: string) => `${api}\u0000${server}`;

export type FlatDownstream = {
  downstreamApis: Map<string, Omit<DownstreamApiFileEntry, "delegations">>;
  delegations: Map<string, DownstreamApiFileEntry["delegations"][number] & { api: string }>;
};

export function flattenDownstream(entries: DownstreamApiFileEntry[] | undefined): FlatDownstream {
  const flat: FlatDownstream = { downstreamApis: new Map(), delegations: new Map() };
  for (const { delegations, ...api } of entries ?? []) {
    flat.downstreamApis.set(api.name, api);
    for (const delegation of delegations) flat.delegations.set(delegationKey(api.name, delegation.server), { ...delegation, api: api.name });
  }
  return flat;
}

/**
 * Writes the wanted downstream APIs and delegations over the current ones.
 * Call after servers, tools and roles are written (delegations refer to
 * them); deletions first so freed names and audiences can be reused.
 */
export async function writeDownstream(
  tx: Tx,
  environmentId: string,
  ids: { downstreamApis?: Map<string, string>; delegations?: Map<string, string>; servers: Map<string, string> },
  from: FlatDownstream,
  to: FlatDownstream,
  same: (a: unknown, b: unknown) => boolean,
) {
  const apiIds = ids.downstreamApis ?? new Map<string, string>();
  const delegationIds = ids.delegations ?? new Map<string, string>();
  for (const key of from.delegations.keys()) if (!to.delegations.has(key) && delegationIds.has(key)) await tx.delegation.deleteMany({ where: { id: delegationIds.get(key)! } });
  for (const name of from.downstreamApis.keys()) if (!to.downstreamApis.has(name) && apiIds.has(name)) await tx.downstreamApi.delete({ where: { id: apiIds.get(name)! } });
  for (const [name, api] of to.downstreamApis) {
    const id = apiIds.get(name);
    const data = { audience: api.audience, scopes: api.scopes, tokenLifetimeSeconds: api.tokenLifetimeSeconds, description: api.description };
    if (!id) apiIds.set(name, (await tx.downstreamApi.create({ data: { environmentId, name, ...data } })).id);
    else if (!same(from.downstreamApis.get(name), api)) await tx.downstreamApi.update({ where: { id }, data: { ...data, version: { increment: 1 } } });
  }
  for (const [key, delegation] of to.delegations) {
    if (same(from.delegations.get(key), delegation)) continue;
    const data = { tools: delegation.tools, scopeCeiling: delegation.scopeCeiling, roles: delegation.roles, propagation: delegation.propagation as unknown as Prisma.InputJsonValue };
    const downstreamApiId = apiIds.get(delegation.api)!;
    const serverId = ids.servers.get(delegation.server)!;
    await tx.delegation.upsert({ where: { downstreamApiId_serverId: { downstreamApiId, serverId } }, create: { downstreamApiId, serverId, ...data }, update: data });
  }
}

function sortPropagation(entries: ScopePropagation[]): ScopePropagation[] {
  const unique = new Map(entries.map((entry) => [`${entry.scope}\u0000${entry.requires}`, { scope: entry.scope, requires: entry.requires }]));
  return [...unique.values()].sort((a, b) => (a.scope === b.scope ? cmp(a.requires, b.requires) : cmp(a.scope, b.scope)));
}

function cmp(a: string, b: string) {
  return a < b ? -1 : a > b ? 1 : 0;
}
