"use server";

import "server-only";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { runEnvironmentAction } from "@/lib/actions/run-environment-action";
import { applyMetadataRefresh, deleteClient, DeleteClientSchema, getClient, registerClient, RegisterClientSchema, reviewClient, ReviewClientSchema } from "@/lib/clients/clients";
import { fetchSettingsFromEnv } from "@/lib/clients/fetch-settings";
import { attachLogo } from "@/lib/clients/logo";
import { previewClient, type ClientPreview } from "@/lib/clients/preview";
import {
  registerPreRegisteredClient,
  RegisterPreRegisteredClientSchema,
  updatePreRegisteredClient,
  UpdatePreRegisteredClientSchema,
} from "@/lib/clients/pre-registered";
import { applyTrustPolicy, evaluateTrustPolicy, getTrustPolicy, TrustPolicySchema, updateTrustPolicy } from "@/lib/clients/trust-policy";
import type { Db } from "@/lib/db/client";
import { DomainError } from "@/lib/errors";

const PreviewInputSchema = z.object({ clientId: z.string().trim().min(1, "Paste the client_id URL.").max(2_048) });

/** Fetches, validates, and adds what the environment's trust policy refuses (and, to show or keep, the logo). */
async function reviewablePreview(db: Db, environmentId: string, clientId: string, options: { logo: boolean }): Promise<ClientPreview> {
  const fetched = await previewClient(clientId, fetchSettingsFromEnv());
  const preview = options.logo ? await attachLogo(db, fetched, fetchSettingsFromEnv()) : fetched;
  const policy = await getTrustPolicy(db, environmentId);
  return applyTrustPolicy(preview, evaluateTrustPolicy(policy, preview));
}

/** Fetching is read-only but reaches out to the internet, so it needs an admin, like registering. */
export async function previewClientAction(input: unknown) {
  return runEnvironmentAction("ADMIN", PreviewInputSchema, input, async ({ environment, db }, data) => reviewablePreview(db, environment.id, data.clientId, { logo: true }));
}

const RegisterInputSchema = RegisterClientSchema.extend({ previewedHash: z.string().nullable() });

export async function registerClientAction(input: unknown) {
  return runEnvironmentAction("ADMIN", RegisterInputSchema, input, async ({ environment, actor, db }, data) => {
    // Fetched again here: what the browser previewed is never trusted, and a
    // document that changed since the admin looked must be looked at again.
    const preview = await reviewablePreview(db, environment.id, data.clientId, { logo: true });
    if (data.decision === "approve" && preview.metadataHash !== data.previewedHash) {
      throw new DomainError("The client's metadata changed since you previewed it. Preview it again before approving.");
    }
    const client = await registerClient(db, actor, environment.id, data, preview);
    revalidatePath(`/${environment.key}/clients`);
    return { id: client.id, status: client.status };
  });
}

export async function registerPreRegisteredClientAction(input: unknown) {
  return runEnvironmentAction("ADMIN", RegisterPreRegisteredClientSchema, input, async ({ environment, actor, db }, data) => {
    const client = await registerPreRegisteredClient(db, actor, environment.id, data);
    revalidatePath(`/${environment.key}/clients`);
    return { id: client.id, status: client.status };
  });
}

export async function updatePreRegisteredClientAction(input: unknown) {
  return runEnvironmentAction("ADMIN", UpdatePreRegisteredClientSchema, input, async ({ environment, actor, db }, data) => {
    const client = await updatePreRegisteredClient(db, actor, environment.id, data);
    revalidatePath(`/${environment.key}/clients`);
    return { version: client.version };
  });
}

export async function reviewClientAction(input: unknown) {
  return runEnvironmentAction("ADMIN", ReviewClientSchema, input, async ({ environment, actor, db }, data) => {
    let validity = { approvable: true, reason: undefined as string | undefined };
    // A pre-registered client has no document: the admin's description is what is approved.
    const stored = data.decision === "approve" ? await getClient(db, environment.id, data.id) : null;
    if (stored?.kind === "CIMD") {
      // Approval is judged on the document as it is now, not as it was stored.
      const preview = await reviewablePreview(db, environment.id, stored.clientId, { logo: false });
      if (preview.metadataHash !== stored.metadataHash) {
        validity = { approvable: false, reason: "The client's metadata changed since it was last fetched. Refresh it and review the changes first." };
      } else if (!preview.fetched || preview.errors.length) {
        validity = { approvable: false, reason: preview.fetchError?.message ?? "Its metadata breaks validation rules." };
      }
    }
    const client = await reviewClient(db, actor, environment.id, data, validity);
    revalidatePath(`/${environment.key}/clients`);
    return { status: client.status, version: client.version };
  });
}

export async function deleteClientAction(input: unknown) {
  return runEnvironmentAction("ADMIN", DeleteClientSchema, input, async ({ environment, actor, db }, data) => {
    const deleted = await deleteClient(db, actor, environment.id, data);
    revalidatePath(`/${environment.key}/clients`);
    return deleted;
  });
}

const RefreshInputSchema = z.object({ id: z.uuid() });

export async function refreshClientAction(input: unknown) {
  return runEnvironmentAction("ADMIN", RefreshInputSchema, input, async ({ environment, actor, db }, data) => {
    const stored = await getClient(db, environment.id, data.id);
    if (stored.kind !== "CIMD") throw new DomainError("A pre-registered client has no metadata document to refresh; edit its details instead.");
    const preview = await attachLogo(db, await previewClient(stored.clientId, fetchSettingsFromEnv()), fetchSettingsFromEnv());
    const outcome = await applyMetadataRefresh(db, actor, environment.id, data.id, preview);
    revalidatePath(`/${environment.key}/clients`);
    return outcome;
  });
}

export async function updateTrustPolicyAction(input: unknown) {
  return runEnvironmentAction("ADMIN", TrustPolicySchema, input, async ({ environment, actor, db }, data) => {
    const saved = await updateTrustPolicy(db, actor, environment.id, data);
    revalidatePath(`/${environment.key}/clients`);
    return { version: saved.version };
  });
}
