import "server-only";
import type { Db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client.ts";
import { loadPolicySnapshot } from "@/lib/policy/load";
import { canonicalJson } from "@/sdk/src/contract/canonical-json";
import { configContentHash, type PublishedConfig } from "@/sdk/src/contract/config-document";

export { configContentHash, type PublishedConfig };

/**
 * A stored ConfigVersion's snapshot as the config it is. Only
 * buildPublishedConfig writes snapshots, and they are immutable, so it is not
 * parsed again: re-validating would refuse a version published under an
 * older shape and take its environment's config off the air.
 */
export function storedConfig(snapshot: Prisma.JsonValue): PublishedConfig {
  return snapshot as unknown as PublishedConfig;
}
import { loadDelegationPolicy } from "@/lib/delegation/delegation";

/**
 * The environment's draft as it would be published. Only approved clients,
 * enabled tools whose live definition is the approved one, and the grants on
 * those tools go out: what is held back is denied at the MCP server as
 * unknown, whatever the draft says about it.
 */
export async function buildPublishedConfig(db: Db, environmentId: string): Promise<PublishedConfig> {
  const [policy, servers, scopes, delegation, hashes] = await Promise.all([
    loadPolicySnapshot(db, environmentId),
    db.mcpServer.findMany({ where: { environmentId }, orderBy: { name: "asc" }, select: { name: true, resourceUri: true, authorizationServer: true, scopesSupported: true } }),
    db.scope.findMany({ where: { environmentId }, orderBy: { name: "asc" }, select: { name: true, description: true } }),
    loadDelegationPolicy(db, environmentId),
    db.tool.findMany({ where: { server: { environmentId }, approvedHash: { not: null } }, select: { name: true, approvedHash: true, server: { select: { name: true } } } }),
  ]);
  // The approved definition's hash travels with each tool, so a gateway in
  // front of a server it did not write can refuse a tool whose live definition
  // no longer matches (a rug pull) without asking Warden per call. Tools with
  // no approved hash (typed in by hand) carry none, and hash as before.
  const approvedHashes = new Map(hashes.map((tool) => [`${tool.server.name}/${tool.name}`, tool.approvedHash!]));
  const tools = policy.tools
    .filter((tool) => tool.enabled && tool.approved)
    .map((tool) => {
      const approvedHash = approvedHashes.get(`${tool.server}/${tool.name}`);
      return approvedHash ? { ...tool, approvedHash } : tool;
    });
  const published = new Set(tools.map((tool) => `${tool.server}/${tool.name}`));
  return {
    environment: policy.environment,
    servers: servers.map((server) => ({
      name: server.name,
      resource: server.resourceUri,
      // "" rather than null: SDKs of config schema v1 require a string here.
      authorizationServer: server.authorizationServer ?? "",
      scopesSupported: [...server.scopesSupported].sort(),
    })),
    scopes,
    policy: {
      ...policy,
      version: null,
      tools,
      grants: policy.grants.filter((grant) => published.has(`${grant.server}/${grant.tool}`)),
      clients: policy.clients.filter((client) => client.status === "APPROVED"),
      ...(delegation ? { delegation } : {}),
    },
  };
}

export type SectionDiff = { added: string[]; removed: string[]; changed: string[] };
export type ConfigDiff = Record<"servers" | "scopes" | "tools" | "roles" | "grants" | "clients" | "downstreamApis" | "delegations", SectionDiff>;

/** What changes from one config to another, by named item in each section. */
export function diffConfigs(before: PublishedConfig | null, after: PublishedConfig): ConfigDiff {
  const keyed = (config: PublishedConfig | null) => ({
    servers: new Map((config?.servers ?? []).map((item) => [item.name, item])),
    scopes: new Map((config?.scopes ?? []).map((item) => [item.name, item])),
    tools: new Map((config?.policy.tools ?? []).map((item) => [`${item.server}/${item.name}`, item])),
    roles: new Map((config?.policy.roles ?? []).map((item) => [item.name, item])),
    grants: new Map((config?.policy.grants ?? []).map((item) => [`${item.role} → ${item.server}/${item.tool}`, item])),
    clients: new Map((config?.policy.clients ?? []).map((item) => [item.clientId, item])),
    downstreamApis: new Map((config?.policy.delegation?.downstreamApis ?? []).map((item) => [item.name, item])),
    delegations: new Map((config?.policy.delegation?.delegations ?? []).map((item) => [`${item.server} → ${item.api}`, item])),
  });
  const a = keyed(before);
  const b = keyed(after);
  const section = <T>(left: Map<string, T>, right: Map<string, T>): SectionDiff => ({
    added: [...right.keys()].filter((key) => !left.has(key)).sort(),
    removed: [...left.keys()].filter((key) => !right.has(key)).sort(),
    changed: [...right.keys()].filter((key) => left.has(key) && canonicalJson(left.get(key)) !== canonicalJson(right.get(key))).sort(),
  });
  return {
    servers: section(a.servers, b.servers),
    scopes: section(a.scopes, b.scopes),
    tools: section(a.tools, b.tools),
    roles: section(a.roles, b.roles),
    grants: section(a.grants, b.grants),
    clients: section(a.clients, b.clients),
    downstreamApis: section(a.downstreamApis, b.downstreamApis),
    delegations: section(a.delegations, b.delegations),
  };
}

export function isEmptyDiff(diff: ConfigDiff): boolean {
  return Object.values(diff).every((section) => !section.added.length && !section.removed.length && !section.changed.length);
}
