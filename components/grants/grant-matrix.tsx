"use client";

import Link from "next/link";
import { Fragment } from "react";
import type { GrantMatrix } from "@/lib/grants/grants";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { ConfirmDialog } from "@/components/ui/dialog";
import { MatrixCell } from "./grant-matrix-cell";
import { RiskMarkers } from "./risk-markers";
import { ScopePickerDialog, type ScopeOption } from "./scope-picker-dialog";
import { toolLabel, useGrantMatrix } from "./use-grant-matrix";

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * Roles × tools. A click grants or revokes a cell; the scopes button of a
 * granted cell picks the scopes it requires; checking tools and roles selects
 * the cells a bulk change applies to.
 */
export function GrantMatrixView({ envKey, matrix, scopes, editable }: { envKey: string; matrix: GrantMatrix; scopes: ScopeOption[]; editable: boolean }) {
  const state = useGrantMatrix({ envKey, matrix });
  const { pending, feedback, selectedTools, selectedRoles, pairs, editingCell, editingGrant, bulk, dialogError } = state;

  const toolCount = matrix.servers.reduce((sum, server) => sum + server.tools.length, 0);
  if (matrix.roles.length === 0 || toolCount === 0) return <EmptyMatrix envKey={envKey} editable={editable} noRoles={matrix.roles.length === 0} noTools={toolCount === 0} />;

  const selectionSummary = `${count(selectedTools.size, "tool", "tools")} × ${count(selectedRoles.size, "role", "roles")}`;
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
          <span>{selectionSummary} selected</span>
          <Button size="sm" disabled={pairs === 0 || pending} onClick={state.openBulkGrant}>
            Grant selected…
          </Button>
          <Button size="sm" variant="secondary" className="text-destructive" disabled={pairs === 0 || pending} onClick={state.openBulkRevoke}>
            Revoke selected…
          </Button>
          {selectedRoles.size || selectedTools.size ? (
            <Button size="sm" variant="ghost" onClick={state.clearSelection}>
              Clear selection
            </Button>
          ) : pending ? null : (
            // "Saving…" takes the hint's place rather than joining it: on a narrow row the two would wrap to a second
            // line and push the matrix down under the pointer for as long as the save takes.
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
                        onChange={(event) => state.selectRole(role.id, event.target.checked)}
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
                              onChange={(event) => state.selectTools(toolIds, event.target.checked)}
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
                                onChange={(event) => state.selectTools([tool.id], event.target.checked)}
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
                              grant={state.grantOf(role.id, tool.id)}
                              label={toolLabel(tool, server)}
                              role={role}
                              editable={editable}
                              pending={pending}
                              onToggle={() => state.toggle({ role, tool, server })}
                              onEditScopes={() => state.editScopes({ role, tool, server })}
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
          onOpenChange={(open) => !open && state.closeScopes()}
          title={`Scopes for ${toolLabel(editingCell.tool, editingCell.server)} and ${editingCell.role.name}`}
          description={`${editingCell.role.name} may call ${editingCell.tool.name} only when the token carries every checked scope.`}
          scopes={scopes}
          initial={editingGrant?.requiredScopes ?? []}
          confirmLabel={editingGrant ? "Save scopes" : "Grant with these scopes"}
          pending={pending}
          error={dialogError}
          envKey={envKey}
          onConfirm={state.saveScopes}
        />
      ) : null}
      {bulk === "grant" ? (
        <ScopePickerDialog
          open
          onOpenChange={(open) => !open && state.closeBulk()}
          title={`Grant ${count(selectedTools.size, "tool", "tools")} to ${count(selectedRoles.size, "role", "roles")}`}
          description={`Every selected cell (${pairs}) will be granted and require exactly the checked scopes, including cells granted already.`}
          scopes={scopes}
          initial={[]}
          confirmLabel={`Grant ${count(pairs, "cell", "cells")}`}
          pending={pending}
          error={dialogError}
          envKey={envKey}
          onConfirm={(requiredScopes) => state.applyBulk("grant", requiredScopes)}
        />
      ) : null}
      <ConfirmDialog
        open={bulk === "revoke"}
        onOpenChange={(open) => !open && state.closeBulk()}
        title={`Revoke ${count(selectedTools.size, "tool", "tools")} from ${count(selectedRoles.size, "role", "roles")}?`}
        description={`Every grant among the ${pairs} selected ${pairs === 1 ? "cell" : "cells"} is removed. Users with these roles lose access once the next configuration is published.`}
        confirmLabel={`Revoke ${count(pairs, "cell", "cells")}`}
        pending={pending}
        onConfirm={() => state.applyBulk("revoke", [])}
      />
    </div>
  );
}

function EmptyMatrix({ envKey, editable, noRoles, noTools }: { envKey: string; editable: boolean; noRoles: boolean; noTools: boolean }) {
  return (
    <div className="space-y-3 rounded-lg border border-dashed p-8 text-sm">
      {noRoles ? (
        <p>
          <span className="font-medium">No roles yet.</span> The matrix has one column per role.{" "}
          <Link href={`/${envKey}/roles`} className="font-medium text-primary underline-offset-4 hover:underline">
            {editable ? "Create a role" : "See roles"}
          </Link>{" "}
          to start granting tools.
        </p>
      ) : null}
      {noTools ? (
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
