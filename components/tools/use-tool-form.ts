"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import type { ToolDetail } from "@/lib/tools/tools";
import { approveToolDefinitionAction, createToolAction, deleteToolAction, updateToolAction } from "@/actions/tools";
import { ANNOTATION_KEYS } from "./tool-annotations";

export type ToolFormRefs = { environmentId: string; serverId: string; serverPath: string };

const NEW_SCHEMA = '{\n  "type": "object",\n  "properties": {},\n  "additionalProperties": false\n}\n';

/** Errors on nested fields (inputSchema.properties…) are shown at their top-level field. */
function groupFieldErrors(fieldErrors: Record<string, string[]>): Record<string, string[]> {
  const grouped: Record<string, string[]> = {};
  for (const [key, messages] of Object.entries(fieldErrors)) grouped[key.split(".")[0]!] = [...(grouped[key.split(".")[0]!] ?? []), ...messages];
  return grouped;
}

/**
 * The tool form's state: the tool as last saved (null until created), the
 * schema text, errors and notices, the values of someone else's newer save
 * after a stale write, and the save, approve and delete flows.
 */
export function useToolForm({ refs, tool }: { refs: ToolFormRefs; tool: ToolDetail | null }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [shown, setShown] = useState<ToolDetail | null>(tool);
  // Loading someone else's values remounts the form, so its uncontrolled fields show them.
  const [formKey, setFormKey] = useState(0);
  const [schemaText, setSchemaText] = useState(tool ? JSON.stringify(tool.inputSchema, null, 2) : NEW_SCHEMA);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  const [theirs, setTheirs] = useState<ToolDetail | null>(null);
  const [confirmingDelete, setConfirmingDelete] = useState(false);

  function submit(form: FormData) {
    setNotice(undefined);
    const input = {
      ...refs,
      name: form.get("name"),
      title: form.get("title"),
      description: form.get("description"),
      inputSchema: schemaText,
      annotations: Object.fromEntries(ANNOTATION_KEYS.map((key) => [key, form.has(key)])),
      riskTier: form.get("riskTier"),
      requiresApproval: form.has("requiresApproval"),
      enabled: form.has("enabled"),
    };
    startTransition(async () => {
      const result = shown ? await updateToolAction({ ...input, toolId: shown.id, version: shown.version }) : await createToolAction(input);
      if (!result.ok) {
        setError(result.error);
        setFieldErrors(groupFieldErrors(result.fieldErrors ?? {}));
        setTheirs((result.current as ToolDetail | undefined) ?? null);
        return;
      }
      setError(undefined);
      setFieldErrors({});
      setTheirs(null);
      if (!shown) {
        router.push(`${refs.serverPath}/tools/${result.data.id}`);
        return;
      }
      setShown(result.data as ToolDetail);
      setNotice("Saved. The new definition is approved.");
      router.refresh();
    });
  }

  function loadTheirs(fresh: ToolDetail) {
    setShown(fresh);
    setSchemaText(JSON.stringify(fresh.inputSchema, null, 2));
    setFormKey((key) => key + 1);
    setTheirs(null);
    setError(undefined);
    setFieldErrors({});
  }

  function approveDefinition() {
    if (!shown) return;
    startTransition(async () => {
      const result = await approveToolDefinitionAction({ ...refs, toolId: shown.id, version: shown.version });
      if (result.ok) {
        setShown(result.data as ToolDetail);
        setNotice("Definition approved.");
      } else setError(result.error);
      router.refresh();
    });
  }

  function deleteTool() {
    if (!shown) return;
    startTransition(async () => {
      const result = await deleteToolAction({ ...refs, toolId: shown.id, version: shown.version });
      setConfirmingDelete(false);
      if (!result.ok) {
        setError(result.error);
        setTheirs((result.current as ToolDetail | undefined) ?? null);
        return;
      }
      router.push(refs.serverPath);
    });
  }

  return {
    pending,
    shown,
    formKey,
    schemaText,
    setSchemaText,
    error,
    notice,
    fieldErrors,
    theirs,
    confirmingDelete,
    setConfirmingDelete,
    submit,
    loadTheirs,
    approveDefinition,
    deleteTool,
  };
}
