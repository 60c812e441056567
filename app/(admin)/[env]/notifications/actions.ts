"use server";

import { headers } from "next/headers";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { runAdminAction } from "@/lib/actions/run-admin-action";
import { clientIpFrom } from "@/lib/auth/request-context";
import { runtimeEncryptionKey } from "@/lib/config/runtime";
import { getDb } from "@/lib/db/client";
import { DomainError } from "@/lib/errors";
import { findEnvironment } from "@/lib/environments/environments";
import { destinationPolicyFromEnv } from "@/lib/notifications/destination";
import {
  createWebhook,
  CreateWebhookSchema,
  DeliveryIdSchema,
  deleteWebhook,
  resendDelivery,
  rotateWebhookSecret,
  sendTestEvent,
  updateWebhook,
  UpdateWebhookSchema,
  WebhookIdSchema,
} from "@/lib/notifications/webhooks";

const EnvironmentKeySchema = z.string().regex(/^[a-z0-9-]{1,32}$/);

async function context(environmentKey: string, admin: { id: string; email: string }) {
  const environment = await findEnvironment(getDb(), environmentKey);
  if (!environment) throw new DomainError("This environment does not exist.");
  return { environment, actor: { id: admin.id, email: admin.email, ip: clientIpFrom(await headers()) } };
}

function refresh(environment: string, webhookId?: string) {
  revalidatePath(`/${environment}/notifications`);
  if (webhookId) revalidatePath(`/${environment}/notifications/${webhookId}`);
}

export async function createWebhookAction(input: unknown) {
  return runAdminAction("ADMIN", CreateWebhookSchema.extend({ environment: EnvironmentKeySchema }), input, async (admin, data) => {
    const { environment, actor } = await context(data.environment, admin);
    const created = await createWebhook(getDb(), actor, environment.id, data, runtimeEncryptionKey(), destinationPolicyFromEnv());
    refresh(data.environment);
    // The only time the signing secret leaves the server.
    return { id: created.id, secret: created.secret };
  });
}

export async function updateWebhookAction(input: unknown) {
  return runAdminAction("ADMIN", UpdateWebhookSchema.extend({ environment: EnvironmentKeySchema }), input, async (admin, data) => {
    const { environment: environmentKey, ...changes } = data;
    const { environment, actor } = await context(environmentKey, admin);
    await updateWebhook(getDb(), actor, environment.id, changes, destinationPolicyFromEnv());
    refresh(environmentKey, data.id);
  });
}

export async function rotateWebhookSecretAction(input: unknown) {
  return runAdminAction("ADMIN", WebhookIdSchema.extend({ environment: EnvironmentKeySchema }), input, async (admin, data) => {
    const { environment, actor } = await context(data.environment, admin);
    const rotated = await rotateWebhookSecret(getDb(), actor, environment.id, { id: data.id }, runtimeEncryptionKey());
    refresh(data.environment, data.id);
    return { secret: rotated.secret };
  });
}

export async function deleteWebhookAction(input: unknown) {
  return runAdminAction("ADMIN", WebhookIdSchema.extend({ environment: EnvironmentKeySchema }), input, async (admin, data) => {
    const { environment, actor } = await context(data.environment, admin);
    await deleteWebhook(getDb(), actor, environment.id, { id: data.id });
    refresh(data.environment);
  });
}

export async function sendTestEventAction(input: unknown) {
  return runAdminAction("ADMIN", WebhookIdSchema.extend({ environment: EnvironmentKeySchema }), input, async (admin, data) => {
    const { environment, actor } = await context(data.environment, admin);
    await sendTestEvent(getDb(), actor, environment.id, { id: data.id });
    refresh(data.environment, data.id);
  });
}

export async function resendDeliveryAction(input: unknown) {
  return runAdminAction("ADMIN", DeliveryIdSchema.extend({ environment: EnvironmentKeySchema }), input, async (admin, data) => {
    const { environment, actor } = await context(data.environment, admin);
    await resendDelivery(getDb(), actor, environment.id, { webhookId: data.webhookId, deliveryId: data.deliveryId });
    refresh(data.environment, data.webhookId);
  });
}
