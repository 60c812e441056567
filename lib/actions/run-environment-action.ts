import "server-only";
import { z } from "zod";
import type { AuditActor } from "@/lib/audit/record";
import type { AdminRole } from "@/lib/auth/admin-roles";
import type { CurrentAdmin } from "@/lib/auth/session";
import { getDb, type Db } from "@/lib/db/client";
import { findEnvironment, type EnvironmentSummary } from "@/lib/environments/environments";
import { environmentKeySchema } from "@/lib/environments/key";
import { DomainError } from "@/lib/errors";
import { requestActor } from "./request-actor";
import { runAdminAction, type ActionResult } from "./run-admin-action";

/** What an action inside one environment works with, resolved once before its handler runs. */
export type EnvironmentActionContext = {
  admin: CurrentAdmin;
  /** Looked up from the key the form sent; its id is never taken from the form. */
  environment: EnvironmentSummary;
  actor: AuditActor;
  db: Db;
};

const InEnvironmentSchema = z.object({ environment: environmentKeySchema });

/**
 * runAdminAction for an action that acts inside one environment: the input
 * names it by key as `environment`, beside the fields `schema` checks; the
 * handler receives the checked fields and the resolved environment.
 */
export async function runEnvironmentAction<S extends z.ZodType<object>, T>(
  minRole: AdminRole,
  schema: S,
  input: unknown,
  run: (context: EnvironmentActionContext, data: z.infer<S>) => Promise<T>,
): Promise<ActionResult<T>> {
  const withEnvironment = schema instanceof z.ZodObject ? schema.extend(InEnvironmentSchema.shape) : z.intersection(schema, InEnvironmentSchema);
  return runAdminAction(minRole, withEnvironment, input, async (admin, parsed) => {
    const { environment: key, ...data } = parsed as z.infer<S> & { environment: string };
    const db = getDb();
    const environment = await findEnvironment(db, key);
    if (!environment) throw new DomainError(`There is no environment "${key}".`);
    return run({ admin, environment, actor: await requestActor(admin), db }, data as z.infer<S>);
  });
}
