"use server";

import "server-only";
import { revalidatePath } from "next/cache";
import { runEnvironmentAction } from "@/lib/actions/run-environment-action";
import { CreateRoleSchema, DeleteRoleSchema, UpdateRoleSchema, createRole, deleteRole, updateRole } from "@/lib/roles/roles";
import { CreateScopeSchema, DeleteScopeSchema, UpdateScopeSchema, createScope, deleteScope, updateScope } from "@/lib/scopes/scopes";

// Roles, scopes and grants share the environment's access pages.
function revalidateAccess(environmentKey: string) {
  revalidatePath(`/${environmentKey}/roles`, "layout");
}

// ---------- roles ----------

export async function createRoleAction(input: unknown) {
  return runEnvironmentAction("ADMIN", CreateRoleSchema, input, async ({ environment, actor, db }, data) => {
    const role = await createRole(db, actor, environment.id, data);
    revalidateAccess(environment.key);
    return role;
  });
}

export async function updateRoleAction(input: unknown) {
  return runEnvironmentAction("ADMIN", UpdateRoleSchema, input, async ({ environment, actor, db }, data) => {
    const role = await updateRole(db, actor, environment.id, data);
    revalidateAccess(environment.key);
    return role;
  });
}

export async function deleteRoleAction(input: unknown) {
  return runEnvironmentAction("ADMIN", DeleteRoleSchema, input, async ({ environment, actor, db }, data) => {
    const result = await deleteRole(db, actor, environment.id, data);
    revalidateAccess(environment.key);
    return result;
  });
}

// ---------- scopes ----------

export async function createScopeAction(input: unknown) {
  return runEnvironmentAction("ADMIN", CreateScopeSchema, input, async ({ environment, actor, db }, data) => {
    const scope = await createScope(db, actor, environment.id, data);
    revalidateAccess(environment.key);
    return scope;
  });
}

export async function updateScopeAction(input: unknown) {
  return runEnvironmentAction("ADMIN", UpdateScopeSchema, input, async ({ environment, actor, db }, data) => {
    const scope = await updateScope(db, actor, environment.id, data);
    revalidateAccess(environment.key);
    return scope;
  });
}

export async function deleteScopeAction(input: unknown) {
  return runEnvironmentAction("ADMIN", DeleteScopeSchema, input, async ({ environment, actor, db }, data) => {
    const result = await deleteScope(db, actor, environment.id, data);
    revalidateAccess(environment.key);
    return result;
  });
}
