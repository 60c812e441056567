"use client";

import type { ServerDetail } from "@/lib/servers/servers";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Alert } from "@/components/ui/alert";

export const TEXTAREA = "w-full rounded-md border bg-surface px-3 py-2 text-sm placeholder:text-muted-foreground disabled:opacity-60 aria-[invalid=true]:border-destructive";

/** The fields of a server, shared by the "Add server" dialog and the edit form. */
export function ServerFields({
  idPrefix,
  defaults,
  fieldErrors,
  readOnly = false,
  autoFocus = false,
}: {
  idPrefix: string;
  defaults?: Partial<ServerDetail>;
  fieldErrors: Record<string, string[]>;
  readOnly?: boolean;
  autoFocus?: boolean;
}) {
  const id = (name: string) => `${idPrefix}-${name}`;
  return (
    <fieldset disabled={readOnly} className="space-y-4">
      <Field id={id("name")} label="Name" errors={fieldErrors.name}>
        <Input id={id("name")} name="name" defaultValue={defaults?.name ?? ""} required autoFocus={autoFocus} aria-invalid={Boolean(fieldErrors.name)} />
      </Field>
      <Field
        id={id("resourceUri")}
        label="Resource identifier"
        hint="The MCP server's canonical URI (RFC 8707): https (plain http only on localhost, 127.0.0.1 or [::1]), lowercase host, no trailing slash, query or fragment. Tokens are issued for exactly this audience."
        errors={fieldErrors.resourceUri}
      >
        <Input
          id={id("resourceUri")}
          name="resourceUri"
          defaultValue={defaults?.resourceUri ?? ""}
          placeholder="e.g. https://mcp.example.com/mcp"
          className="font-mono"
          aria-invalid={Boolean(fieldErrors.resourceUri)}
        />
      </Field>
      <Field
        id={id("authorizationServer")}
        label="Authorization server issuer (optional)"
        hint="The issuer URL of the OAuth authorization server that issues tokens for this server. Leave it empty only for a server without OAuth (a local tool server): agents then get no token for it, and token exchange is unavailable."
        errors={fieldErrors.authorizationServer}
      >
        <Input
          id={id("authorizationServer")}
          name="authorizationServer"
          defaultValue={defaults?.authorizationServer ?? ""}
          placeholder="e.g. https://auth.example.com"
          className="font-mono"
          aria-invalid={Boolean(fieldErrors.authorizationServer)}
        />
      </Field>
      {defaults && !defaults.authorizationServer ? (
        <Alert tone="warning" title="No authorization server">
          Agents cannot obtain access tokens for this server, and its protected resource metadata lists no authorization server. That suits a local tool server without OAuth; add the issuer if agents should reach it with tokens.
        </Alert>
      ) : null}
      <Field id={id("jwksUri")} label="JWKS URL (optional)" hint="Where the server fetches keys to verify access tokens, if not from the issuer's metadata." errors={fieldErrors.jwksUri}>
        <Input id={id("jwksUri")} name="jwksUri" defaultValue={defaults?.jwksUri ?? ""} className="font-mono" aria-invalid={Boolean(fieldErrors.jwksUri)} />
      </Field>
      <Field id={id("scopesSupported")} label="Scopes supported (optional)" hint="Separated by spaces, commas or new lines." errors={fieldErrors.scopesSupported ?? fieldErrors["scopesSupported.0"]}>
        <textarea
          id={id("scopesSupported")}
          name="scopesSupported"
          rows={2}
          defaultValue={defaults?.scopesSupported?.join(" ") ?? ""}
          placeholder="e.g. tools:sales.read tools:sales.write"
          className={`${TEXTAREA} font-mono`}
          aria-invalid={Boolean(fieldErrors.scopesSupported)}
        />
      </Field>
      <Field id={id("description")} label="Description (optional)" errors={fieldErrors.description}>
        <textarea id={id("description")} name="description" rows={2} defaultValue={defaults?.description ?? ""} className={TEXTAREA} />
      </Field>
    </fieldset>
  );
}

/** Zod reports a bad scope at "scopesSupported.3"; the form shows it under the field. */
export function groupFieldErrors(fieldErrors: Record<string, string[]> | undefined): Record<string, string[]> {
  const grouped: Record<string, string[]> = {};
  for (const [key, messages] of Object.entries(fieldErrors ?? {})) {
    const field = key.split(".")[0]!;
    grouped[field] = [...new Set([...(grouped[field] ?? []), ...messages])];
  }
  return grouped;
}
