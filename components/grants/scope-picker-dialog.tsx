"use client";

import Link from "next/link";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";

export type ScopeOption = { name: string; description: string | null };

/** Picks the scopes a grant requires: a token must carry every one of them. */
export function ScopePickerDialog({
  open,
  onOpenChange,
  title,
  description,
  scopes,
  initial,
  confirmLabel,
  pending,
  error,
  envKey,
  onConfirm,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  description: string;
  scopes: ScopeOption[];
  initial: string[];
  confirmLabel: string;
  pending: boolean;
  error?: string;
  envKey: string;
  onConfirm: (requiredScopes: string[]) => void;
}) {
  const [chosen, setChosen] = useState<Set<string>>(() => new Set(initial));
  // A grant may still name a scope the picker no longer lists only in a race; keep it visible rather than drop it silently.
  const options = [...scopes, ...initial.filter((name) => !scopes.some((scope) => scope.name === name)).map((name) => ({ name, description: "Unknown scope" }))];
  return (
    <Dialog open={open} onOpenChange={onOpenChange} title={title} description={description}>
      <form
        className="space-y-4"
        onSubmit={(event) => {
          event.preventDefault();
          onConfirm([...chosen].sort());
        }}
      >
        {error ? <Alert tone="error">{error}</Alert> : null}
        {options.length === 0 ? (
          <p className="text-sm text-muted-foreground">
            No scopes exist in this environment yet, so the grant requires none.{" "}
            <Link href={`/${envKey}/roles/scopes`} className="font-medium text-primary underline-offset-4 hover:underline">
              Create scopes
            </Link>{" "}
            to require them.
          </p>
        ) : (
          <fieldset className="max-h-72 space-y-2 overflow-y-auto">
            <legend className="mb-2 text-sm font-medium">Required scopes (a token must carry all that are checked)</legend>
            {options.map((scope) => (
              <label key={scope.name} className="flex items-start gap-2 text-sm">
                <input
                  type="checkbox"
                  className="mt-0.5 h-4 w-4"
                  checked={chosen.has(scope.name)}
                  onChange={(event) => {
                    const next = new Set(chosen);
                    if (event.target.checked) next.add(scope.name);
                    else next.delete(scope.name);
                    setChosen(next);
                  }}
                />
                <span>
                  <code>{scope.name}</code>
                  {scope.description ? <span className="block text-xs text-muted-foreground">{scope.description}</span> : null}
                </span>
              </label>
            ))}
          </fieldset>
        )}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => onOpenChange(false)}>
            Cancel
          </Button>
          <Button type="submit" disabled={pending}>
            {pending ? "Saving…" : confirmLabel}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
