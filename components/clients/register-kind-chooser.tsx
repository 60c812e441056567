"use client";

import { useState } from "react";
import type { ClientKind } from "@/lib/clients/status";
import { RegisterClientForm } from "./register-client-form";
import { RegisterPreRegisteredForm } from "./register-pre-registered-form";
import { KIND_LABEL } from "./client-badges";

const KIND_HINT: Record<ClientKind, string> = {
  CIMD: "The agent's client_id is an https URL to its metadata document. Warden fetches and checks it.",
  PRE_REGISTERED: "Your IdP (Okta, Entra ID, Auth0, Keycloak) issued the agent an opaque client_id such as 0oa1b2c3d4. You describe it here.",
};

/** Native radios, so the choice works with arrow keys and reads right to a screen reader. */
export function RegisterKindChooser({ environment, initialKind }: { environment: string; initialKind: ClientKind }) {
  const [kind, setKind] = useState<ClientKind>(initialKind);
  return (
    <div className="space-y-6">
      <fieldset className="rounded-lg border bg-surface p-5">
        <legend className="px-1 text-sm font-medium">How does the agent identify itself?</legend>
        <div className="mt-2 grid gap-3 md:grid-cols-2">
          {(["CIMD", "PRE_REGISTERED"] as const).map((value) => (
            <label key={value} className="flex cursor-pointer gap-3 rounded-md border p-3 has-[:checked]:border-primary has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-primary">
              <input type="radio" name="kind" value={value} checked={kind === value} onChange={() => setKind(value)} className="mt-1 h-4 w-4" />
              <span>
                <span className="block text-sm font-medium">{KIND_LABEL[value]}</span>
                <span className="block text-xs text-muted-foreground">{KIND_HINT[value]}</span>
              </span>
            </label>
          ))}
        </div>
      </fieldset>
      {kind === "CIMD" ? <RegisterClientForm environment={environment} /> : <RegisterPreRegisteredForm environment={environment} />}
    </div>
  );
}
