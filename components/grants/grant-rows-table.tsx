"use client";

import { useRouter } from "next/navigation";
import { useMemo, useState, useTransition, type ReactNode } from "react";
import type { GrantListQuery } from "@/lib/grants/grants";
import { revokeGrantAction, setGrantAction } from "@/actions/grants";
import { DataTable } from "@/components/data-table/data-table";
import { Alert } from "@/components/ui/alert";
import { ConfirmDialog } from "@/components/ui/dialog";
import { describeGrant, getGrantRowsColumns, type GrantRowView } from "./grant-rows-columns";
import { ScopePickerDialog, type ScopeOption } from "./scope-picker-dialog";

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

  const columns = useMemo(
    () =>
      getGrantRowsColumns({
        envKey,
        subject,
        editable,
        onEditScopes: (row) => (setDialogError(undefined), setEditing(row)),
        onRevoke: setRevoking,
      }),
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
          title={`Scopes for ${describeGrant(editing)}`}
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
              setFeedback({ tone: "success", message: `${describeGrant(target)} now requires ${requiredScopes.length ? requiredScopes.join(", ") : "no scopes"}.` });
            });
          }}
        />
      ) : null}
      <ConfirmDialog
        open={revoking !== null}
        onOpenChange={(open) => !open && setRevoking(null)}
        title={`Revoke ${revoking ? describeGrant(revoking) : ""}?`}
        description="Users with this role lose access to the tool once the next configuration is published."
        confirmLabel="Revoke grant"
        pending={pending}
        onConfirm={() => {
          const target = revoking;
          setRevoking(null);
          if (!target) return;
          startTransition(async () => {
            const result = await revokeGrantAction({ environment: envKey, roleId: target.roleId, toolId: target.toolId, version: target.version });
            setFeedback(result.ok ? { tone: "success", message: `Revoked ${describeGrant(target)}.` } : { tone: "error", message: result.error });
            router.refresh();
          });
        }}
      />
    </div>
  );
}
