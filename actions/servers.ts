"use server";

import "server-only";
import { revalidatePath } from "next/cache";
import { requestActor } from "@/lib/actions/request-actor";
import { runAdminAction } from "@/lib/actions/run-admin-action";
import { getDb } from "@/lib/db/client";
import { CreateServerSchema, DeleteServerSchema, UpdateServerSchema, createServer, deleteServer, updateServer } from "@/lib/servers/servers";

// Server and tool lists, counts and details all sit under the environment's pages.
const revalidateEnvironment = () => revalidatePath("/[env]", "layout");

export async function createServerAction(input: unknown) {
  return runAdminAction("ADMIN", CreateServerSchema, input, async (admin, data) => {
    const server = await createServer(getDb(), await requestActor(admin), data);
    revalidateEnvironment();
    return { id: server.id, name: server.name };
  });
}

export async function updateServerAction(input: unknown) {
  return runAdminAction("ADMIN", UpdateServerSchema, input, async (admin, data) => {
    const server = await updateServer(getDb(), await requestActor(admin), data);
    revalidateEnvironment();
    return server;
  });
}

export async function deleteServerAction(input: unknown) {
  return runAdminAction("ADMIN", DeleteServerSchema, input, async (admin, data) => {
    const deleted = await deleteServer(getDb(), await requestActor(admin), data);
    revalidateEnvironment();
    return deleted;
  });
}
