import { z } from "zod";
import { authenticateRoute, methodNotAllowed } from "@/lib/http/route-auth";
import { getDb } from "@/lib/db/client";
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from "@/lib/db/availability";
import { findEnvironment } from "@/lib/environments/environments";
import { readJsonBody } from "@/lib/http/json-body";
import { draftImpact, ImpactCancelled, ImpactWindowSchema, lossSentence, type ImpactProgress, type ImpactReport } from "@/lib/impact/impact";
import { fieldErrorsOf } from "@/lib/policy/request-schema";

// "What would publishing the draft do to the calls of the last N days?" The
// same report the Config page shows, for signed-in admins and for CI
// pipelines that manage policy as code and want to fail a change that would
// lock people out. Reads only.

const ImpactRequestSchema = z.strictObject({
  environment: z.string().trim().regex(/^[a-z0-9-]{1,32}$/, "Name the environment by its key, e.g. prod."),
  days: ImpactWindowSchema,
});

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  Response.json(body, { status, headers: { "Cache-Control": "no-store", ...headers } });

/** The report as the API answers it: the flips, plus a sentence a pipeline can print. */
function answer(report: ImpactReport) {
  return { ...report, summary: lossSentence(report) ?? (report.gains.calls ? null : "No call in the window would change.") };
}

export async function POST(request: Request): Promise<Response> {
  const auth = await authenticateRoute("VIEWER");
  if (!auth.ok) return auth.response;

  const body = await readJsonBody(request, 4 * 1024);
  if (!body.ok) return json(body.status, { error: body.error });
  const parsed = ImpactRequestSchema.safeParse(body.value);
  if (!parsed.success) return json(400, { error: "Some fields need attention.", fieldErrors: fieldErrorsOf(parsed.error) });

  const db = getDb();
  let environment;
  try {
    environment = await findEnvironment(db, parsed.data.environment);
  } catch (error) {
    if (isDatabaseUnavailable(error)) return unavailable();
    throw error;
  }
  if (!environment) return json(400, { error: "Some fields need attention.", fieldErrors: { environment: [`There is no environment "${parsed.data.environment}".`] } });
  const environmentId = environment.id;

  // The dashboard asks for progress lines (NDJSON) so the page can show how far the replay is and cancel it.
  if ((request.headers.get("accept") ?? "").includes("application/x-ndjson")) {
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        const send = (line: unknown) => {
          try {
            controller.enqueue(encoder.encode(`${JSON.stringify(line)}\n`));
          } catch {
            // The reader went away (cancelled); the replay stops at its next step.
          }
        };
        try {
          const report = await draftImpact(db, environmentId, {
            days: parsed.data.days,
            signal: request.signal,
            onProgress: (progress: ImpactProgress) => send({ type: "progress", ...progress }),
          });
          send({ type: "report", report: answer(report) });
        } catch (error) {
          if (!(error instanceof ImpactCancelled)) {
            console.error("[warden] impact preview failed", error);
            send({ type: "error", error: isDatabaseUnavailable(error) ? "The audit trail cannot be read right now; try again in a few seconds." : "The impact could not be computed; try again." });
          }
        }
        try {
          controller.close();
        } catch {
          // Already closed by a cancelled reader.
        }
      },
    });
    return new Response(stream, { status: 200, headers: { "Content-Type": "application/x-ndjson; charset=utf-8", "Cache-Control": "no-store" } });
  }

  try {
    return json(200, answer(await draftImpact(db, environmentId, { days: parsed.data.days, signal: request.signal })));
  } catch (error) {
    if (isDatabaseUnavailable(error)) return unavailable();
    if (error instanceof ImpactCancelled) return json(499, { error: "Cancelled." });
    throw error;
  }
}

function unavailable() {
  return json(503, { error: "The audit trail cannot be read right now; try again in a few seconds." }, { "Retry-After": String(DATABASE_RETRY_AFTER_SECONDS) });
}

export const GET = methodNotAllowed("VIEWER", "POST", 'Use POST with a JSON body: {"environment": "prod", "days": 7}.');
