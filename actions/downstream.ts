"use server";

import "server-only";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { runEnvironmentAction } from "@/lib/actions/run-environment-action";
import { runtimeEncryptionKey } from "@/lib/config/runtime-signer";
import {
  createDownstreamApi,
  DelegationInputSchema,
  DeleteDownstreamApiSchema,
  deleteDownstreamApi,
  DownstreamApiInputSchema,
  RemoveDelegationSchema,
  removeDelegation,
  setDelegation,
  UpdateDownstreamApiSchema,
  updateDownstreamApi,
} from "@/lib/delegation/delegation";
import { rotateTokenSigningKey } from "@/lib/token-exchange/keys";

export async function createDownstreamApiAction(input: unknown) {
  return runEnvironmentAction("ADMIN", DownstreamApiInputSchema, input, async ({ environment, actor, db }, data) => {
    const api = await createDownstreamApi(db, actor, environment.id, data);
    revalidatePath(`/${environment.key}/downstream`);
    return { name: api.name };
  });
}

export async function updateDownstreamApiAction(input: unknown) {
  return runEnvironmentAction("ADMIN", UpdateDownstreamApiSchema, input, async ({ environment, actor, db }, data) => {
    const api = await updateDownstreamApi(db, actor, environment.id, data);
    revalidatePath(`/${environment.key}/downstream`);
    return { name: api.name };
  });
}

export async function deleteDownstreamApiAction(input: unknown) {
  return runEnvironmentAction("ADMIN", DeleteDownstreamApiSchema, input, async ({ environment, actor, db }, data) => {
    await deleteDownstreamApi(db, actor, environment.id, data);
    revalidatePath(`/${environment.key}/downstream`);
    return null;
  });
}

export async function setDelegationAction(input: unknown) {
  return runEnvironmentAction("ADMIN", DelegationInputSchema, input, async ({ environment, actor, db }, data) => {
    await setDelegation(db, actor, environment.id, data);
    revalidatePath(`/${environment.key}/downstream`);
    return null;
  });
}

export async function removeDelegationAction(input: unknown) {
  return runEnvironmentAction("ADMIN", RemoveDelegationSchema, input, async ({ environment, actor, db }, data) => {
    await removeDelegation(db, actor, environment.id, data);
    revalidatePath(`/${environment.key}/downstream`);
    return null;
  });
}

/** A new token signing key; the old one stays in the JWKS through the overlap, so tokens already issued keep verifying. */
export async function rotateTokenSigningKeyAction(input: unknown) {
  return runEnvironmentAction("OWNER", z.object({}), input, async ({ environment, actor, db }) => {
    const kid = await rotateTokenSigningKey(db, actor, runtimeEncryptionKey());
    revalidatePath(`/${environment.key}/downstream`);
    return { kid };
  });
}
