import { z } from "zod";
import { authenticateRoute, methodNotAllowed } from "@/lib/http/route-auth";
import { getDb } from "@/lib/db/client";
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from "@/lib/db/availability";
import { findEnvironment } from "@/lib/environments/environments";
import { readJsonBody } from "@/lib/http/json-body";
import { configImpact, draftImpact, ImpactCancelled, ImpactWindowSchema, lossSentence, type ImpactProgress, type ImpactReport } from "@/lib/impact/impact";
import { importedConfig } from "@/lib/impact/candidate";
import { hasRole } from "@/lib/auth/admin-roles";
import { exportPolicy, POLICY_SERIALIZATIONS } from "@/lib/policy-io/document";
import { MAX_POLICY_TEXT, parsePolicy } from "@/lib/policy-io/parse";
import { fieldErrorsOf } from "@/lib/policy/request-schema";

// "What would publishing the draft (or an import, or a promotion) do to the
// calls of the last N days?" The
// same report the Config page shows, for signed-in admins and for CI
// pipelines that manage policy as code and want to fail a change that would
// lock people out. Reads only.

const EnvironmentKeySchema = z.string().trim().regex(/^[a-z0-9-]{1,32}$/, "Name the environment by its key, e.g. prod.");

const ImpactRequestSchema = z.strictObject({
  environment: EnvironmentKeySchema,
  days: ImpactWindowSchema,
  /**
   * What to replay against the live config instead of the draft: a policy
   * file as it would be imported, or another environment's policy as it
   * would be promoted here.
   */
  source: z
    .discriminatedUnion("kind", [
      z.strictObject({ kind: z.literal("file"), format: z.enum(POLICY_SERIALIZATIONS, 'Choose "json" or "yaml".'), text: z.string().max(MAX_POLICY_TEXT) }),
      z.strictObject({ kind: z.literal("promotion"), from: EnvironmentKeySchema }),
    ])
    .optional(),
});
// A policy file may be large; a plain request is a few bytes.
const MAX_BODY_BYTES = 3 * 1024 * 1024;

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  Response.json(body, { status, headers: { "Cache-Control": "no-store", ...headers } });

/** The report as the API answers it: the flips, plus a sentence a pipeline can print. */
function answer(report: ImpactReport) {
  return { ...report, summary: lossSentence(report) ?? (report.gains.calls ? null : "No call in the window would change.") };
}

export async function POST(request: Request): Promise<Response> {
  const auth = await authenticateRoute("VIEWER");
  if (!auth.ok) return auth.response;

  const body = await readJsonBody(request, MAX_BODY_BYTES);
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
  // Previewing an import or a promotion is for those who may apply one, as on the Policy as code page.
  if (parsed.data.source && !hasRole(auth.admin.role, "ADMIN")) return json(403, { error: "Previewing an import or a promotion needs the ADMIN role." });
  let run: (options: Parameters<typeof draftImpact>[2]) => Promise<ImpactReport>;
  const source = parsed.data.source;
  if (source?.kind === "file") {
    const document = parsePolicy(source.text, source.format);
    if (!document.ok) return json(400, { error: "The policy file has problems; preview the import to see them.", problems: document.errors.slice(0, 20) });
    run = async (options) => configImpact(db, environmentId, { label: "the import", config: await importedConfig(db, environmentId, document.doc) }, options);
  } else if (source?.kind === "promotion") {
    const from = source.from === environment.key ? null : await findEnvironment(db, source.from);
    if (!from) return json(400, { error: "Some fields need attention.", fieldErrors: { "source.from": ["Pick another existing environment to promote from."] } });
    run = async (options) => configImpact(db, environmentId, { label: `the promotion from ${from.key}`, config: await importedConfig(db, environmentId, await exportPolicy(db, from.id)) }, options);
  } else {
    run = (options) => draftImpact(db, environmentId, options);
  }

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
          const report = await run({
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
    return json(200, answer(await run({ days: parsed.data.days, signal: request.signal })));
  } catch (error) {
    if (isDatabaseUnavailable(error)) return unavailable();
    if (error instanceof ImpactCancelled) return json(499, { error: "Cancelled." });
    throw error;
  }
}

function unavailable() {
  return json(503, { error: "The audit trail cannot be read right now; try again in a few seconds." }, { "Retry-After": String(DATABASE_RETRY_AFTER_SECONDS) });
}

const notAllowed = methodNotAllowed("VIEWER", "POST", 'Use POST with a JSON body: {"environment": "prod", "days": 7}.');
export { notAllowed as GET, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
