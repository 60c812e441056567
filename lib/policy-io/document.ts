import "server-only";
import { z } from "zod";
import { stringify as stringifyYaml } from "yaml";
import type { Db, Tx } from "@/lib/db/client";
import { NotFoundError } from "@/lib/errors";
import { PreRegisteredClientIdSchema, PreRegisteredDetailsSchema, ScopeListSchema } from "@/lib/clients/schemas";
import { CLIENT_STATUSES } from "@/lib/clients/status";
import { ClaimNameSchema, ClaimValueSchema, RoleNameSchema } from "@/lib/roles/roles";
import { ScopeNameSchema } from "@/lib/scopes/scopes";
import { IssuerUrlSchema, JwksUriSchema, ResourceUriSchema, ScopesSupportedSchema } from "@/lib/servers/servers";
import { checkInputSchema } from "@/lib/tools/input-schema";
import { RISK_TIERS, ToolAnnotationsSchema, ToolNameSchema, annotationsOf } from "@/lib/tools/schemas";
import { DownstreamApiFileSchema, downstreamApisOf, refineDownstreamApis } from "@/lib/delegation/policy-file";

/** The format marker; a future incompatible format gets a new one so old files are refused, not misread. */
export const POLICY_FORMAT = "policy/v1";
export const POLICY_SERIALIZATIONS = ["json", "yaml"] as const;
export type PolicySerialization = (typeof POLICY_SERIALIZATIONS)[number];

// The same field rules as the admin UI's forms, so a file can never hold what
// a form would refuse. Absent optional text and null mean the same thing.
const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `Keep it under ${max} characters.`)
    .nullish()
    .transform((value) => value || null);

const ScopeEntrySchema = z.strictObject({
  name: ScopeNameSchema,
  description: text(500),
});

// The same checks as the tool editor's; their own line numbers would count
// lines of a re-serialized schema, so the problem is reported at the
// document's inputSchema line instead.
const DocumentInputSchemaSchema = z
  .record(z.string(), z.unknown(), "The input schema must be a JSON Schema object.")
  .transform((value, ctx) => {
    const check = checkInputSchema(JSON.stringify(value));
    if (check.ok) return check.schema;
    for (const problem of check.problems) ctx.addIssue({ code: "custom", message: problem.message });
    return z.NEVER;
  });

const ToolEntrySchema = z.strictObject({
  name: ToolNameSchema,
  title: text(200),
  description: text(10_000),
  inputSchema: DocumentInputSchemaSchema.default({ type: "object" }),
  annotations: ToolAnnotationsSchema,
  riskTier: z.enum(RISK_TIERS, `Choose a risk tier: ${RISK_TIERS.join(", ")}.`),
  enabled: z.boolean().default(true),
  requiresApproval: z.boolean().default(false),
});

const ServerEntrySchema = z.strictObject({
  name: z.string().trim().min(1, "Enter a name.").max(100, "Keep the name under 100 characters."),
  description: text(2000),
  resource: ResourceUriSchema,
  authorizationServer: IssuerUrlSchema.nullish().transform((value) => value ?? null),
  jwksUri: JwksUriSchema.nullish().transform((value) => value ?? null),
  scopesSupported: ScopesSupportedSchema.default([]),
  tools: z.array(ToolEntrySchema).max(2000, "List at most 2000 tools per server.").default([]),
});

const GrantEntrySchema = z.strictObject({
  server: z.string().trim().min(1, "Name the server of the granted tool."),
  tool: z.string().trim().min(1, "Name the granted tool."),
  requiredScopes: z
    .array(z.string().trim().min(1).max(128))
    .max(50, "A grant can require at most 50 scopes.")
    .default([])
    // Order kept (duplicates dropped) so a problem's index still names the line the admin wrote.
    .transform((scopes) => [...new Set(scopes)]),
});

const RoleEntrySchema = z.strictObject({
  name: RoleNameSchema,
  description: text(500),
  claimName: ClaimNameSchema.default("roles"),
  claimValue: ClaimValueSchema,
  grants: z.array(GrantEntrySchema).default([]),
});

/**
 * A pre-registered client as an admin described and reviewed it. CIMD
 * clients are never in a file: their metadata is what the publisher serves,
 * fetched and checked by Warden, not data a file could vouch for. The logo
 * stays with the environment it was uploaded to.
 */
const ClientEntrySchema = z.strictObject({
  clientId: PreRegisteredClientIdSchema,
  ...PreRegisteredDetailsSchema.shape,
  status: z.enum(CLIENT_STATUSES, `Choose a status: ${CLIENT_STATUSES.join(", ")}.`),
  reviewNote: text(2000),
  scopeCeiling: ScopeListSchema.transform((scopes) => [...new Set(scopes)].sort()),
  restrictTools: z.boolean().default(false),
  allowedTools: z
    .array(z.string().trim().min(1).max(300))
    .max(1_000)
    .default([])
    .transform((tools) => [...new Set(tools)].sort()),
});

/**
 * A whole environment's policy. The file is the complete truth for the kinds
 * it holds: importing it makes the environment match it exactly.
 */
export const PolicyDocumentSchema = z
  .strictObject({
    warden: z.literal(POLICY_FORMAT, `This is not a Warden policy file: "warden" must be "${POLICY_FORMAT}".`),
    environment: z.string().trim().min(1).max(64),
    scopes: z.array(ScopeEntrySchema).default([]),
    servers: z.array(ServerEntrySchema).default([]),
    roles: z.array(RoleEntrySchema).default([]),
    // Added after the first files were written: a file without it leaves the clients alone.
    clients: z.array(ClientEntrySchema).optional(),
    // Token exchange: downstream APIs with their delegations. A file without it leaves them alone.
    downstreamApis: z.array(DownstreamApiFileSchema).optional(),
  })
  .superRefine((doc, ctx) => {
    const duplicate = (names: string[], path: (index: number) => (string | number)[], what: string) => {
      const seen = new Set<string>();
      names.forEach((name, index) => {
        if (seen.has(name)) ctx.addIssue({ code: "custom", path: path(index), message: `The ${what} "${name}" appears twice.` });
        seen.add(name);
      });
    };
    duplicate(doc.scopes.map((scope) => scope.name), (i) => ["scopes", i, "name"], "scope");
    duplicate(doc.servers.map((server) => server.name), (i) => ["servers", i, "name"], "server");
    duplicate(doc.servers.map((server) => server.resource), (i) => ["servers", i, "resource"], "resource");
    doc.servers.forEach((server, s) =>
      duplicate(server.tools.map((tool) => tool.name), (i) => ["servers", s, "tools", i, "name"], `tool on server "${server.name}"`),
    );
    duplicate(doc.roles.map((role) => role.name), (i) => ["roles", i, "name"], "role");
    duplicate((doc.clients ?? []).map((client) => client.clientId), (i) => ["clients", i, "clientId"], "client");

    const scopes = new Set(doc.scopes.map((scope) => scope.name));
    const tools = new Map(doc.servers.map((server) => [server.name, new Set(server.tools.map((tool) => tool.name))]));
    doc.roles.forEach((role, r) => {
      const granted = new Set<string>();
      role.grants.forEach((grant, g) => {
        const path = ["roles", r, "grants", g];
        const serverTools = tools.get(grant.server);
        if (!serverTools) ctx.addIssue({ code: "custom", path: [...path, "server"], message: `No server named "${grant.server}" in this file.` });
        else if (!serverTools.has(grant.tool))
          ctx.addIssue({ code: "custom", path: [...path, "tool"], message: `The server "${grant.server}" has no tool named "${grant.tool}" in this file.` });
        const key = `${grant.server}\u0000${grant.tool}`;
        if (granted.has(key)) ctx.addIssue({ code: "custom", path, message: `The role "${role.name}" is granted "${grant.server}/${grant.tool}" twice.` });
        granted.add(key);
        grant.requiredScopes.forEach((scope, index) => {
          if (!scopes.has(scope)) ctx.addIssue({ code: "custom", path: [...path, "requiredScopes", index], message: `The scope "${scope}" is not listed under "scopes".` });
        });
      });
    });
    refineDownstreamApis(doc, ctx);
  });

export type PolicyDocument = z.output<typeof PolicyDocumentSchema>;

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The environment's policy as a document, in a stable order so two exports of the same state are byte-identical. */
export async function exportPolicy(db: Db, environmentId: string): Promise<PolicyDocument> {
  return (await db.$transaction((tx) => readPolicyState(tx, environmentId))).doc;
}

/** Row ids behind a policy document's names, for writing a plan back. */
export type PolicyIds = {
  scopes: Map<string, string>;
  servers: Map<string, string>;
  /** By `${server}\u0000${tool}`. */
  tools: Map<string, string>;
  roles: Map<string, string>;
  /** By `${role}\u0000${server}\u0000${tool}`. */
  grants: Map<string, string>;
  /** Pre-registered clients, by clientId. */
  clients: Map<string, string>;
  /** Downstream APIs by name; delegations by `${api}\u0000${server}`. */
  downstreamApis?: Map<string, string>;
  delegations?: Map<string, string>;
};

export const toolKey = (server: string, tool: string) => `${server}\u0000${tool}`;
export const grantKey = (role: string, server: string, tool: string) => `${role}\u0000${server}\u0000${tool}`;

/** Reads one environment's policy consistently: call inside a transaction. */
export async function readPolicyState(tx: Tx, environmentId: string): Promise<{ doc: PolicyDocument; ids: PolicyIds }> {
  const environment = await tx.environment.findUnique({ where: { id: environmentId }, select: { key: true } });
  if (!environment) throw new NotFoundError("This environment");
  const scopes = await tx.scope.findMany({ where: { environmentId }, select: { id: true, name: true, description: true } });
  const servers = await tx.mcpServer.findMany({ where: { environmentId }, include: { tools: true } });
  const roles = await tx.role.findMany({
    where: { environmentId },
    include: { grants: { include: { tool: { select: { name: true, server: { select: { name: true } } } } } } },
  });
  const clients = await tx.client.findMany({ where: { environmentId, kind: "PRE_REGISTERED" } });
  const downstream = await downstreamApisOf(tx, environmentId);
  const ids: PolicyIds = { scopes: new Map(), servers: new Map(), tools: new Map(), roles: new Map(), grants: new Map(), clients: new Map(), ...downstream.ids };
  for (const client of clients) ids.clients.set(client.clientId, client.id);
  for (const scope of scopes) ids.scopes.set(scope.name, scope.id);
  for (const server of servers) {
    ids.servers.set(server.name, server.id);
    for (const tool of server.tools) ids.tools.set(toolKey(server.name, tool.name), tool.id);
  }
  for (const role of roles) {
    ids.roles.set(role.name, role.id);
    for (const grant of role.grants) ids.grants.set(grantKey(role.name, grant.tool.server.name, grant.tool.name), grant.id);
  }
  const doc: PolicyDocument = {
    warden: POLICY_FORMAT,
    environment: environment.key,
    scopes: scopes.map((scope) => ({ name: scope.name, description: scope.description })).sort(byName),
    servers: servers
      .map((server) => ({
        name: server.name,
        description: server.description,
        resource: server.resourceUri,
        authorizationServer: server.authorizationServer,
        jwksUri: server.jwksUri,
        scopesSupported: [...server.scopesSupported],
        tools: server.tools
          .map((tool) => ({
            name: tool.name,
            title: tool.title,
            description: tool.description,
            inputSchema: tool.inputSchema as Record<string, unknown>,
            annotations: annotationsOf(tool.annotations),
            riskTier: tool.riskTier,
            enabled: tool.enabled,
            requiresApproval: tool.requiresApproval,
          }))
          .sort(byName),
      }))
      .sort(byName),
    roles: roles
      .map((role) => ({
        name: role.name,
        description: role.description,
        claimName: role.claimName,
        claimValue: role.claimValue,
        grants: role.grants
          .map((grant) => ({ server: grant.tool.server.name, tool: grant.tool.name, requiredScopes: [...grant.requiredScopes].sort() }))
          .sort((a, b) => (toolKey(a.server, a.tool) < toolKey(b.server, b.tool) ? -1 : 1)),
      }))
      .sort(byName),
    clients: clients
      .map((client) => ({
        clientId: client.clientId,
        displayName: client.displayName ?? client.clientId,
        owner: client.owner ?? "",
        description: client.description,
        redirectUris: [...client.redirectUris],
        status: client.status,
        reviewNote: client.reviewNote,
        scopeCeiling: [...client.scopeCeiling].sort(),
        restrictTools: client.restrictTools,
        allowedTools: [...client.allowedTools].sort(),
      }))
      .sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0)),
    // Only when there are some: files of environments without token exchange stay as they were.
    ...(downstream.entries.length > 0 ? { downstreamApis: downstream.entries } : {}),
  };
  return { doc, ids };
}

export function serializePolicy(doc: PolicyDocument, format: PolicySerialization): string {
  if (format === "yaml") return stringifyYaml(doc, { lineWidth: 0 });
  return `${JSON.stringify(doc, null, 2)}\n`;
}
