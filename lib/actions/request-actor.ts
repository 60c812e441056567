import "server-only";
import { headers } from "next/headers";
import type { AuditActor } from "@/lib/audit/record";
import { clientIpFrom } from "@/lib/auth/request-context";

/** Who the audit trail names for an admin's action: the admin, from the address server.ts recorded for this request. */
export async function requestActor(admin: { id: string; email: string }): Promise<AuditActor> {
  return { id: admin.id, email: admin.email, ip: clientIpFrom(await headers()) };
}
