"use server";

import { headers } from "next/headers";
import { revalidatePath } from "next/cache";
import { runAdminAction } from "@/lib/actions/run-admin-action";
import type { AuditActor } from "@/lib/audit/record";
import { clientIpFrom } from "@/lib/auth/request-context";
import type { CurrentAdmin } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { CreateServerSchema, DeleteServerSchema, UpdateServerSchema, createServer, deleteServer, updateServer } from "@/lib/servers/servers";
import {
  ApproveToolDefinitionSchema,
  CreateToolSchema,
  DeleteToolSchema,
  SetToolsEnabledSchema,
  UpdateToolSchema,
  approveToolDefinition,
  createTool,
  deleteTool,
  setToolsEnabled,
  updateTool,
} from "@/lib/tools/tools";

async function actorFrom(admin: CurrentAdmin): Promise<AuditActor> {
  return { id: admin.id, email: admin.email, ip: clientIpFrom(await headers()) };
}

// Server and tool lists, counts and details all sit under the environment's pages.
const revalidateEnvironment = () => revalidatePath("/[env]", "layout");

export async function createServerAction(input: unknown) {
  return runAdminAction("ADMIN", CreateServerSchema, input, async (admin, data) => {
    const server = await createServer(getDb(), await actorFrom(admin), data);
    revalidateEnvironment();
    return { id: server.id, name: server.name };
  });
}

export async function updateServerAction(input: unknown) {
  return runAdminAction("ADMIN", UpdateServerSchema, input, async (admin, data) => {
    const server = await updateServer(getDb(), await actorFrom(admin), data);
    revalidateEnvironment();
    return server;
  });
}

export async function deleteServerAction(input: unknown) {
  return runAdminAction("ADMIN", DeleteServerSchema, input, async (admin, data) => {
    const deleted = await deleteServer(getDb(), await actorFrom(admin), data);
    revalidateEnvironment();
    return deleted;
  });
}

export async function createToolAction(input: unknown) {
  return runAdminAction("ADMIN", CreateToolSchema, input, async (admin, data) => {
    const tool = await createTool(getDb(), await actorFrom(admin), data);
    revalidateEnvironment();
    return { id: tool.id, name: tool.name };
  });
}

export async function updateToolAction(input: unknown) {
  return runAdminAction("ADMIN", UpdateToolSchema, input, async (admin, data) => {
    const tool = await updateTool(getDb(), await actorFrom(admin), data);
    revalidateEnvironment();
    return tool;
  });
}

export async function deleteToolAction(input: unknown) {
  return runAdminAction("ADMIN", DeleteToolSchema, input, async (admin, data) => {
    const deleted = await deleteTool(getDb(), await actorFrom(admin), data);
    revalidateEnvironment();
    return deleted;
  });
}

export async function setToolsEnabledAction(input: unknown) {
  return runAdminAction("ADMIN", SetToolsEnabledSchema, input, async (admin, data) => {
    const result = await setToolsEnabled(getDb(), await actorFrom(admin), data);
    revalidateEnvironment();
    return result;
  });
}

export async function approveToolDefinitionAction(input: unknown) {
  return runAdminAction("ADMIN", ApproveToolDefinitionSchema, input, async (admin, data) => {
    const tool = await approveToolDefinition(getDb(), await actorFrom(admin), data);
    revalidateEnvironment();
    return tool;
  });
}
