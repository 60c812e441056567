import "server-only";
import type { Db } from "@/lib/db/client";

export type EnvironmentOverview = {
  servers: number;
  tools: number;
  roles: number;
  pendingClients: number;
  approvedClients: number;
  liveVersion: number | null;
  recentActivity: { id: string; ts: string; actor: string; action: string; target: string | null }[];
};

/** Real counts only: an environment nobody configured shows zeros and next steps, never sample data. */
export async function getEnvironmentOverview(db: Db, environmentId: string): Promise<EnvironmentOverview> {
  const [servers, tools, roles, pendingClients, approvedClients, live, recent] = await db.$transaction([
    db.mcpServer.count({ where: { environmentId } }),
    db.tool.count({ where: { server: { environmentId } } }),
    db.role.count({ where: { environmentId } }),
    db.client.count({ where: { environmentId, status: "PENDING" } }),
    db.client.count({ where: { environmentId, status: "APPROVED" } }),
    db.configVersion.findFirst({ where: { environmentId }, orderBy: { version: "desc" }, select: { version: true } }),
    db.auditEvent.findMany({
      where: { source: "admin", OR: [{ environmentId }, { environmentId: null }] },
      orderBy: [{ ts: "desc" }, { id: "desc" }],
      take: 8,
      select: { id: true, ts: true, actor: true, actorLabel: true, action: true, target: true },
    }),
  ]);
  return {
    servers,
    tools,
    roles,
    pendingClients,
    approvedClients,
    liveVersion: live?.version ?? null,
    recentActivity: recent.map((event) => ({
      id: event.id,
      ts: event.ts.toISOString(),
      actor: event.actorLabel ?? event.actor,
      action: event.action,
      target: event.target,
    })),
  };
}
