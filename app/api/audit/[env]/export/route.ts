import { headers } from "next/headers";
import { z } from "zod";
import { authenticateRoute, methodNotAllowed } from "@/lib/http/route-auth";
import { clientIpFrom } from "@/lib/auth/request-context";
import { EXPORT_FORMATS, exportAuditEvents, recordAuditExport } from "@/lib/audit/export";
import { AuditFilterSchema } from "@/lib/audit/query";
import { getDb } from "@/lib/db/client";
import { findEnvironment } from "@/lib/environments/environments";
import { isEnvironmentKey } from "@/lib/environments/key";

// Streams every event matching the Audit page's filters; AUDITOR and above.

const json = (status: number, body: unknown) => Response.json(body, { status, headers: { "Cache-Control": "no-store" } });
const FormatSchema = z.enum(EXPORT_FORMATS, 'Choose format "csv" or "jsonl".');
const CONTENT_TYPES = { csv: "text/csv; charset=utf-8", jsonl: "application/x-ndjson; charset=utf-8" } as const;

export async function GET(request: Request, { params }: { params: Promise<{ env: string }> }): Promise<Response> {
  const auth = await authenticateRoute("AUDITOR");
  if (!auth.ok) return auth.response;
  const { admin } = auth;
  const search = new URL(request.url).searchParams;
  const format = FormatSchema.safeParse(search.get("format") ?? "csv");
  if (!format.success) return json(400, { error: format.error.issues[0]!.message });
  const { env } = await params;
  const db = getDb();
  const environment = isEnvironmentKey(env) ? await findEnvironment(db, env) : null;
  if (!environment) return json(404, { error: `There is no environment "${env}".` });

  const filters = AuditFilterSchema.parse(Object.fromEntries(search));
  const actor = { id: admin.id, email: admin.email, ip: clientIpFrom(await headers()) };
  const now = new Date();
  const encoder = new TextEncoder();
  let rows = 0;
  let recorded = false;
  const record = (completed: boolean) => {
    if (recorded) return;
    recorded = true;
    void recordAuditExport(db, actor, environment.id, { format: format.data, filters, rows, completed }).catch((error: unknown) =>
      console.error("[warden] could not record an audit export", error),
    );
  };
  const chunks = exportAuditEvents(db, environment.id, filters, format.data, now, (count) => (rows = count));
  // Pull-based: the next batch is read only when the client has taken the last one.
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (next.done) {
          record(true);
          controller.close();
        } else controller.enqueue(encoder.encode(next.value));
      } catch (error) {
        record(false);
        controller.error(error);
      }
    },
    async cancel() {
      record(false);
      await chunks.return(undefined);
    },
  });
  const stamp = now.toISOString().slice(0, 19).replace(/[:T]/g, "-");
  return new Response(body, {
    status: 200,
    headers: {
      "Content-Type": CONTENT_TYPES[format.data],
      "Content-Disposition": `attachment; filename="warden-audit-${environment.key}-${stamp}.${format.data}"`,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}

// A method the route does not offer; the session is still checked first.
export const POST = methodNotAllowed("AUDITOR", "GET", "Use GET.");
