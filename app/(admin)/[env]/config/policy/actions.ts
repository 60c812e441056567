"use server";

import { headers } from "next/headers";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { runAdminAction } from "@/lib/actions/run-admin-action";
import { clientIpFrom } from "@/lib/auth/request-context";
import { getDb } from "@/lib/db/client";
import { DomainError } from "@/lib/errors";
import { findEnvironment } from "@/lib/environments/environments";
import { exportPolicy, POLICY_SERIALIZATIONS, type PolicyDocument } from "@/lib/policy-io/document";
import { MAX_POLICY_TEXT, parsePolicy, type PolicyProblem } from "@/lib/policy-io/parse";
import { applyPolicyImport, planPolicyImport, StalePlanError, type PolicyPlan } from "@/lib/policy-io/plan";

const EnvironmentKeySchema = z.string().regex(/^[a-z0-9-]{1,32}$/);
const FileSchema = z.object({
  environment: EnvironmentKeySchema,
  format: z.enum(POLICY_SERIALIZATIONS, 'Choose "json" or "yaml".'),
  text: z.string().max(MAX_POLICY_TEXT, `The file is too large: keep it under ${MAX_POLICY_TEXT.toLocaleString("en")} characters.`),
});
const PromotionSchema = z.object({ environment: EnvironmentKeySchema, from: EnvironmentKeySchema });
const PlanHashSchema = z.object({ planHash: z.string().regex(/^sha256:[0-9a-f]{64}$/, "Preview the import before applying it.") });

/** What a preview or an apply tells the page: the file's problems, or the plan (fresh when the old one went stale). */
export type PolicyImportOutcome =
  | { kind: "invalid"; problems: PolicyProblem[] }
  | { kind: "plan"; plan: PolicyPlan }
  | { kind: "stale"; plan: PolicyPlan; message: string }
  | { kind: "applied"; plan: PolicyPlan };

async function environmentNamed(key: string) {
  const environment = await findEnvironment(getDb(), key);
  if (!environment) throw new DomainError(`There is no environment "${key}".`);
  return environment;
}

async function apply(admin: { id: string; email: string }, environmentKey: string, doc: PolicyDocument, planHash: string, source: { kind: "file" | "promotion"; from?: string }): Promise<PolicyImportOutcome> {
  const environment = await environmentNamed(environmentKey);
  const actor = { id: admin.id, email: admin.email, ip: clientIpFrom(await headers()) };
  try {
    const plan = await applyPolicyImport(getDb(), actor, environment.id, doc, planHash, source);
    revalidatePath(`/${environmentKey}`, "layout");
    return { kind: "applied", plan };
  } catch (error) {
    if (error instanceof StalePlanError) return { kind: "stale", plan: error.plan, message: error.message };
    throw error;
  }
}

// Previewing writes nothing, but only those who may apply need the plan.
export async function previewPolicyFileAction(input: unknown) {
  return runAdminAction("ADMIN", FileSchema, input, async (_admin, data): Promise<PolicyImportOutcome> => {
    const environment = await environmentNamed(data.environment);
    const parsed = parsePolicy(data.text, data.format);
    if (!parsed.ok) return { kind: "invalid", problems: parsed.errors };
    return { kind: "plan", plan: await planPolicyImport(getDb(), environment.id, parsed.doc) };
  });
}

export async function applyPolicyFileAction(input: unknown) {
  return runAdminAction("ADMIN", FileSchema.extend(PlanHashSchema.shape), input, async (admin, data): Promise<PolicyImportOutcome> => {
    const parsed = parsePolicy(data.text, data.format);
    if (!parsed.ok) return { kind: "invalid", problems: parsed.errors };
    return apply(admin, data.environment, parsed.doc, data.planHash, { kind: "file" });
  });
}

async function promotionSource(data: z.infer<typeof PromotionSchema>): Promise<PolicyDocument> {
  if (data.from === data.environment) throw new DomainError("Pick another environment to promote from.", { from: ["Pick another environment to promote from."] });
  const source = await environmentNamed(data.from);
  return exportPolicy(getDb(), source.id);
}

export async function previewPromotionAction(input: unknown) {
  return runAdminAction("ADMIN", PromotionSchema, input, async (_admin, data): Promise<PolicyImportOutcome> => {
    const doc = await promotionSource(data);
    const target = await environmentNamed(data.environment);
    return { kind: "plan", plan: await planPolicyImport(getDb(), target.id, doc) };
  });
}

export async function applyPromotionAction(input: unknown) {
  return runAdminAction("ADMIN", PromotionSchema.extend(PlanHashSchema.shape), input, async (admin, data): Promise<PolicyImportOutcome> => {
    const doc = await promotionSource(data);
    return apply(admin, data.environment, doc, data.planHash, { kind: "promotion", from: data.from });
  });
}
