import "server-only";
import type { Db } from "@/lib/db/client";

export type AuditEventLinks = { client?: string; tool?: string; server?: string; configVersion?: string; admin?: string };

/**
 * Where the dashboard shows what an event refers to: its client, tool and
 * server, the config version that decided it, the admin who acted. Only what
 * still exists gets a link.
 */
export async function auditEventLinks(
  db: Db,
  environment: { id: string; key: string },
  event: { source: string; actor: string; clientId: string | null; server: string | null; tool: string | null; configVersion: number | null },
): Promise<AuditEventLinks> {
  const [client, server, version, admin] = await Promise.all([
    event.clientId ? db.client.findFirst({ where: { environmentId: environment.id, clientId: event.clientId }, select: { id: true } }) : null,
    event.server ? db.mcpServer.findFirst({ where: { environmentId: environment.id, name: event.server }, select: { id: true } }) : null,
    event.configVersion ? db.configVersion.findFirst({ where: { environmentId: environment.id, version: event.configVersion }, select: { version: true } }) : null,
    event.source === "admin" && /^[0-9a-f-]{36}$/i.test(event.actor) ? db.admin.findUnique({ where: { id: event.actor }, select: { email: true } }) : null,
  ]);
  const tool = server && event.tool ? await db.tool.findFirst({ where: { serverId: server.id, name: event.tool }, select: { id: true } }) : null;
  const base = `/${environment.key}`;
  return {
    ...(client ? { client: `${base}/clients/${client.id}` } : {}),
    ...(server ? { server: `${base}/servers/${server.id}` } : {}),
    ...(server && tool ? { tool: `${base}/servers/${server.id}/tools/${tool.id}` } : {}),
    ...(version ? { configVersion: `${base}/config/${version.version}` } : {}),
    ...(admin ? { admin: `/settings/admins?q=${encodeURIComponent(admin.email)}` } : {}),
  };
}
