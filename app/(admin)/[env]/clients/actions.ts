"use server";

import { headers } from "next/headers";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { runAdminAction } from "@/lib/actions/run-admin-action";
import { clientIpFrom } from "@/lib/auth/request-context";
import type { CurrentAdmin } from "@/lib/auth/session";
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
import { getDb } from "@/lib/db/client";
import { DomainError } from "@/lib/errors";
import { findEnvironment } from "@/lib/environments/environments";

async function actorFrom(admin: CurrentAdmin) {
  return { id: admin.id, email: admin.email, ip: clientIpFrom(await headers()) };
}

async function environmentId(key: string): Promise<string> {
  const environment = await findEnvironment(getDb(), key);
  if (!environment) throw new DomainError("This environment does not exist.");
  return environment.id;
}

const EnvironmentKeySchema = z.string().regex(/^[a-z0-9-]{1,32}$/);
const PreviewInputSchema = z.object({ environment: EnvironmentKeySchema, clientId: z.string().trim().min(1, "Paste the client_id URL.").max(2_048) });

/** Fetches, validates, and adds what the environment's trust policy refuses (and, to show or keep, the logo). */
async function reviewablePreview(environmentKey: string, clientId: string, options: { logo: boolean }): Promise<ClientPreview> {
  const fetched = await previewClient(clientId, fetchSettingsFromEnv());
  const preview = options.logo ? await attachLogo(getDb(), fetched, fetchSettingsFromEnv()) : fetched;
  const policy = await getTrustPolicy(getDb(), await environmentId(environmentKey));
  return applyTrustPolicy(preview, evaluateTrustPolicy(policy, preview));
}

/** Fetching is read-only but reaches out to the internet, so it needs an admin, like registering. */
export async function previewClientAction(input: unknown) {
  return runAdminAction("ADMIN", PreviewInputSchema, input, async (_admin, data) => reviewablePreview(data.environment, data.clientId, { logo: true }));
}

const RegisterInputSchema = RegisterClientSchema.extend({ environment: EnvironmentKeySchema, previewedHash: z.string().nullable() });

export async function registerClientAction(input: unknown) {
  return runAdminAction("ADMIN", RegisterInputSchema, input, async (admin, data) => {
    // Fetched again here: what the browser previewed is never trusted, and a
    // document that changed since the admin looked must be looked at again.
    const preview = await reviewablePreview(data.environment, data.clientId, { logo: true });
    if (data.decision === "approve" && preview.metadataHash !== data.previewedHash) {
      throw new DomainError("The client's metadata changed since you previewed it. Preview it again before approving.");
    }
    const client = await registerClient(getDb(), await actorFrom(admin), await environmentId(data.environment), data, preview);
    revalidatePath(`/${data.environment}/clients`);
    return { id: client.id, status: client.status };
  });
}

const RegisterPreRegisteredInputSchema = RegisterPreRegisteredClientSchema.extend({ environment: EnvironmentKeySchema });

export async function registerPreRegisteredClientAction(input: unknown) {
  return runAdminAction("ADMIN", RegisterPreRegisteredInputSchema, input, async (admin, data) => {
    const client = await registerPreRegisteredClient(getDb(), await actorFrom(admin), await environmentId(data.environment), data);
    revalidatePath(`/${data.environment}/clients`);
    return { id: client.id, status: client.status };
  });
}

const UpdatePreRegisteredInputSchema = UpdatePreRegisteredClientSchema.extend({ environment: EnvironmentKeySchema });

export async function updatePreRegisteredClientAction(input: unknown) {
  return runAdminAction("ADMIN", UpdatePreRegisteredInputSchema, input, async (admin, data) => {
    const client = await updatePreRegisteredClient(getDb(), await actorFrom(admin), await environmentId(data.environment), data);
    revalidatePath(`/${data.environment}/clients`);
    return { version: client.version };
  });
}

const ReviewInputSchema = ReviewClientSchema.extend({ environment: EnvironmentKeySchema });

export async function reviewClientAction(input: unknown) {
  return runAdminAction("ADMIN", ReviewInputSchema, input, async (admin, data) => {
    const envId = await environmentId(data.environment);
    let validity = { approvable: true, reason: undefined as string | undefined };
    // A pre-registered client has no document: the admin's description is what is approved.
    const stored = data.decision === "approve" ? await getClient(getDb(), envId, data.id) : null;
    if (stored?.kind === "CIMD") {
      // Approval is judged on the document as it is now, not as it was stored.
      const preview = await reviewablePreview(data.environment, stored.clientId, { logo: false });
      if (preview.metadataHash !== stored.metadataHash) {
        validity = { approvable: false, reason: "The client's metadata changed since it was last fetched. Refresh it and review the changes first." };
      } else if (!preview.fetched || preview.errors.length) {
        validity = { approvable: false, reason: preview.fetchError?.message ?? "Its metadata breaks validation rules." };
      }
    }
    const client = await reviewClient(getDb(), await actorFrom(admin), envId, data, validity);
    revalidatePath(`/${data.environment}/clients`);
    return { status: client.status, version: client.version };
  });
}

const DeleteInputSchema = DeleteClientSchema.extend({ environment: EnvironmentKeySchema });

export async function deleteClientAction(input: unknown) {
  return runAdminAction("ADMIN", DeleteInputSchema, input, async (admin, data) => {
    const deleted = await deleteClient(getDb(), await actorFrom(admin), await environmentId(data.environment), data);
    revalidatePath(`/${data.environment}/clients`);
    return deleted;
  });
}

const RefreshInputSchema = z.object({ environment: EnvironmentKeySchema, id: z.uuid() });

export async function refreshClientAction(input: unknown) {
  return runAdminAction("ADMIN", RefreshInputSchema, input, async (admin, data) => {
    const envId = await environmentId(data.environment);
    const stored = await getClient(getDb(), envId, data.id);
    if (stored.kind !== "CIMD") throw new DomainError("A pre-registered client has no metadata document to refresh; edit its details instead.");
    const preview = await attachLogo(getDb(), await previewClient(stored.clientId, fetchSettingsFromEnv()), fetchSettingsFromEnv());
    const outcome = await applyMetadataRefresh(getDb(), await actorFrom(admin), envId, data.id, preview);
    revalidatePath(`/${data.environment}/clients`);
    return outcome;
  });
}

const TrustPolicyInputSchema = TrustPolicySchema.extend({ environment: EnvironmentKeySchema });

export async function updateTrustPolicyAction(input: unknown) {
  return runAdminAction("ADMIN", TrustPolicyInputSchema, input, async (admin, data) => {
    const saved = await updateTrustPolicy(getDb(), await actorFrom(admin), await environmentId(data.environment), data);
    revalidatePath(`/${data.environment}/clients`);
    return { version: saved.version };
  });
}
