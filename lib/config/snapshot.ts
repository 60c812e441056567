import type { Db } from "@/lib/db/client";
import { canonicalJson, sha256Hex } from "@/lib/crypto/canonical-json";
import { loadPolicySnapshot } from "@/lib/policy/load";
import type { PolicySnapshot } from "@/lib/policy/types";

/** What a ConfigVersion holds and MCP servers receive: the policy plus what it refers to. */
export type PublishedConfig = {
  environment: string;
  servers: { name: string; resource: string; authorizationServer: string; scopesSupported: string[] }[];
  scopes: { name: string; description: string | null }[];
  policy: PolicySnapshot;
};

/**
 * The environment's draft as it would be published. Only approved clients,
 * enabled tools whose live definition is the approved one, and the grants on
 * those tools go out: what is held back is denied at the MCP server as
 * unknown, whatever the draft says about it.
 */
export async function buildPublishedConfig(db: Db, environmentId: string): Promise<PublishedConfig> {
  const [policy, servers, scopes, hashes] = await Promise.all([
    loadPolicySnapshot(db, environmentId),
    db.mcpServer.findMany({ where: { environmentId }, orderBy: { name: "asc" }, select: { name: true, resourceUri: true, authorizationServer: true, scopesSupported: true } }),
    db.scope.findMany({ where: { environmentId }, orderBy: { name: "asc" }, select: { name: true, description: true } }),
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
    },
  };
}

export function configContentHash(config: PublishedConfig): string {
  return `sha256:${sha256Hex(canonicalJson(config))}`;
}

export type SectionDiff = { added: string[]; removed: string[]; changed: string[] };
export type ConfigDiff = Record<"servers" | "scopes" | "tools" | "roles" | "grants" | "clients", SectionDiff>;

/** What changes from one config to another, by named item in each section. */
export function diffConfigs(before: PublishedConfig | null, after: PublishedConfig): ConfigDiff {
  const keyed = (config: PublishedConfig | null) => ({
    servers: new Map((config?.servers ?? []).map((item) => [item.name, item])),
    scopes: new Map((config?.scopes ?? []).map((item) => [item.name, item])),
    tools: new Map((config?.policy.tools ?? []).map((item) => [`${item.server}/${item.name}`, item])),
    roles: new Map((config?.policy.roles ?? []).map((item) => [item.name, item])),
    grants: new Map((config?.policy.grants ?? []).map((item) => [`${item.role} → ${item.server}/${item.tool}`, item])),
    clients: new Map((config?.policy.clients ?? []).map((item) => [item.clientId, item])),
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
  };
}

export function isEmptyDiff(diff: ConfigDiff): boolean {
  return Object.values(diff).every((section) => !section.added.length && !section.removed.length && !section.changed.length);
}
