"use server";

import "server-only";
import { revalidatePath } from "next/cache";
import { runEnvironmentAction } from "@/lib/actions/run-environment-action";
import { runtimeEncryptionKey } from "@/lib/config/runtime-signer";
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

function refresh(environmentKey: string, webhookId?: string) {
  revalidatePath(`/${environmentKey}/notifications`);
  if (webhookId) revalidatePath(`/${environmentKey}/notifications/${webhookId}`);
}

export async function createWebhookAction(input: unknown) {
  return runEnvironmentAction("ADMIN", CreateWebhookSchema, input, async ({ environment, actor, db }, data) => {
    const created = await createWebhook(db, actor, environment.id, data, runtimeEncryptionKey(), destinationPolicyFromEnv());
    refresh(environment.key);
    // The only time the signing secret leaves the server.
    return { id: created.id, secret: created.secret };
  });
}

export async function updateWebhookAction(input: unknown) {
  return runEnvironmentAction("ADMIN", UpdateWebhookSchema, input, async ({ environment, actor, db }, data) => {
    await updateWebhook(db, actor, environment.id, data, destinationPolicyFromEnv());
    refresh(environment.key, data.id);
  });
}

export async function rotateWebhookSecretAction(input: unknown) {
  return runEnvironmentAction("ADMIN", WebhookIdSchema, input, async ({ environment, actor, db }, data) => {
    const rotated = await rotateWebhookSecret(db, actor, environment.id, { id: data.id }, runtimeEncryptionKey());
    refresh(environment.key, data.id);
    return { secret: rotated.secret };
  });
}

export async function deleteWebhookAction(input: unknown) {
  return runEnvironmentAction("ADMIN", WebhookIdSchema, input, async ({ environment, actor, db }, data) => {
    await deleteWebhook(db, actor, environment.id, { id: data.id });
    refresh(environment.key);
  });
}

export async function sendTestEventAction(input: unknown) {
  return runEnvironmentAction("ADMIN", WebhookIdSchema, input, async ({ environment, actor, db }, data) => {
    await sendTestEvent(db, actor, environment.id, { id: data.id });
    refresh(environment.key, data.id);
  });
}

export async function resendDeliveryAction(input: unknown) {
  return runEnvironmentAction("ADMIN", DeliveryIdSchema, input, async ({ environment, actor, db }, data) => {
    await resendDelivery(db, actor, environment.id, { webhookId: data.webhookId, deliveryId: data.deliveryId });
    refresh(environment.key, data.webhookId);
  });
}
