"use client";

import { KeyRound } from "lucide-react";
import { useRouter } from "next/navigation";
import { useMemo, useState, useTransition } from "react";
import { createApiKeyAction, revokeApiKeyAction } from "@/actions/config";
import { StaticTable } from "@/components/data-table/static-table";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { ConfirmDialog, Dialog } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input, Select } from "@/components/ui/input";
import { handleSubmit } from "@/components/ui/submit";
import { CopyableValue } from "@/components/ui/copyable-value";
import { getApiKeysColumns, type ApiKeyRow } from "./api-keys-columns";

export function ApiKeysPanel({ environment, keys, servers, editable }: { environment: string; keys: ApiKeyRow[]; servers: { id: string; name: string }[]; editable: boolean }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [open, setOpen] = useState(false);
  const [created, setCreated] = useState<string | null>(null);
  const [error, setError] = useState<string>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  const [revoking, setRevoking] = useState<ApiKeyRow | null>(null);
  const [feedback, setFeedback] = useState<{ tone: "success" | "error"; message: string } | null>(null);

  function create(form: FormData) {
    startTransition(async () => {
      const expires = String(form.get("expiresInDays") ?? "365");
      const result = await createApiKeyAction({
        environment,
        label: String(form.get("label") ?? ""),
        serverId: String(form.get("serverId") ?? "") || null,
        expiresInDays: expires === "never" ? null : Number(expires),
      });
      if (!result.ok) {
        setError(result.error);
        setFieldErrors(result.fieldErrors ?? {});
        return;
      }
      setCreated(result.data.token);
      router.refresh();
    });
  }

  const columns = useMemo(() => getApiKeysColumns({ environment, editable, onRevoke: setRevoking }), [environment, editable]);

  return (
    <div className="space-y-4">
      {feedback ? <Alert tone={feedback.tone}>{feedback.message}</Alert> : null}
      {editable ? (
        <Button
          onClick={() => {
            setOpen(true);
            setCreated(null);
            setError(undefined);
            setFieldErrors({});
          }}
        >
          <KeyRound className="h-4 w-4" aria-hidden /> Create API key
        </Button>
      ) : null}
      <StaticTable
        label="API keys"
        data={keys}
        columns={columns}
        order={{ sort: "createdAt", dir: "desc" }}
        getRowId={(row) => row.id}
        emptyState={<p className="text-sm text-muted-foreground">No API keys yet. Create one for each MCP server that should poll this environment.</p>}
      />
      <Dialog open={open} onOpenChange={setOpen} title="Create an API key" description="An MCP server uses it to fetch this environment's config and send audit events.">
        {created ? (
          <div className="space-y-4">
            <Alert tone="warning" title="Copy the key now">
              It is shown this once; Warden keeps only a verifier and cannot show it again.
              <CopyableValue value={created} label="API key" />
            </Alert>
            <div className="flex justify-end">
              <Button onClick={() => setOpen(false)}>Done</Button>
            </div>
          </div>
        ) : (
          <form onSubmit={handleSubmit(create)} className="space-y-4" noValidate>
            {error ? <Alert tone="error">{error}</Alert> : null}
            <Field id="key-label" label="Label" hint="Which server and where it runs, e.g. sales-mcp prod eu-west." errors={fieldErrors.label}>
              <Input id="key-label" name="label" required autoFocus />
            </Field>
            <Field id="key-server" label="Server" errors={fieldErrors.serverId}>
              <Select id="key-server" name="serverId" defaultValue="">
                <option value="">Any server in this environment</option>
                {servers.map((server) => (
                  <option key={server.id} value={server.id}>
                    {server.name}
                  </option>
                ))}
              </Select>
            </Field>
            <Field id="key-expiry" label="Expires">
              <Select id="key-expiry" name="expiresInDays" defaultValue="365">
                <option value="30">in 30 days</option>
                <option value="90">in 90 days</option>
                <option value="365">in a year</option>
                <option value="never">never</option>
              </Select>
            </Field>
            <div className="flex justify-end gap-2">
              <Button variant="secondary" onClick={() => setOpen(false)}>
                Cancel
              </Button>
              <Button type="submit" disabled={pending}>
                {pending ? "Creating…" : "Create key"}
              </Button>
            </div>
          </form>
        )}
      </Dialog>
      <ConfirmDialog
        open={revoking !== null}
        onOpenChange={(value) => !value && setRevoking(null)}
        title={`Revoke ${revoking?.label ?? ""}?`}
        description="Servers using this key are refused within a minute. This cannot be undone; create a new key instead."
        confirmLabel="Revoke key"
        pending={pending}
        onConfirm={() => {
          const key = revoking;
          setRevoking(null);
          if (!key) return;
          startTransition(async () => {
            const result = await revokeApiKeyAction({ environment, id: key.id });
            setFeedback(result.ok ? { tone: "success", message: `${key.label} is revoked.` } : { tone: "error", message: result.error });
            router.refresh();
          });
        }}
      />
    </div>
  );
}
