import "server-only";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { Prisma } from "@/lib/db/generated/client.ts";
import type { ApiKeyIdentity } from "@/lib/api-keys/api-keys";
import type { Db, Tx } from "@/lib/db/client";
import { safeString } from "@/lib/input/rules";
import { toolDefinitionHash } from "@/lib/tools/definition-hash";
import { annotationsOf } from "@/lib/tools/schemas";
import { readNodeJsonBody } from "./read-body";

type Authenticate = (req: IncomingMessage, res: ServerResponse, method?: "GET" | "POST") => Promise<ApiKeyIdentity | null>;
type Send = (res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>) => void;

export const MAX_DRIFT_TOOLS = 1_000;
const MAX_DRIFT_BYTES = 1024 * 1024;
// Up to MAX_DRIFT_TOOLS updates in one transaction: more time than Prisma's 5 s default on a loaded machine.
const DRIFT_TRANSACTION = { timeout: 60_000, maxWait: 10_000 };

const JsonObject = z.record(z.string(), z.unknown());

/** A tool as its server now lists it, as the gateway saw it in tools/list. */
export const DriftedToolSchema = z
  .object({
    name: safeString().min(1).max(200),
    title: safeString().max(500).nullable().default(null),
    description: safeString().max(20_000).nullable().default(null),
    inputSchema: JsonObject,
    annotations: JsonObject.default({}),
    outputSchema: JsonObject.nullable().default(null),
    execution: JsonObject.nullable().default(null),
    icons: z.array(z.unknown()).nullable().default(null),
    meta: JsonObject.nullable().default(null),
  })
  .strict();

export const ToolDriftBodySchema = z.object({ tools: z.array(DriftedToolSchema).min(1).max(MAX_DRIFT_TOOLS) }).strict();

/**
 * POST /api/v1/tool-drift: a gateway (or any SDK user) reports tools whose
 * live definition differs from the approved one. Each known tool of the key's
 * server gets the live definition recorded, as a tool import would: its hash
 * no longer matches the approved hash, so the server's page shows it as
 * "changed since approval" and it stays out of published config until an
 * admin approves it again. Warden hashes what it is sent rather than trusting
 * a reported hash, and a report can only ever hold a tool back, never approve
 * one. Tools Warden does not know are ignored (they were never approved).
 */
export function createToolDriftRoute(db: Db, authenticate: Authenticate, send: Send) {
  return async function toolDrift(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const key = await authenticate(req, res, "POST");
    if (!key) return;
    if (!key.serverId) return send(res, 400, { error: "Report drift with an API key of one server: an environment-wide key does not say which server listed these tools." });
    const body = await readNodeJsonBody(req, MAX_DRIFT_BYTES);
    if (!body.ok) return send(res, body.status, { error: body.error }, body.headers);
    const parsed = ToolDriftBodySchema.safeParse(body.value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return send(res, 400, { error: issue ? `${issue.path.join(".") || "body"}: ${issue.message}` : 'Send {"tools": [...]}.' });
    }
    const reported = parsed.data.tools;
    // A listing names each tool once; two definitions of one name leave no way to tell which is live.
    const seen = new Set<string>();
    const twice = reported.find((tool) => seen.size === seen.add(tool.name).size);
    if (twice) return send(res, 400, { error: `tools: ${twice.name} is listed more than once; report each tool once, as the server lists it.` });
    const serverId = key.serverId;
    // All or nothing: a report cut short (the database going away) never leaves some tools recorded and others not.
    const { recorded, known } = await db.$transaction(async (tx) => {
      const known = await tx.tool.findMany({ where: { serverId, name: { in: reported.map((tool) => tool.name) } }, select: { id: true, name: true, definitionHash: true } });
      const recorded = await recordDrift(tx, known, reported);
      return { recorded, known };
    }, DRIFT_TRANSACTION);
    const byName = new Set(known.map((tool) => tool.name));
    send(res, 200, { recorded, ignored: reported.filter((tool) => !byName.has(tool.name)).map((tool) => tool.name) });
  };
}

async function recordDrift(tx: Tx, known: { id: string; name: string; definitionHash: string | null }[], reported: z.infer<typeof DriftedToolSchema>[]): Promise<string[]> {
  const byName = new Map(known.map((tool) => [tool.name, tool]));
  const recorded: string[] = [];
  for (const tool of reported) {
    const current = byName.get(tool.name);
    if (!current) continue;
    const hash = toolDefinitionHash(tool);
    if (hash === current.definitionHash) continue;
    const json = (value: unknown) => (value === null ? Prisma.DbNull : (value as Prisma.InputJsonValue));
    await tx.tool.update({
      where: { id: current.id },
      data: {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.inputSchema as Prisma.InputJsonValue,
        annotations: annotationsOf(tool.annotations),
        outputSchema: json(tool.outputSchema),
        execution: json(tool.execution),
        icons: json(tool.icons),
        meta: json(tool.meta),
        definitionHash: hash,
        version: { increment: 1 },
      },
    });
    recorded.push(tool.name);
  }
  return recorded;
}
