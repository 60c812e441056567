"use client";

import { useMemo } from "react";
import type { ScopeListQuery, ScopeRow } from "@/lib/scopes/scopes";
import { deleteScopeAction } from "@/actions/roles";
import { NameDescriptionTable } from "./name-description-table";
import { ScopeFormDialog } from "./scope-form-dialog";
import { getScopesColumns } from "./scopes-columns";

export function ScopesTable({ envKey, rows, total, query, editable }: { envKey: string; rows: ScopeRow[]; total: number; query: ScopeListQuery; editable: boolean }) {
  const columns = useMemo(() => getScopesColumns(), []);
  return (
    <NameDescriptionTable
      noun="scope"
      label="Scopes"
      rows={rows}
      total={total}
      query={query}
      editable={editable}
      columns={columns}
      searchPlaceholder="Search scopes"
      emptyState={
        query.q ? (
          <p className="text-sm text-muted-foreground">No scope matches this search. Clear it to see every scope.</p>
        ) : (
          <p className="text-sm text-muted-foreground">
            No scopes yet. {editable ? "Create the OAuth scopes your grants should require, such as tools:sales.read." : "An admin has not created any scopes here."}
          </p>
        )
      }
      renderEditDialog={({ row, onOpenChange, onSaved }) => <ScopeFormDialog envKey={envKey} open onOpenChange={onOpenChange} scope={row} onSaved={onSaved} />}
      deleteConfirmation={(scope) => ({
        description:
          scope && scope.grantCount > 0
            ? `${scope.grantCount} ${scope.grantCount === 1 ? "grant requires" : "grants require"} this scope, so it cannot be deleted until you remove it from them.`
            : "No grant requires it. Tokens may still carry it; Warden will just stop knowing it.",
        confirmLabel: "Delete scope",
      })}
      deleteRow={async (scope) => {
        const result = await deleteScopeAction({ environment: envKey, scopeId: scope.id, version: scope.version });
        return result.ok ? { tone: "success", message: `Scope ${result.data.name} deleted.` } : { tone: "error", message: result.error };
      }}
    />
  );
}
