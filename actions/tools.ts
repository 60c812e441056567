"use server";

import "server-only";
import { revalidatePath } from "next/cache";
import { requestActor } from "@/lib/actions/request-actor";
import { runAdminAction } from "@/lib/actions/run-admin-action";
import { getDb } from "@/lib/db/client";
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

// Tools show in server lists, counts, details and the grants pages, all under the environment.
const revalidateEnvironment = () => revalidatePath("/[env]", "layout");

export async function createToolAction(input: unknown) {
  return runAdminAction("ADMIN", CreateToolSchema, input, async (admin, data) => {
    const tool = await createTool(getDb(), await requestActor(admin), data);
    revalidateEnvironment();
    return { id: tool.id, name: tool.name };
  });
}

export async function updateToolAction(input: unknown) {
  return runAdminAction("ADMIN", UpdateToolSchema, input, async (admin, data) => {
    const tool = await updateTool(getDb(), await requestActor(admin), data);
    revalidateEnvironment();
    return tool;
  });
}

export async function deleteToolAction(input: unknown) {
  return runAdminAction("ADMIN", DeleteToolSchema, input, async (admin, data) => {
    const deleted = await deleteTool(getDb(), await requestActor(admin), data);
    revalidateEnvironment();
    return deleted;
  });
}

export async function setToolsEnabledAction(input: unknown) {
  return runAdminAction("ADMIN", SetToolsEnabledSchema, input, async (admin, data) => {
    const result = await setToolsEnabled(getDb(), await requestActor(admin), data);
    revalidateEnvironment();
    return result;
  });
}

export async function approveToolDefinitionAction(input: unknown) {
  return runAdminAction("ADMIN", ApproveToolDefinitionSchema, input, async (admin, data) => {
    const tool = await approveToolDefinition(getDb(), await requestActor(admin), data);
    revalidateEnvironment();
    return tool;
  });
}
