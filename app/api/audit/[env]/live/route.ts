import { z } from "zod";
import { AccessError, requireAdmin } from "@/lib/auth/session";
import { AuditFilterSchema, auditEventsStoredAfter } from "@/lib/audit/query";
import { getDb } from "@/lib/db/client";
import { findEnvironment } from "@/lib/environments/environments";

// The Audit page's live mode polls this for events stored since it last looked.

const json = (status: number, body: unknown) => Response.json(body, { status, headers: { "Cache-Control": "no-store" } });
const AfterSchema = z.string().regex(/^\d{1,19}$/, "Send afterSeq, the position the page last saw.");

export async function GET(request: Request, { params }: { params: Promise<{ env: string }> }): Promise<Response> {
  try {
    await requireAdmin("AUDITOR", { onFail: "throw" });
  } catch (error) {
    if (error instanceof AccessError) return json(error.status, { error: error.message });
    throw error;
  }
  const search = new URL(request.url).searchParams;
  const after = AfterSchema.safeParse(search.get("afterSeq"));
  if (!after.success) return json(400, { error: after.error.issues[0]!.message });
  const { env } = await params;
  const db = getDb();
  const environment = /^[a-z0-9-]{1,32}$/.test(env) ? await findEnvironment(db, env) : null;
  if (!environment) return json(404, { error: `There is no environment "${env}".` });
  return json(200, await auditEventsStoredAfter(db, environment.id, AuditFilterSchema.parse(Object.fromEntries(search)), after.data));
}

// Still checks the session first, so that probing it tells a stranger nothing.
export async function POST(): Promise<Response> {
  try {
    await requireAdmin("AUDITOR", { onFail: "throw" });
  } catch (error) {
    if (error instanceof AccessError) return json(error.status, { error: error.message });
    throw error;
  }
  return Response.json({ error: "Use GET." }, { status: 405, headers: { Allow: "GET", "Cache-Control": "no-store" } });
}
