"use client";

import { Check, KeyRound } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { Fragment, useOptimistic, useState, useTransition } from "react";
import type { GrantCell, GrantMatrix, MatrixRole, MatrixServer, MatrixTool } from "@/lib/grants/grants";
import { applyGrantsAction, revokeGrantAction, setGrantAction } from "@/actions/grants";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { ConfirmDialog } from "@/components/ui/dialog";
import { RiskMarkers } from "./risk-markers";
import { ScopePickerDialog, type ScopeOption } from "./scope-picker-dialog";

type Feedback = { tone: "success" | "error"; message: string };
type CellChange = { key: string; cell: GrantCell | null };

const keyOf = (roleId: string, toolId: string) => `${roleId}:${toolId}`;
/** Tool names are unique per server only, so every accessible name carries the server too. */
export const toolLabel = (tool: { name: string }, server: { name: string }) => `${tool.name} (${server.name})`;

/**
 * Roles × tools. A click grants or revokes a cell; the scopes button of a
 * granted cell picks the scopes it requires; checking tools and roles selects
 * the cells a bulk change applies to.
 */
export function GrantMatrixView({ envKey, matrix, scopes, editable }: { envKey: string; matrix: GrantMatrix; scopes: ScopeOption[]; editable: boolean }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [grants, applyOptimistic] = useOptimistic(matrix.grants, (state, change: CellChange) => {
    const next = { ...state };
    if (change.cell) next[change.key] = change.cell;
    else delete next[change.key];
    return next;
  });
  const [feedback, setFeedback] = useState<Feedback | null>(null);
  const [selectedTools, setSelectedTools] = useState<Set<string>>(new Set());
  const [selectedRoles, setSelectedRoles] = useState<Set<string>>(new Set());
  const [editingCell, setEditingCell] = useState<{ role: MatrixRole; tool: MatrixTool; server: MatrixServer } | null>(null);
  const [bulk, setBulk] = useState<"grant" | "revoke" | null>(null);
  const [dialogError, setDialogError] = useState<string>();

  const toolCount = matrix.servers.reduce((sum, server) => sum + server.tools.length, 0);
  if (matrix.roles.length === 0 || toolCount === 0) {
    return (
      <div className="space-y-3 rounded-lg border border-dashed p-8 text-sm">
        {matrix.roles.length === 0 ? (
          <p>
            <span className="font-medium">No roles yet.</span> The matrix has one column per role.{" "}
            <Link href={`/${envKey}/roles`} className="font-medium text-primary underline-offset-4 hover:underline">
              {editable ? "Create a role" : "See roles"}
            </Link>{" "}
            to start granting tools.
          </p>
        ) : null}
        {toolCount === 0 ? (
          <p>
            <span className="font-medium">No tools in this environment yet.</span> The matrix has one row per tool.{" "}
            <Link href={`/${envKey}/servers`} className="font-medium text-primary underline-offset-4 hover:underline">
              Add an MCP server and its tools under Servers &amp; Tools
            </Link>
            .
          </p>
        ) : null}
      </div>
    );
  }

  function run(change: CellChange | null, work: () => Promise<Feedback>) {
    startTransition(async () => {
      if (change) applyOptimistic(change);
      setFeedback(await work());
      // Success or refusal: either way, show what the database holds now.
      router.refresh();
    });
  }

  function toggle(role: MatrixRole, tool: MatrixTool, server: MatrixServer) {
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

  const toggleIn = (set: Set<string>, ids: string[], on: boolean) => {
    const next = new Set(set);
    for (const id of ids) {
      if (on) next.add(id);
      else next.delete(id);
    }
    return next;
  };
  const pairs = selectedRoles.size * selectedTools.size;
  const editingGrant = editingCell ? grants[keyOf(editingCell.role.id, editingCell.tool.id)] : undefined;

  return (
    <div className="space-y-4">
      {/* Floats over the page: an inline banner would push the matrix down under the pointer between two clicks. */}
      {feedback ? (
        <div className="fixed right-4 bottom-4 z-40 max-w-md rounded-md bg-background shadow-lg">
          <Alert tone={feedback.tone === "success" ? "success" : "error"}>{feedback.message}</Alert>
        </div>
      ) : null}
      {editable ? (
        <div className="flex flex-wrap items-center gap-3 rounded-md border bg-muted/50 px-3 py-2 text-sm" role="group" aria-label="Bulk changes">
          <span>
            {selectedTools.size} {selectedTools.size === 1 ? "tool" : "tools"} × {selectedRoles.size} {selectedRoles.size === 1 ? "role" : "roles"} selected
          </span>
          <Button size="sm" disabled={pairs === 0 || pending} onClick={() => (setDialogError(undefined), setBulk("grant"))}>
            Grant selected…
          </Button>
          <Button size="sm" variant="secondary" className="text-destructive" disabled={pairs === 0 || pending} onClick={() => setBulk("revoke")}>
            Revoke selected…
          </Button>
          {selectedRoles.size || selectedTools.size ? (
            <Button size="sm" variant="ghost" onClick={() => (setSelectedRoles(new Set()), setSelectedTools(new Set()))}>
              Clear selection
            </Button>
          ) : (
            <span className="text-xs text-muted-foreground">Check tools (rows) and roles (columns) to change many cells at once.</span>
          )}
          {pending ? (
            <span role="status" className="ml-auto text-xs text-muted-foreground">
              Saving…
            </span>
          ) : null}
        </div>
      ) : null}

      <div className="overflow-x-auto rounded-lg border bg-surface">
        <table className="w-full text-sm" aria-label="Grants matrix">
          <thead className="border-b bg-muted/40 text-left text-xs text-muted-foreground">
            <tr>
              <th scope="col" className="px-3 py-2 font-medium">
                Tool
              </th>
              {matrix.roles.map((role) => (
                <th key={role.id} scope="col" className="px-3 py-2 text-center font-medium">
                  <div className="flex flex-col items-center gap-1">
                    <Link href={`/${envKey}/roles/${role.id}`} className="text-foreground underline-offset-4 hover:underline" title={`${role.claimName} = ${role.claimValue}`}>
                      {role.name}
                    </Link>
                    {editable ? (
                      <input
                        type="checkbox"
                        className="h-4 w-4"
                        aria-label={`Select role ${role.name}`}
                        checked={selectedRoles.has(role.id)}
                        onChange={(event) => setSelectedRoles(toggleIn(selectedRoles, [role.id], event.target.checked))}
                      />
                    ) : null}
                  </div>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {matrix.servers
              .filter((server) => server.tools.length > 0)
              .map((server) => {
                const toolIds = server.tools.map((tool) => tool.id);
                const allSelected = toolIds.every((id) => selectedTools.has(id));
                return (
                  <Fragment key={server.id}>
                    <tr className="border-t bg-muted/30">
                      <th scope="rowgroup" aria-label={server.name} colSpan={matrix.roles.length + 1} className="px-3 py-1.5 text-left text-xs font-semibold tracking-wide uppercase">
                        <span className="inline-flex items-center gap-2">
                          {editable ? (
                            <input
                              type="checkbox"
                              className="h-4 w-4"
                              aria-label={`Select all tools of ${server.name}`}
                              checked={allSelected}
                              onChange={(event) => setSelectedTools(toggleIn(selectedTools, toolIds, event.target.checked))}
                            />
                          ) : null}
                          {server.name}
                        </span>
                      </th>
                    </tr>
                    {server.tools.map((tool) => (
                      <tr key={tool.id} className={cn("border-t", selectedTools.has(tool.id) && "bg-primary/5")}>
                        <th scope="row" className="px-3 py-2 text-left font-normal">
                          <div className="flex flex-wrap items-center gap-2">
                            {editable ? (
                              <input
                                type="checkbox"
                                className="h-4 w-4"
                                aria-label={`Select tool ${toolLabel(tool, server)}`}
                                checked={selectedTools.has(tool.id)}
                                onChange={(event) => setSelectedTools(toggleIn(selectedTools, [tool.id], event.target.checked))}
                              />
                            ) : null}
                            <Link href={`/${envKey}/roles/tools/${tool.id}`} className="font-mono text-sm underline-offset-4 hover:underline" title="Who can call this?">
                              {tool.name}
                            </Link>
                            <RiskMarkers risk={tool} />
                            {!tool.enabled ? <Badge>disabled</Badge> : null}
                          </div>
                        </th>
                        {matrix.roles.map((role) => (
                          <td key={role.id} className="px-3 py-2 text-center align-middle">
                            <MatrixCell
                              grant={grants[keyOf(role.id, tool.id)]}
                              label={toolLabel(tool, server)}
                              role={role}
                              editable={editable}
                              pending={pending}
                              onToggle={() => toggle(role, tool, server)}
                              onEditScopes={() => (setDialogError(undefined), setEditingCell({ role, tool, server }))}
                            />
                          </td>
                        ))}
                      </tr>
                    ))}
                  </Fragment>
                );
              })}
          </tbody>
        </table>
      </div>

      {editingCell ? (
        <ScopePickerDialog
          key={`${editingCell.role.id}:${editingCell.tool.id}:${editingGrant?.version ?? 0}`}
          open
          onOpenChange={(open) => !open && setEditingCell(null)}
          title={`Scopes for ${toolLabel(editingCell.tool, editingCell.server)} and ${editingCell.role.name}`}
          description={`${editingCell.role.name} may call ${editingCell.tool.name} only when the token carries every checked scope.`}
          scopes={scopes}
          initial={editingGrant?.requiredScopes ?? []}
          confirmLabel={editingGrant ? "Save scopes" : "Grant with these scopes"}
          pending={pending}
          error={dialogError}
          envKey={envKey}
          onConfirm={saveScopes}
        />
      ) : null}
      {bulk === "grant" ? (
        <ScopePickerDialog
          open
          onOpenChange={(open) => !open && setBulk(null)}
          title={`Grant ${selectedTools.size} ${selectedTools.size === 1 ? "tool" : "tools"} to ${selectedRoles.size} ${selectedRoles.size === 1 ? "role" : "roles"}`}
          description={`Every selected cell (${pairs}) will be granted and require exactly the checked scopes, including cells granted already.`}
          scopes={scopes}
          initial={[]}
          confirmLabel={`Grant ${pairs} ${pairs === 1 ? "cell" : "cells"}`}
          pending={pending}
          error={dialogError}
          envKey={envKey}
          onConfirm={(requiredScopes) => applyBulk("grant", requiredScopes)}
        />
      ) : null}
      <ConfirmDialog
        open={bulk === "revoke"}
        onOpenChange={(open) => !open && setBulk(null)}
        title={`Revoke ${selectedTools.size} ${selectedTools.size === 1 ? "tool" : "tools"} from ${selectedRoles.size} ${selectedRoles.size === 1 ? "role" : "roles"}?`}
        description={`Every grant among the ${pairs} selected ${pairs === 1 ? "cell" : "cells"} is removed. Users with these roles lose access once the next configuration is published.`}
        confirmLabel={`Revoke ${pairs} ${pairs === 1 ? "cell" : "cells"}`}
        pending={pending}
        onConfirm={() => applyBulk("revoke", [])}
      />
    </div>
  );
}

function MatrixCell({
  grant,
  label,
  role,
  editable,
  pending,
  onToggle,
  onEditScopes,
}: {
  grant: GrantCell | undefined;
  label: string;
  role: MatrixRole;
  editable: boolean;
  pending: boolean;
  onToggle: () => void;
  onEditScopes: () => void;
}) {
  const scopeList = grant?.requiredScopes.length ? grant.requiredScopes.join(", ") : "no scopes";
  if (!editable) {
    return grant ? (
      <span className="inline-flex items-center gap-1 text-success" title={`Requires ${scopeList}`}>
        <Check className="h-4 w-4" aria-hidden />
        <span className="sr-only">
          {role.name} may call {label}, requiring {scopeList}
        </span>
        {grant.requiredScopes.length ? <span className="text-xs text-muted-foreground">{grant.requiredScopes.length}</span> : null}
      </span>
    ) : (
      <span className="text-muted-foreground/50">
        <span aria-hidden>·</span>
        <span className="sr-only">
          {role.name} may not call {label}
        </span>
      </span>
    );
  }
  return (
    <div className="inline-flex items-center gap-1">
      <button
        type="button"
        aria-pressed={Boolean(grant)}
        aria-label={`Grant ${label} to ${role.name}`}
        disabled={pending}
        onClick={onToggle}
        className={cn(
          "inline-flex h-7 w-7 items-center justify-center rounded border transition-colors focus-visible:ring-2 focus-visible:ring-primary focus-visible:outline-none disabled:opacity-60",
          grant ? "border-success/50 bg-success/15 text-success" : "bg-surface hover:bg-muted",
        )}
      >
        {grant ? <Check className="h-4 w-4" aria-hidden /> : null}
      </button>
      <button
        type="button"
        aria-label={`Required scopes for ${label} and ${role.name}`}
        title={grant ? `Requires ${scopeList}` : "Grant with scopes"}
        disabled={pending}
        onClick={onEditScopes}
        className="inline-flex h-7 min-w-7 items-center justify-center gap-0.5 rounded px-1 text-xs text-muted-foreground hover:bg-muted focus-visible:ring-2 focus-visible:ring-primary focus-visible:outline-none"
      >
        <KeyRound className="h-3 w-3" aria-hidden />
        {grant?.requiredScopes.length ? <span className="tabular-nums">{grant.requiredScopes.length}</span> : null}
      </button>
    </div>
  );
}
