import type { ReactNode } from "react";

/** Label, control, hint and errors, wired together for assistive technology. */
export function Field({ id, label, hint, errors, children }: { id: string; label: string; hint?: string; errors?: string[]; children: ReactNode }) {
  return (
    <div className="space-y-1.5">
      <label htmlFor={id} className="block text-sm font-medium">
        {label}
      </label>
      {children}
      {hint && !errors?.length ? (
        <p id={`${id}-hint`} className="text-xs text-muted-foreground">
          {hint}
        </p>
      ) : null}
      {errors?.map((error) => (
        <p key={error} id={`${id}-error`} className="text-xs text-destructive" role="alert">
          {error}
        </p>
      ))}
    </div>
  );
}
