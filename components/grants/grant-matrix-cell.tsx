"use client";

import { Check, KeyRound } from "lucide-react";
import type { GrantCell, MatrixRole } from "@/lib/grants/grants";
import { cn } from "@/components/ui/cn";

/** One role × tool cell: a toggle and a scopes button for an editor, a mark otherwise. */
export function MatrixCell({
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
