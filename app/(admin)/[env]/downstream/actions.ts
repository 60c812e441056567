"use server";

import { headers } from "next/headers";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { runAdminAction } from "@/lib/actions/run-admin-action";
import type { AuditActor } from "@/lib/audit/record";
import type { CurrentAdmin } from "@/lib/auth/session";
import { clientIpFrom } from "@/lib/auth/request-context";
import { getDb } from "@/lib/db/client";
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
import { findEnvironment } from "@/lib/environments/environments";
import { DomainError } from "@/lib/errors";
import { runtimeEncryptionKey } from "@/lib/config/runtime";
import { rotateTokenSigningKey } from "@/lib/token-exchange/keys";

// Every action names the environment it acts in; the id is looked up here, never taken from the form.
const InEnvironment = { env: z.string().regex(/^[a-z0-9-]{1,32}$/, "Unknown environment.") };

async function context(admin: CurrentAdmin, envKey: string): Promise<{ actor: AuditActor; environmentId: string }> {
  const environment = await findEnvironment(getDb(), envKey);
  if (!environment) throw new DomainError("This environment no longer exists.");
  return { actor: { id: admin.id, email: admin.email, ip: clientIpFrom(await headers()) }, environmentId: environment.id };
}

export async function createDownstreamApiAction(input: unknown) {
  return runAdminAction("ADMIN", DownstreamApiInputSchema.extend(InEnvironment), input, async (admin, { env, ...data }) => {
    const { actor, environmentId } = await context(admin, env);
    const api = await createDownstreamApi(getDb(), actor, environmentId, data);
    revalidatePath(`/${env}/downstream`);
    return { name: api.name };
  });
}

export async function updateDownstreamApiAction(input: unknown) {
  return runAdminAction("ADMIN", UpdateDownstreamApiSchema.extend(InEnvironment), input, async (admin, { env, ...data }) => {
    const { actor, environmentId } = await context(admin, env);
    const api = await updateDownstreamApi(getDb(), actor, environmentId, data);
    revalidatePath(`/${env}/downstream`);
    return { name: api.name };
  });
}

export async function deleteDownstreamApiAction(input: unknown) {
  return runAdminAction("ADMIN", DeleteDownstreamApiSchema.extend(InEnvironment), input, async (admin, { env, ...data }) => {
    const { actor, environmentId } = await context(admin, env);
    await deleteDownstreamApi(getDb(), actor, environmentId, data);
    revalidatePath(`/${env}/downstream`);
    return null;
  });
}

export async function setDelegationAction(input: unknown) {
  return runAdminAction("ADMIN", DelegationInputSchema.extend(InEnvironment), input, async (admin, { env, ...data }) => {
    const { actor, environmentId } = await context(admin, env);
    await setDelegation(getDb(), actor, environmentId, data);
    revalidatePath(`/${env}/downstream`);
    return null;
  });
}

export async function removeDelegationAction(input: unknown) {
  return runAdminAction("ADMIN", RemoveDelegationSchema.extend(InEnvironment), input, async (admin, { env, ...data }) => {
    const { actor, environmentId } = await context(admin, env);
    await removeDelegation(getDb(), actor, environmentId, data);
    revalidatePath(`/${env}/downstream`);
    return null;
  });
}

/** A new token signing key; the old one stays in the JWKS through the overlap, so tokens already issued keep verifying. */
export async function rotateTokenSigningKeyAction(input: unknown) {
  return runAdminAction("OWNER", z.object(InEnvironment), input, async (admin, { env }) => {
    const { actor } = await context(admin, env);
    const kid = await rotateTokenSigningKey(getDb(), actor, runtimeEncryptionKey());
    revalidatePath(`/${env}/downstream`);
    return { kid };
  });
}
