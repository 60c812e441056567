import "server-only";
import { expireDueApprovals } from "@/lib/approvals/approval-requests";
import { startAuditStreamWorker } from "@/lib/audit-stream/worker";
import type { Db } from "@/lib/db/client";
import { destinationPolicyFromEnv } from "./destination";
import { pruneDeliveryLog } from "./webhooks";
import { DEFAULT_BACKOFF_BASE_MS, startWebhookWorker } from "./worker";

/**
 * The background senders a Warden process runs. Settings:
 * - WARDEN_NOTIFICATIONS=off: this instance sends nothing (another one does);
 * - WARDEN_DESTINATIONS_ALLOW_PRIVATE=true: destinations may be on private networks;
 * - WARDEN_WEBHOOK_RETRY_BASE_MS: the first retry delay (default 5 s), doubling per attempt;
 * - WARDEN_AUDIT_STREAM_RETRY_BASE_MS: the same for audit streaming (default 1 s, at most a minute).
 */
export function startNotificationWorkers(options: { db: () => Db; encryptionKey: () => Buffer; publicUrl: string; log: (message: string) => void; env?: NodeJS.ProcessEnv }) {
  const env = options.env ?? process.env;
  if (env.WARDEN_NOTIFICATIONS === "off") return { stop: async () => undefined };
  const base = Number(env.WARDEN_WEBHOOK_RETRY_BASE_MS);
  const webhooks = startWebhookWorker({
    db: options.db,
    encryptionKey: options.encryptionKey,
    policy: destinationPolicyFromEnv(env),
    publicUrl: options.publicUrl,
    backoffBaseMs: Number.isFinite(base) && base > 0 ? base : DEFAULT_BACKOFF_BASE_MS,
    log: options.log,
  });
  const streamBase = Number(env.WARDEN_AUDIT_STREAM_RETRY_BASE_MS);
  const auditStream = startAuditStreamWorker({
    db: options.db,
    encryptionKey: options.encryptionKey,
    policy: { ...destinationPolicyFromEnv(env), timeoutMs: 30_000 },
    backoffBaseMs: Number.isFinite(streamBase) && streamBase > 0 ? streamBase : 1_000,
    log: options.log,
  });
  // Requests nobody looks at still expire (and notify) on time; concurrent sweeps on several instances expire each once.
  const sweep = setInterval(() => {
    expireDueApprovals(options.db()).catch((error: unknown) => options.log(`approval expiry sweep failed: ${error instanceof Error ? error.message : String(error)}`));
  }, 15_000);
  sweep.unref();
  const prune = setInterval(() => {
    pruneDeliveryLog(options.db()).catch((error: unknown) => options.log(`webhook log pruning failed: ${error instanceof Error ? error.message : String(error)}`));
  }, 60 * 60_000);
  prune.unref();
  return {
    async stop() {
      clearInterval(sweep);
      clearInterval(prune);
      await Promise.all([webhooks.stop(), auditStream.stop()]);
    },
  };
}
