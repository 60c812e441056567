"use server";

import "server-only";
import { revalidatePath } from "next/cache";
import { runEnvironmentAction } from "@/lib/actions/run-environment-action";
import { ApplyGrantsSchema, RevokeGrantSchema, SetGrantSchema, applyGrants, revokeGrant, setGrant } from "@/lib/grants/grants";

// Grants show on the roles, the matrix and each tool's access page, all under /<env>/roles.
function revalidateAccess(environmentKey: string) {
  revalidatePath(`/${environmentKey}/roles`, "layout");
}

export async function setGrantAction(input: unknown) {
  return runEnvironmentAction("ADMIN", SetGrantSchema, input, async ({ environment, actor, db }, data) => {
    const grant = await setGrant(db, actor, environment.id, data);
    revalidateAccess(environment.key);
    return grant;
  });
}

export async function revokeGrantAction(input: unknown) {
  return runEnvironmentAction("ADMIN", RevokeGrantSchema, input, async ({ environment, actor, db }, data) => {
    await revokeGrant(db, actor, environment.id, data);
    revalidateAccess(environment.key);
  });
}

export async function applyGrantsAction(input: unknown) {
  return runEnvironmentAction("ADMIN", ApplyGrantsSchema, input, async ({ environment, actor, db }, data) => {
    const result = await applyGrants(db, actor, environment.id, data);
    revalidateAccess(environment.key);
    return result;
  });
}
