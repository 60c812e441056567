"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMemo, useState, useTransition, type ReactNode } from "react";
import type { GrantListQuery, ToolRisk } from "@/lib/grants/grants";
import { revokeGrantAction, setGrantAction } from "@/actions/grants";
import { DataTable, type DataTableColumn } from "@/components/data-table/data-table";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/dialog";
import { RelativeTime } from "@/components/ui/relative-time";
import { RiskMarkers } from "./risk-markers";
import { ScopePickerDialog, type ScopeOption } from "./scope-picker-dialog";

export type GrantRowView = {
  id: string;
  roleId: string;
  roleName: string;
  roleClaim: string;
  toolId: string;
  toolName: string;
  serverName: string;
  risk: ToolRisk;
  requiredScopes: string[];
  version: number;
  updatedAt: string;
};

/**
 * The grants of one role ("what can this role do?") or of one tool ("who can
 * call this?"): the same rows seen from either side.
 */
export function GrantRowsTable({
  envKey,
  subject,
  rows,
  total,
  query,
  scopes,
  editable,
  emptyState,
}: {
  envKey: string;
  /** What each row names: the tools a role may call, or the roles that may call a tool. */
  subject: "tool" | "role";
  rows: GrantRowView[];
  total: number;
  query: GrantListQuery;
  scopes: ScopeOption[];
  editable: boolean;
  emptyState: ReactNode;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [feedback, setFeedback] = useState<{ tone: "success" | "error"; message: string } | null>(null);
  const [editing, setEditing] = useState<GrantRowView | null>(null);
  const [revoking, setRevoking] = useState<GrantRowView | null>(null);
  const [dialogError, setDialogError] = useState<string>();
  const describe = (row: GrantRowView) => `${row.toolName} (${row.serverName}) for ${row.roleName}`;

  const columns = useMemo<DataTableColumn<GrantRowView>[]>(
    () => [
      subject === "tool"
        ? {
            id: "name",
            header: "Tool",
            enableHiding: false,
            cell: ({ row }) => (
              <div className="flex flex-wrap items-center gap-2">
                <Link href={`/${envKey}/roles/tools/${row.original.toolId}`} className="font-mono underline-offset-4 hover:underline">
                  {row.original.toolName}
                </Link>
                <span className="text-xs text-muted-foreground">on {row.original.serverName}</span>
                <RiskMarkers risk={row.original.risk} />
              </div>
            ),
          }
        : {
            id: "name",
            header: "Role",
            enableHiding: false,
            cell: ({ row }) => (
              <div>
                <Link href={`/${envKey}/roles/${row.original.roleId}`} className="font-medium text-primary underline-offset-4 hover:underline">
                  {row.original.roleName}
                </Link>
                <div className="text-xs text-muted-foreground">
                  <code>{row.original.roleClaim}</code>
                </div>
              </div>
            ),
          },
      {
        id: "requiredScopes",
        header: "Required scopes",
        enableSorting: false,
        cell: ({ row }) =>
          row.original.requiredScopes.length ? (
            <div className="flex flex-wrap gap-1">
              {row.original.requiredScopes.map((scope) => (
                <code key={scope} className="rounded bg-muted px-1.5 py-0.5 text-xs">
                  {scope}
                </code>
              ))}
            </div>
          ) : (
            <span className="text-xs text-muted-foreground">none: the role alone suffices</span>
          ),
      },
      { id: "updatedAt", header: "Changed", cell: ({ row }) => <RelativeTime iso={row.original.updatedAt} /> },
      {
        id: "actions",
        header: () => <span className="sr-only">Actions</span>,
        enableSorting: false,
        enableHiding: false,
        cell: ({ row }) =>
          editable ? (
            <div className="flex justify-end gap-2">
              <Button variant="ghost" size="sm" aria-label={`Edit scopes of ${describe(row.original)}`} onClick={() => (setDialogError(undefined), setEditing(row.original))}>
                Edit scopes
              </Button>
              <Button variant="ghost" size="sm" className="text-destructive" aria-label={`Revoke ${describe(row.original)}`} onClick={() => setRevoking(row.original)}>
                Revoke
              </Button>
            </div>
          ) : null,
      },
    ],
    [envKey, subject, editable],
  );

  return (
    <div className="space-y-4">
      {feedback ? <Alert tone={feedback.tone === "success" ? "success" : "error"}>{feedback.message}</Alert> : null}
      <DataTable
        label={subject === "tool" ? "Tools this role may call" : "Roles that may call this tool"}
        data={rows}
        columns={columns}
        total={total}
        page={query.page}
        size={query.size}
        sort={query.sort}
        dir={query.dir}
        getRowId={(row) => row.id}
        searchPlaceholder={subject === "tool" ? "Search tools or servers" : "Search roles"}
        emptyState={emptyState}
      />
      {editing ? (
        <ScopePickerDialog
          key={editing.id}
          open
          onOpenChange={(open) => !open && setEditing(null)}
          title={`Scopes for ${describe(editing)}`}
          description={`${editing.roleName} may call ${editing.toolName} only when the token carries every checked scope.`}
          scopes={scopes}
          initial={editing.requiredScopes}
          confirmLabel="Save scopes"
          pending={pending}
          error={dialogError}
          envKey={envKey}
          onConfirm={(requiredScopes) => {
            const target = editing;
            startTransition(async () => {
              const result = await setGrantAction({ environment: envKey, roleId: target.roleId, toolId: target.toolId, requiredScopes, version: target.version });
              router.refresh();
              if (!result.ok) {
                setDialogError(result.error);
                return;
              }
              setEditing(null);
              setFeedback({ tone: "success", message: `${describe(target)} now requires ${requiredScopes.length ? requiredScopes.join(", ") : "no scopes"}.` });
            });
          }}
        />
      ) : null}
      <ConfirmDialog
        open={revoking !== null}
        onOpenChange={(open) => !open && setRevoking(null)}
        title={`Revoke ${revoking ? describe(revoking) : ""}?`}
        description="Users with this role lose access to the tool once the next configuration is published."
        confirmLabel="Revoke grant"
        pending={pending}
        onConfirm={() => {
          const target = revoking;
          setRevoking(null);
          if (!target) return;
          startTransition(async () => {
            const result = await revokeGrantAction({ environment: envKey, roleId: target.roleId, toolId: target.toolId, version: target.version });
            setFeedback(result.ok ? { tone: "success", message: `Revoked ${describe(target)}.` } : { tone: "error", message: result.error });
            router.refresh();
          });
        }}
      />
    </div>
  );
}
