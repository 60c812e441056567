import "server-only";
import { z } from "zod";
import type { Db } from "@/lib/db/client";
import { Prisma } from "@/lib/db/generated/client.ts";
import { recordAdminEvent, type AuditActor } from "@/lib/audit/record";
import { DomainError, NotFoundError } from "@/lib/errors";
import { approvedDefinition, toolDefinitionHash } from "@/lib/tools/definition-hash";
import { annotationsOf, RISK_TIERS } from "@/lib/tools/schemas";
import { InputSchemaSchema } from "@/lib/tools/tools";
import { suggestRiskTier, type RiskSuggestion } from "@/lib/tools/risk-suggestion";
import { diffToolDefinitions, type ToolImportChange } from "./diff";
import { IMPORT_CAPABILITY_NAMES, listRemoteTools, RemoteServerSchema, type RemoteTool } from "./list-remote-tools";
import { enqueueNotification } from "@/lib/notifications/outbox";

export const ImportPreviewSchema = RemoteServerSchema.extend({ environmentId: z.uuid(), serverId: z.uuid() });
export const ApplyImportSchema = ImportPreviewSchema.extend({
  names: z.array(z.string().min(1).max(128)).min(1, "Pick at least one tool to import.").max(1_000),
  // The risk tier the admin confirmed for each new tool (the suggestion, or their own choice).
  riskTiers: z.record(z.string().max(128), z.enum(RISK_TIERS)).optional(),
});

export type ImportPreview = {
  server: string;
  /** The client capabilities declared while listing (some servers list tools only to capable clients). */
  capabilities: string[];
  changes: (ToolImportChange & { problem?: string; suggestedRisk?: RiskSuggestion })[];
};

// Remote hints are completed with MCP's defaults, as stored tools are, so an
// import compares like with like and an unchanged tool is not "changed".
function normalise(tool: RemoteTool): RemoteTool {
  return { ...tool, annotations: annotationsOf(tool.annotations) };
}

async function compare(db: Db, input: z.infer<typeof ImportPreviewSchema>) {
  const server = await db.mcpServer.findFirst({ where: { id: input.serverId, environmentId: input.environmentId }, select: { id: true, name: true } });
  if (!server) throw new NotFoundError("This server");
  const remote = (await listRemoteTools(input)).map(normalise);
  const known = await db.tool.findMany({
    where: { serverId: server.id },
    select: { id: true, name: true, title: true, description: true, inputSchema: true, annotations: true, outputSchema: true, execution: true, icons: true, meta: true, version: true },
  });
  const changes: ImportPreview["changes"] = diffToolDefinitions(
    known.map((tool) => ({ ...tool, annotations: annotationsOf(tool.annotations) })),
    remote,
  ).map((change) => {
    if (change.kind !== "new" && change.kind !== "changed") return change;
    const suggested = change.kind === "new" ? { suggestedRisk: suggestRiskTier(annotationsOf(change.remote.annotations)) } : {};
    const schema = InputSchemaSchema.safeParse(change.remote.inputSchema);
    return schema.success ? { ...change, ...suggested } : { ...change, ...suggested, problem: `Its input schema is not valid: ${schema.error.issues[0]?.message ?? "unknown problem"}` };
  });
  return { server, known, changes };
}

/** What importing from a live server would do, field by field; nothing is written. */
export async function previewToolImport(db: Db, input: z.infer<typeof ImportPreviewSchema>): Promise<ImportPreview> {
  const { server, changes } = await compare(db, input);
  return { server: server.name, capabilities: IMPORT_CAPABILITY_NAMES, changes };
}

/**
 * Imports the picked tools, listing the server again rather than trusting a
 * preview the browser holds. A new tool is approved as imported: the admin
 * just reviewed its definition. A changed tool gets its new definition
 * recorded but not approved: it is "changed since approval" and stays out of
 * published config until someone approves it (defence against a server that
 * rewrites a tool's description after it was trusted). Tools the server no
 * longer lists are never deleted by an import.
 */
export async function applyToolImport(db: Db, actor: AuditActor, input: z.infer<typeof ApplyImportSchema>) {
  const { server, known, changes } = await compare(db, input);
  const wanted = new Set(input.names);
  const picked = changes.filter((change) => wanted.has(change.name));
  const unknown = input.names.filter((name) => !picked.some((change) => change.name === name));
  if (unknown.length) throw new DomainError(`The server no longer lists ${unknown.join(", ")}. Preview the import again.`);
  const broken = picked.flatMap((change) => ("problem" in change && change.problem ? [{ name: change.name, problem: change.problem }] : []));
  if (broken.length) throw new DomainError(`${broken.map((change) => change.name).join(", ")} cannot be imported: ${broken[0]!.problem}`);

  return db.$transaction(async (tx) => {
    const summary = { created: [] as string[], changed: [] as string[] };
    for (const change of picked) {
      if (change.kind === "new") {
        const definition = change.remote;
        const hash = toolDefinitionHash(definition);
        const annotations = annotationsOf(definition.annotations);
        // The admin confirmed a tier in the preview; without one, the suggestion from the hints stands.
        const riskTier = input.riskTiers?.[definition.name] ?? suggestRiskTier(annotations).tier;
        const tool = await tx.tool.create({
          data: {
            serverId: server.id,
            name: definition.name,
            title: definition.title,
            description: definition.description,
            inputSchema: definition.inputSchema as Prisma.InputJsonValue,
            annotations,
            ...laterFields(definition),
            riskTier,
            definitionHash: hash,
            approvedHash: hash,
            approvedDefinition: approvedDefinition(definition) as Prisma.InputJsonValue,
          },
        });
        await recordAdminEvent(tx, actor, { action: "tool.imported", target: `tool:${tool.id}`, environmentId: input.environmentId, details: { server: server.name, name: tool.name, riskTier, definitionHash: hash } });
        summary.created.push(tool.name);
      } else if (change.kind === "changed") {
        const current = known.find((tool) => tool.name === change.name)!;
        const hash = toolDefinitionHash(change.remote);
        await tx.tool.update({
          where: { id: current.id },
          data: {
            title: change.remote.title,
            description: change.remote.description,
            inputSchema: change.remote.inputSchema as Prisma.InputJsonValue,
            annotations: annotationsOf(change.remote.annotations),
            ...laterFields(change.remote),
            definitionHash: hash,
            version: { increment: 1 },
          },
        });
        await recordAdminEvent(tx, actor, {
          action: "tool.definition_changed",
          target: `tool:${current.id}`,
          environmentId: input.environmentId,
          details: { server: server.name, name: change.name, fields: change.fields, definitionHash: hash },
        });
        await enqueueNotification(tx, input.environmentId, "tool.definition_changed", { server: server.name, tool: change.name, fields: change.fields, definitionHash: hash, changedBy: actor.email });
        summary.changed.push(change.name);
      }
    }
    return summary;
  });
}

// Stored as listed; a field the server no longer sends is cleared (DbNull), not kept from before.
function laterFields(tool: RemoteTool) {
  const json = (value: unknown) => (value === null ? Prisma.DbNull : (value as Prisma.InputJsonValue));
  return { outputSchema: json(tool.outputSchema), execution: json(tool.execution), icons: json(tool.icons), meta: json(tool.meta) };
}
