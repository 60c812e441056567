"use server";

import "server-only";
import { revalidatePath } from "next/cache";
import { requestActor } from "@/lib/actions/request-actor";
import { runAdminAction } from "@/lib/actions/run-admin-action";
import { getDb } from "@/lib/db/client";
import { ApplyImportSchema, applyToolImport, ImportPreviewSchema, previewToolImport } from "@/lib/mcp-import/apply";

/** Connecting to a server is an admin's act: it sends requests, possibly with a token, from Warden's network. */
export async function previewToolImportAction(input: unknown) {
  return runAdminAction("ADMIN", ImportPreviewSchema, input, (_admin, data) => previewToolImport(getDb(), data));
}

export async function applyToolImportAction(input: unknown) {
  return runAdminAction("ADMIN", ApplyImportSchema, input, async (admin, data) => {
    const summary = await applyToolImport(getDb(), await requestActor(admin), data);
    revalidatePath("/", "layout");
    return summary;
  });
}
