"use client";

import { UserPlus } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { ADMIN_ROLES, ROLE_DESCRIPTIONS } from "@/lib/auth/admin-roles";
import { inviteAdminAction } from "@/actions/admins";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { CopyableValue } from "@/components/ui/copyable-value";
import { Dialog } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { handleSubmit } from "@/components/ui/submit";
import { Input, Select } from "@/components/ui/input";

export function InviteAdminButton({ canInviteOwner }: { canInviteOwner: boolean }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  const [invited, setInvited] = useState<{ email: string; invitationUrl: string } | null>(null);

  function reset(nextOpen: boolean) {
    setOpen(nextOpen);
    if (!nextOpen) {
      setError(undefined);
      setFieldErrors({});
      setInvited(null);
    }
  }

  function submit(form: FormData) {
    startTransition(async () => {
      const result = await inviteAdminAction(Object.fromEntries(form.entries()));
      if (!result.ok) {
        setError(result.error);
        setFieldErrors(result.fieldErrors ?? {});
        return;
      }
      setInvited(result.data);
      router.refresh();
    });
  }

  return (
    <>
      <Button onClick={() => reset(true)}>
        <UserPlus className="h-4 w-4" aria-hidden /> Invite admin
      </Button>
      <Dialog open={open} onOpenChange={reset} title="Invite an admin" description="They can sign in with single sign-on using this email, or set a password from the link.">
        {invited ? (
          <div className="space-y-4">
            <Alert tone="success" title={`${invited.email} is invited`}>
              Send them this link. It works once and expires in 7 days.
              <CopyableValue value={invited.invitationUrl} label="Invitation link" />
            </Alert>
            <div className="flex justify-end">
              <Button onClick={() => reset(false)}>Done</Button>
            </div>
          </div>
        ) : (
          <form onSubmit={handleSubmit(submit)} className="space-y-4" noValidate>
            {error ? <Alert tone="error">{error}</Alert> : null}
            <Field id="invite-email" label="Email" errors={fieldErrors.email}>
              <Input id="invite-email" name="email" type="email" required autoFocus aria-invalid={Boolean(fieldErrors.email)} />
            </Field>
            <Field id="invite-name" label="Name (optional)" errors={fieldErrors.name}>
              <Input id="invite-name" name="name" />
            </Field>
            <Field id="invite-role" label="Role" errors={fieldErrors.role}>
              <Select id="invite-role" name="role" defaultValue="VIEWER">
                {ADMIN_ROLES.filter((role) => canInviteOwner || role !== "OWNER").map((role) => (
                  <option key={role} value={role}>
                    {role}: {ROLE_DESCRIPTIONS[role]}
                  </option>
                ))}
              </Select>
            </Field>
            <div className="flex justify-end gap-2">
              <Button variant="secondary" onClick={() => reset(false)}>
                Cancel
              </Button>
              <Button type="submit" disabled={pending}>
                {pending ? "Inviting…" : "Invite"}
              </Button>
            </div>
          </form>
        )}
      </Dialog>
    </>
  );
}
