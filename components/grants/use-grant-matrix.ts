"use client";

import { useRouter } from "next/navigation";
import { useOptimistic, useState, useTransition } from "react";
import type { GrantCell, GrantMatrix, MatrixRole, MatrixServer, MatrixTool } from "@/lib/grants/grants";
import { applyGrantsAction, revokeGrantAction, setGrantAction } from "@/actions/grants";

export type GrantMatrixFeedback = { tone: "success" | "error"; message: string };
type CellChange = { key: string; cell: GrantCell | null };
export type MatrixCellRef = { role: MatrixRole; tool: MatrixTool; server: MatrixServer };

const keyOf = (roleId: string, toolId: string) => `${roleId}:${toolId}`;
/** Tool names are unique per server only, so every accessible name carries the server too. */
export const toolLabel = (tool: { name: string }, server: { name: string }) => `${tool.name} (${server.name})`;

function toggleIn(set: Set<string>, ids: string[], on: boolean) {
  const next = new Set(set);
  for (const id of ids) {
    if (on) next.add(id);
    else next.delete(id);
  }
  return next;
}

/**
 * The grants matrix's state: the cells (changed optimistically on a click),
 * the selected tools and roles a bulk change applies to, the open scope or
 * bulk dialog, and the feedback of the last change.
 */
export function useGrantMatrix({ envKey, matrix }: { envKey: string; matrix: GrantMatrix }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [grants, applyOptimistic] = useOptimistic(matrix.grants, (state, change: CellChange) => {
    const next = { ...state };
    if (change.cell) next[change.key] = change.cell;
    else delete next[change.key];
    return next;
  });
  const [feedback, setFeedback] = useState<GrantMatrixFeedback | null>(null);
  const [selectedTools, setSelectedTools] = useState<Set<string>>(new Set());
  const [selectedRoles, setSelectedRoles] = useState<Set<string>>(new Set());
  const [editingCell, setEditingCell] = useState<MatrixCellRef | null>(null);
  const [bulk, setBulk] = useState<"grant" | "revoke" | null>(null);
  const [dialogError, setDialogError] = useState<string>();

  function run(change: CellChange | null, work: () => Promise<GrantMatrixFeedback>) {
    startTransition(async () => {
      if (change) applyOptimistic(change);
      setFeedback(await work());
      // Success or refusal: either way, show what the database holds now.
      router.refresh();
    });
  }

  /** Grants the cell without scopes, or revokes it. */
  function toggle({ role, tool, server }: MatrixCellRef) {
    const key = keyOf(role.id, tool.id);
    const current = grants[key];
    const label = toolLabel(tool, server);
    if (current) {
      run({ key, cell: null }, async () => {
        const result = await revokeGrantAction({ environment: envKey, roleId: role.id, toolId: tool.id, version: current.version });
        return result.ok ? { tone: "success", message: `Revoked ${label} from ${role.name}.` } : { tone: "error", message: result.error };
      });
    } else {
      run({ key, cell: { id: "pending", requiredScopes: [], version: 1 } }, async () => {
        const result = await setGrantAction({ environment: envKey, roleId: role.id, toolId: tool.id, requiredScopes: [], version: null });
        return result.ok ? { tone: "success", message: `Granted ${label} to ${role.name}.` } : { tone: "error", message: result.error };
      });
    }
  }

  function saveScopes(requiredScopes: string[]) {
    const target = editingCell;
    if (!target) return;
    const key = keyOf(target.role.id, target.tool.id);
    const current = grants[key];
    startTransition(async () => {
      const result = await setGrantAction({
        environment: envKey,
        roleId: target.role.id,
        toolId: target.tool.id,
        requiredScopes,
        version: current?.version ?? null,
      });
      router.refresh();
      if (!result.ok) {
        setDialogError(result.error);
        return;
      }
      setEditingCell(null);
      setDialogError(undefined);
      setFeedback({
        tone: "success",
        message: `${toolLabel(target.tool, target.server)} for ${target.role.name} now requires ${requiredScopes.length ? requiredScopes.join(", ") : "no scopes"}.`,
      });
    });
  }

  function applyBulk(action: "grant" | "revoke", requiredScopes: string[]) {
    startTransition(async () => {
      const result = await applyGrantsAction({ environment: envKey, roleIds: [...selectedRoles], toolIds: [...selectedTools], action, requiredScopes });
      router.refresh();
      if (!result.ok) {
        setDialogError(result.error);
        if (action === "revoke") {
          setBulk(null);
          setFeedback({ tone: "error", message: result.error });
        }
        return;
      }
      const { created, updated, revoked, unchanged } = result.data;
      setBulk(null);
      setDialogError(undefined);
      setSelectedRoles(new Set());
      setSelectedTools(new Set());
      setFeedback({
        tone: "success",
        message:
          action === "grant"
            ? `Bulk grant applied: ${created} granted, ${updated} updated, ${unchanged} already as chosen.`
            : `Bulk revoke applied: ${revoked} revoked, ${unchanged} were not granted.`,
      });
    });
  }

  return {
    pending,
    feedback,
    grantOf: (roleId: string, toolId: string): GrantCell | undefined => grants[keyOf(roleId, toolId)],
    toggle,

    selectedTools,
    selectedRoles,
    /** Cells a bulk change would touch. */
    pairs: selectedRoles.size * selectedTools.size,
    selectTools: (toolIds: string[], on: boolean) => setSelectedTools(toggleIn(selectedTools, toolIds, on)),
    selectRole: (roleId: string, on: boolean) => setSelectedRoles(toggleIn(selectedRoles, [roleId], on)),
    clearSelection: () => (setSelectedRoles(new Set()), setSelectedTools(new Set())),

    dialogError,
    editingCell,
    editingGrant: editingCell ? grants[keyOf(editingCell.role.id, editingCell.tool.id)] : undefined,
    editScopes: (cell: MatrixCellRef) => (setDialogError(undefined), setEditingCell(cell)),
    closeScopes: () => setEditingCell(null),
    saveScopes,

    bulk,
    openBulkGrant: () => (setDialogError(undefined), setBulk("grant")),
    openBulkRevoke: () => setBulk("revoke"),
    closeBulk: () => setBulk(null),
    applyBulk,
  };
}
