"use client";

import type { ScopeRow } from "@/lib/scopes/scopes";
import { createScopeAction, updateScopeAction } from "@/actions/roles";
import { CreateNamedButton, NameDescriptionFormDialog, type NamedValues } from "./name-description-form-dialog";

const EMPTY: NamedValues = { name: "", description: null };

export function CreateScopeButton({ envKey }: { envKey: string }) {
  return <CreateNamedButton label="Create scope" dialog={({ open, onOpenChange }) => <ScopeFormDialog envKey={envKey} open={open} onOpenChange={onOpenChange} scope={null} />} />;
}

export function ScopeFormDialog({
  envKey,
  open,
  onOpenChange,
  scope,
  onSaved,
}: {
  envKey: string;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  scope: ScopeRow | null;
  onSaved?: (message: string) => void;
}) {
  return (
    <NameDescriptionFormDialog
      noun="scope"
      open={open}
      onOpenChange={onOpenChange}
      current={scope}
      empty={EMPTY}
      description="An OAuth scope a token must carry for the grants that require it."
      nameHint={
        scope && scope.grantCount > 0
          ? `Renaming also updates the ${scope.grantCount} ${scope.grantCount === 1 ? "grant" : "grants"} that require it.`
          : "Letters, digits and _ . : - / with no spaces, for example tools:sales.read."
      }
      nameClassName="font-mono"
      save={(fields, version) => (scope ? updateScopeAction({ ...fields, environment: envKey, scopeId: scope.id, version }) : createScopeAction({ ...fields, environment: envKey }))}
      savedMessage={(data) => {
        const rewritten = "grantsRewritten" in data ? data.grantsRewritten : 0;
        return scope
          ? `Scope ${data.name} saved${rewritten ? `; ${rewritten} ${rewritten === 1 ? "grant now requires" : "grants now require"} the new name` : ""}.`
          : `Scope ${data.name} created.`;
      }}
      onSaved={onSaved}
    />
  );
}
