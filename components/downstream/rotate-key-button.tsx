"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { rotateTokenSigningKeyAction } from "@/actions/downstream";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/dialog";

export function RotateTokenKeyButton({ envKey, activeKid }: { envKey: string; activeKid: string | null }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [message, setMessage] = useState<string>();
  const [pending, startTransition] = useTransition();
  return (
    <div className="flex flex-wrap items-center gap-2 text-sm">
      <span className="text-muted-foreground">
        Token signing key: <code className="font-mono">{activeKid ?? "created on the first exchange"}</code>
      </span>
      <Button size="sm" variant="secondary" onClick={() => setOpen(true)}>
        Rotate token signing key
      </Button>
      {message ? <span role="status">{message}</span> : null}
      <ConfirmDialog
        open={open}
        onOpenChange={setOpen}
        destructive={false}
        title="Rotate the token signing key?"
        description="New tokens are signed with a new key at once. The current key stays in the public JWKS for 24 hours, so tokens it signed keep verifying until they expire."
        confirmLabel="Rotate key"
        pending={pending}
        onConfirm={() =>
          startTransition(async () => {
            const result = await rotateTokenSigningKeyAction({ environment: envKey });
            setOpen(false);
            setMessage(result.ok ? `New token signing key ${result.data.kid}.` : result.error);
            router.refresh();
          })
        }
      />
    </div>
  );
}
