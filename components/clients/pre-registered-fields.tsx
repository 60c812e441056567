"use client";

import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { TEXTAREA } from "@/components/servers/server-form";

// The same limit as the server's; checked here too so a large file is refused before it is sent.
const LOGO_MAX_BYTES = 64 * 1024;

export type PreRegisteredDefaults = { displayName?: string | null; owner?: string | null; description?: string | null; redirectUris?: string[] };

/** What an admin says about a client that has no metadata document: shared by register and edit. */
export function PreRegisteredDetailsFields({ defaults, fieldErrors, logoHint }: { defaults?: PreRegisteredDefaults; fieldErrors: Record<string, string[]>; logoHint?: string }) {
  const redirectErrors = Object.entries(fieldErrors)
    .filter(([key]) => key === "redirectUris" || key.startsWith("redirectUris."))
    .flatMap(([, errors]) => errors);
  return (
    <div className="space-y-4">
      <Field id="displayName" label="Display name" hint="The name admins and auditors will know this agent by." errors={fieldErrors.displayName}>
        <Input id="displayName" name="displayName" required maxLength={200} defaultValue={defaults?.displayName ?? ""} placeholder="e.g. Sales assistant" aria-invalid={Boolean(fieldErrors.displayName)} />
      </Field>
      <Field id="owner" label="Owner or team" hint="Who answers for this agent." errors={fieldErrors.owner}>
        <Input id="owner" name="owner" required maxLength={200} defaultValue={defaults?.owner ?? ""} placeholder="e.g. Revenue platform team" aria-invalid={Boolean(fieldErrors.owner)} />
      </Field>
      <Field id="description" label="Description (optional)" errors={fieldErrors.description}>
        <textarea id="description" name="description" rows={3} maxLength={2000} defaultValue={defaults?.description ?? ""} className={TEXTAREA} placeholder="e.g. Answers account questions in the CRM" />
      </Field>
      <Field id="redirectUris" label="Redirect URIs (optional, for display)" hint="One per line. Your IdP enforces them; Warden only shows them to reviewers." errors={redirectErrors.length ? redirectErrors : undefined}>
        <textarea id="redirectUris" name="redirectUris" rows={2} defaultValue={defaults?.redirectUris?.join("\n") ?? ""} className={`${TEXTAREA} font-mono`} placeholder="e.g. https://agents.example.com/callback" />
      </Field>
      <Field id="logo" label="Logo (optional)" hint={logoHint ?? "PNG, JPEG, GIF or WebP, at most 64 KB. SVG is refused."} errors={fieldErrors.logo}>
        <input id="logo" name="logo" type="file" accept="image/png,image/jpeg,image/gif,image/webp" className="block text-sm" />
      </Field>
    </div>
  );
}

export function detailsValues(form: FormData) {
  return {
    displayName: String(form.get("displayName") ?? ""),
    owner: String(form.get("owner") ?? ""),
    description: String(form.get("description") ?? "") || null,
    redirectUris: String(form.get("redirectUris") ?? "")
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter(Boolean),
  };
}

/** The chosen logo file as base64, undefined when none was chosen, or a form error. */
export async function logoValue(form: FormData): Promise<{ logo?: string; error?: string }> {
  const file = form.get("logo");
  if (!(file instanceof File) || file.size === 0) return {};
  if (file.size > LOGO_MAX_BYTES) return { error: `The logo is larger than ${LOGO_MAX_BYTES / 1024} KB.` };
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { logo: btoa(binary) };
}
