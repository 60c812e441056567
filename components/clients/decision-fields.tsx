"use client";

import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";

/** Scope ceiling, tool allow-list and note: what an approval can narrow, shared by register and review. */
export function DecisionFields({
  defaults,
  fieldErrors,
}: {
  defaults?: { scopeCeiling?: string[]; restrictTools?: boolean; allowedTools?: string[]; note?: string | null };
  fieldErrors: Record<string, string[]>;
}) {
  return (
    <div className="space-y-4">
      <Field id="scopeCeiling" label="Scope ceiling (optional)" hint="Space-separated. Tokens from this client are limited to these scopes; empty means no extra limit." errors={fieldErrors.scopeCeiling}>
        <Input id="scopeCeiling" name="scopeCeiling" defaultValue={defaults?.scopeCeiling?.join(" ") ?? ""} placeholder="e.g. tools:sales.read tools:crm.read" />
      </Field>
      <div className="space-y-1.5">
        <label className="flex items-center gap-2 text-sm font-medium">
          <input type="checkbox" name="restrictTools" className="h-4 w-4" defaultChecked={defaults?.restrictTools ?? false} />
          Only allow listed tools
        </label>
        <Input
          aria-label="Allowed tools"
          name="allowedTools"
          defaultValue={defaults?.allowedTools?.join(" ") ?? ""}
          placeholder="e.g. sales-mcp/get_invoice sales-mcp/list_customers"
        />
        <p className="text-xs text-muted-foreground">Space-separated server/tool names. Grants still apply on top.</p>
      </div>
      <Field id="note" label="Note (recorded in the audit trail)" errors={fieldErrors.note}>
        <Input id="note" name="note" defaultValue={defaults?.note ?? ""} placeholder="e.g. Reviewed with the security team" />
      </Field>
    </div>
  );
}

export function decisionValues(form: FormData) {
  const words = (name: string) =>
    String(form.get(name) ?? "")
      .split(/\s+/)
      .filter(Boolean);
  return {
    scopeCeiling: words("scopeCeiling"),
    restrictTools: form.get("restrictTools") === "on",
    allowedTools: words("allowedTools"),
    note: String(form.get("note") ?? "") || undefined,
  };
}
