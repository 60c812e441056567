import "server-only";
import type { z } from "zod";
import { DomainError, StaleWriteError } from "@/lib/errors";
import { AccessError, requireAdmin, type CurrentAdmin } from "@/lib/auth/session";
import type { AdminRole } from "@/lib/auth/admin-roles";

export type ActionResult<T = undefined> =
  | { ok: true; data: T }
  | { ok: false; error: string; fieldErrors?: Record<string, string[]>; current?: unknown };

/**
 * Server actions are public endpoints: whatever the form showed, each one
 * re-checks the caller's role and re-validates its input here, then calls the
 * domain. Refusals come back as data for the form, never as a crash.
 */
export async function runAdminAction<S extends z.ZodType, T>(
  minRole: AdminRole,
  schema: S,
  input: unknown,
  run: (admin: CurrentAdmin, data: z.infer<S>) => Promise<T>,
): Promise<ActionResult<T>> {
  let admin: CurrentAdmin;
  try {
    admin = await requireAdmin(minRole, { onFail: "throw" });
  } catch (error) {
    if (error instanceof AccessError) return { ok: false, error: error.message };
    throw error;
  }
  // Parsing runs inside the error handling too: a schema that throws on hostile input is a refusal, not a crash.
  let parsed: z.ZodSafeParseResult<z.infer<S>>;
  try {
    parsed = schema.safeParse(input);
  } catch (error) {
    console.error("server action input could not be checked", error);
    return { ok: false, error: "This input could not be checked, so nothing was saved. Simplify it and try again." };
  }
  if (!parsed.success) {
    const fieldErrors: Record<string, string[]> = {};
    for (const issue of parsed.error.issues) {
      const key = issue.path.join(".") || "_form";
      (fieldErrors[key] ??= []).push(issue.message);
    }
    return { ok: false, error: "Some fields need attention.", fieldErrors };
  }
  try {
    return { ok: true, data: await run(admin, parsed.data) };
  } catch (error) {
    if (error instanceof StaleWriteError) return { ok: false, error: error.message, current: error.current };
    if (error instanceof DomainError) return { ok: false, error: error.message, fieldErrors: error.fieldErrors };
    console.error("server action failed", error);
    return { ok: false, error: "Something went wrong on our side. Nothing was saved; try again." };
  }
}
