import "server-only";
import type { Db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client.ts";
import type { ApiKeyIdentity } from "@/lib/api-keys/api-keys";
import { recordAuditEvents } from "@/lib/audit/record";
import { isUniqueViolationOn } from "@/lib/db/prisma-errors";
import { attachLogo, logoColumns } from "./logo";
import { previewClient, type FetchSettings } from "./preview";
import { parseFetchableUrl } from "./safe-fetch";
import type { ClientStatus } from "./status";
import { evaluateTrustPolicy, findDomainRule, getTrustPolicy } from "./trust-policy";
import { enqueueNotification } from "@/lib/notifications/outbox";

export type IntakeOutcome = { status: ClientStatus; created: boolean };

/**
 * An MCP server met a client_id it does not know and reports it. Idempotent:
 * a known client is left exactly as it is. A new one waits as PENDING for a
 * person, unless the environment's trust policy settles it: a denied domain
 * is rejected without fetching anything, and a valid document from an
 * explicitly allowed domain is approved. Nothing else is ever auto-approved.
 */
export async function intakeClient(db: Db, key: ApiKeyIdentity, clientId: string, settings: FetchSettings): Promise<IntakeOutcome> {
  // The preview's URL rules, the special-use IP literal rule among them, with
  // its message: a client the preview could never fetch is not stored at all.
  parseFetchableUrl(clientId, Boolean(settings.testing?.allowLoopback));
  const existing = await db.client.findUnique({ where: { environmentId_clientId: { environmentId: key.environmentId, clientId } }, select: { status: true } });
  if (existing) return { status: existing.status, created: false };

  const policy = await getTrustPolicy(db, key.environmentId);
  const hostname = new URL(clientId).hostname;
  const denied = findDomainRule(hostname, policy.deniedDomains) !== null;
  const allowed = findDomainRule(hostname, policy.allowedDomains) !== null;
  const preview = !denied && allowed ? await attachLogo(db, await previewClient(clientId, settings), settings) : null;
  const verdict = preview ? evaluateTrustPolicy(policy, preview) : null;
  const status: ClientStatus = denied ? "REJECTED" : verdict?.verdict === "allow" ? "APPROVED" : "PENDING";
  const reporter = `api-key:${key.label}`;

  try {
    await db.$transaction(async (tx) => {
      await tx.client.create({
        data: {
          environmentId: key.environmentId,
          clientId,
          status,
          reportedBy: reporter,
          reviewedAt: status === "PENDING" ? null : new Date(),
          reviewNote: denied ? "Rejected by the trust policy (denied domain)" : status === "APPROVED" ? "Approved by the trust policy (allowed domain)" : null,
          ...(preview?.fetched
            ? {
                metadata: preview.metadata as Prisma.InputJsonValue,
                metadataHash: preview.metadataHash,
                warnings: [...preview.warnings, ...preview.errors] as unknown as Prisma.InputJsonValue,
                fetchedAt: new Date(preview.fetchedAt),
                cacheExpiresAt: preview.cacheExpiresAt ? new Date(preview.cacheExpiresAt) : null,
                ...logoColumns(preview),
              }
            : {}),
        },
      });
      await recordAuditEvents(tx, [
        {
          source: "mcp",
          actor: reporter,
          actorLabel: key.serverName ?? key.label,
          environmentId: key.environmentId,
          clientId,
          server: key.serverName,
          action: status === "PENDING" ? "client.reported" : status === "APPROVED" ? "client.auto_approved" : "client.auto_rejected",
          reason: status === "PENDING" ? "unknown client reported by an MCP server" : `trust policy: ${denied ? "denied" : "allowed"} domain`,
        },
      ]);
      if (status === "PENDING") await enqueueNotification(tx, key.environmentId, "client.pending", { clientId, clientName: null, kind: "CIMD", reportedBy: key.serverName ?? key.label });
    });
    return { status, created: true };
  } catch (error) {
    // Two instances reported the same client at once: the other one won.
    if (!isUniqueViolationOn(error, "Client")) throw error;
    const winner = await db.client.findUniqueOrThrow({ where: { environmentId_clientId: { environmentId: key.environmentId, clientId } }, select: { status: true } });
    return { status: winner.status, created: false };
  }
}

