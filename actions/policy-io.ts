"use server";

import "server-only";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { runEnvironmentAction, type EnvironmentActionContext } from "@/lib/actions/run-environment-action";
import type { Db } from "@/lib/db/client";
import { findEnvironment } from "@/lib/environments/environments";
import { environmentKeySchema } from "@/lib/environments/key";
import { DomainError } from "@/lib/errors";
import { exportPolicy, POLICY_SERIALIZATIONS, type PolicyDocument } from "@/lib/policy-io/document";
import { MAX_POLICY_TEXT, parsePolicy, type PolicyProblem } from "@/lib/policy-io/parse";
import { applyPolicyImport, planPolicyImport, StalePlanError } from "@/lib/policy-io/plan";
import type { PolicyPlan } from "@/lib/policy-io/plan-shape";

const FileSchema = z.object({
  format: z.enum(POLICY_SERIALIZATIONS, 'Choose "json" or "yaml".'),
  text: z.string().max(MAX_POLICY_TEXT, `The file is too large: keep it under ${MAX_POLICY_TEXT.toLocaleString("en")} characters.`),
});
const PromotionSchema = z.object({ from: environmentKeySchema });
const PlanHashSchema = z.object({ planHash: z.string().regex(/^sha256:[0-9a-f]{64}$/, "Preview the import before applying it.") });

/** What a preview or an apply tells the page: the file's problems, or the plan (fresh when the old one went stale). */
export type PolicyImportOutcome =
  | { kind: "invalid"; problems: PolicyProblem[] }
  | { kind: "plan"; plan: PolicyPlan }
  | { kind: "stale"; plan: PolicyPlan; message: string }
  | { kind: "applied"; plan: PolicyPlan };

async function apply({ environment, actor, db }: EnvironmentActionContext, doc: PolicyDocument, planHash: string, source: { kind: "file" | "promotion"; from?: string }): Promise<PolicyImportOutcome> {
  try {
    const plan = await applyPolicyImport(db, actor, environment.id, doc, planHash, source);
    revalidatePath(`/${environment.key}`, "layout");
    return { kind: "applied", plan };
  } catch (error) {
    if (error instanceof StalePlanError) return { kind: "stale", plan: error.plan, message: error.message };
    throw error;
  }
}

// Previewing writes nothing, but only those who may apply need the plan.
export async function previewPolicyFileAction(input: unknown) {
  return runEnvironmentAction("ADMIN", FileSchema, input, async ({ environment, db }, data): Promise<PolicyImportOutcome> => {
    const parsed = parsePolicy(data.text, data.format);
    if (!parsed.ok) return { kind: "invalid", problems: parsed.errors };
    return { kind: "plan", plan: await planPolicyImport(db, environment.id, parsed.doc) };
  });
}

export async function applyPolicyFileAction(input: unknown) {
  return runEnvironmentAction("ADMIN", FileSchema.extend(PlanHashSchema.shape), input, async (context, data): Promise<PolicyImportOutcome> => {
    const parsed = parsePolicy(data.text, data.format);
    if (!parsed.ok) return { kind: "invalid", problems: parsed.errors };
    return apply(context, parsed.doc, data.planHash, { kind: "file" });
  });
}

async function promotionSource(db: Db, target: EnvironmentActionContext["environment"], from: string): Promise<PolicyDocument> {
  if (from === target.key) throw new DomainError("Pick another environment to promote from.", { from: ["Pick another environment to promote from."] });
  const source = await findEnvironment(db, from);
  if (!source) throw new DomainError(`There is no environment "${from}".`);
  return exportPolicy(db, source.id);
}

export async function previewPromotionAction(input: unknown) {
  return runEnvironmentAction("ADMIN", PromotionSchema, input, async ({ environment, db }, data): Promise<PolicyImportOutcome> => {
    const doc = await promotionSource(db, environment, data.from);
    return { kind: "plan", plan: await planPolicyImport(db, environment.id, doc) };
  });
}

export async function applyPromotionAction(input: unknown) {
  return runEnvironmentAction("ADMIN", PromotionSchema.extend(PlanHashSchema.shape), input, async (context, data): Promise<PolicyImportOutcome> => {
    const doc = await promotionSource(context.db, context.environment, data.from);
    return apply(context, doc, data.planHash, { kind: "promotion", from: data.from });
  });
}
