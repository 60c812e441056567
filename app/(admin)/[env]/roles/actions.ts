"use server";

import { headers } from "next/headers";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { runAdminAction } from "@/lib/actions/run-admin-action";
import type { AuditActor } from "@/lib/audit/record";
import type { CurrentAdmin } from "@/lib/auth/session";
import { clientIpFrom } from "@/lib/auth/request-context";
import { getDb } from "@/lib/db/client";
import { findEnvironment } from "@/lib/environments/environments";
import { DomainError } from "@/lib/errors";
import { ApplyGrantsSchema, RevokeGrantSchema, SetGrantSchema, applyGrants, revokeGrant, setGrant } from "@/lib/grants/grants";
import { CreateRoleSchema, DeleteRoleSchema, UpdateRoleSchema, createRole, deleteRole, updateRole } from "@/lib/roles/roles";
import { CreateScopeSchema, DeleteScopeSchema, UpdateScopeSchema, createScope, deleteScope, updateScope } from "@/lib/scopes/scopes";

// Every action names the environment it acts in; the id is looked up here, never taken from the form.
const InEnvironment = { env: z.string().regex(/^[a-z0-9-]{1,32}$/, "Unknown environment.") };

async function context(admin: CurrentAdmin, envKey: string): Promise<{ actor: AuditActor; environmentId: string }> {
  const environment = await findEnvironment(getDb(), envKey);
  if (!environment) throw new DomainError("This environment no longer exists.");
  return { actor: { id: admin.id, email: admin.email, ip: clientIpFrom(await headers()) }, environmentId: environment.id };
}

function revalidateAccess(envKey: string) {
  revalidatePath(`/${envKey}/roles`, "layout");
}

// ---------- roles ----------

export async function createRoleAction(input: unknown) {
  return runAdminAction("ADMIN", CreateRoleSchema.extend(InEnvironment), input, async (admin, { env, ...data }) => {
    const { actor, environmentId } = await context(admin, env);
    const role = await createRole(getDb(), actor, environmentId, data);
    revalidateAccess(env);
    return role;
  });
}

export async function updateRoleAction(input: unknown) {
  return runAdminAction("ADMIN", UpdateRoleSchema.extend(InEnvironment), input, async (admin, { env, ...data }) => {
    const { actor, environmentId } = await context(admin, env);
    const role = await updateRole(getDb(), actor, environmentId, data);
    revalidateAccess(env);
    return role;
  });
}

export async function deleteRoleAction(input: unknown) {
  return runAdminAction("ADMIN", DeleteRoleSchema.extend(InEnvironment), input, async (admin, { env, ...data }) => {
    const { actor, environmentId } = await context(admin, env);
    const result = await deleteRole(getDb(), actor, environmentId, data);
    revalidateAccess(env);
    return result;
  });
}

// ---------- scopes ----------

export async function createScopeAction(input: unknown) {
  return runAdminAction("ADMIN", CreateScopeSchema.extend(InEnvironment), input, async (admin, { env, ...data }) => {
    const { actor, environmentId } = await context(admin, env);
    const scope = await createScope(getDb(), actor, environmentId, data);
    revalidateAccess(env);
    return scope;
  });
}

export async function updateScopeAction(input: unknown) {
  return runAdminAction("ADMIN", UpdateScopeSchema.extend(InEnvironment), input, async (admin, { env, ...data }) => {
    const { actor, environmentId } = await context(admin, env);
    const scope = await updateScope(getDb(), actor, environmentId, data);
    revalidateAccess(env);
    return scope;
  });
}

export async function deleteScopeAction(input: unknown) {
  return runAdminAction("ADMIN", DeleteScopeSchema.extend(InEnvironment), input, async (admin, { env, ...data }) => {
    const { actor, environmentId } = await context(admin, env);
    const result = await deleteScope(getDb(), actor, environmentId, data);
    revalidateAccess(env);
    return result;
  });
}

// ---------- grants ----------

export async function setGrantAction(input: unknown) {
  return runAdminAction("ADMIN", SetGrantSchema.extend(InEnvironment), input, async (admin, { env, ...data }) => {
    const { actor, environmentId } = await context(admin, env);
    const grant = await setGrant(getDb(), actor, environmentId, data);
    revalidateAccess(env);
    return grant;
  });
}

export async function revokeGrantAction(input: unknown) {
  return runAdminAction("ADMIN", RevokeGrantSchema.extend(InEnvironment), input, async (admin, { env, ...data }) => {
    const { actor, environmentId } = await context(admin, env);
    await revokeGrant(getDb(), actor, environmentId, data);
    revalidateAccess(env);
  });
}

export async function applyGrantsAction(input: unknown) {
  return runAdminAction("ADMIN", ApplyGrantsSchema.extend(InEnvironment), input, async (admin, { env, ...data }) => {
    const { actor, environmentId } = await context(admin, env);
    const result = await applyGrants(getDb(), actor, environmentId, data);
    revalidateAccess(env);
    return result;
  });
}
