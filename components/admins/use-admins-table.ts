"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import type { AdminRow } from "@/lib/admins/admins";
import type { AdminRole } from "@/lib/auth/admin-roles";
import {
  changeAdminRoleAction,
  reissueInvitationAction,
  setAdminDisabledAction,
  startPasswordResetAction,
} from "@/actions/admins";

export type AdminsFeedback = { tone: "success" | "error"; message: string; link?: { url: string; label: string } };

/**
 * What the admins table does to a row (role, invitation, password reset,
 * enable, disable after a confirmation) and the feedback each leaves.
 */
export function useAdminsTable() {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [feedback, setFeedback] = useState<AdminsFeedback | null>(null);
  const [confirming, setConfirming] = useState<AdminRow | null>(null);

  function run(work: () => Promise<AdminsFeedback>) {
    startTransition(async () => {
      const result = await work();
      setFeedback(result);
      // Success or a stale write: either way, show what the database holds now.
      router.refresh();
    });
  }

  function changeRole(admin: AdminRow, role: AdminRole) {
    run(async () => {
      const result = await changeAdminRoleAction({ adminId: admin.id, role, version: admin.version });
      return result.ok
        ? { tone: "success", message: `${admin.email} is now ${role}. Their sessions have ended; they sign in again with the new role.` }
        : { tone: "error", message: result.error };
    });
  }

  function reissueInvitation(admin: AdminRow) {
    run(async () => {
      const result = await reissueInvitationAction({ adminId: admin.id });
      return result.ok
        ? {
            tone: "success",
            message: `New invitation link for ${result.data.email}. Earlier links no longer work.`,
            link: { url: result.data.invitationUrl, label: "Invitation link" },
          }
        : { tone: "error", message: result.error };
    });
  }

  function startPasswordReset(admin: AdminRow) {
    run(async () => {
      const result = await startPasswordResetAction({ adminId: admin.id });
      return result.ok
        ? {
            tone: "success",
            message: `Password reset link for ${result.data.email}. It works once, within 24 hours; their current password keeps working until it is used.`,
            link: { url: result.data.resetUrl, label: "Password reset link" },
          }
        : { tone: "error", message: result.error };
    });
  }

  function enable(admin: AdminRow) {
    run(async () => {
      const result = await setAdminDisabledAction({ adminId: admin.id, disabled: false, version: admin.version });
      return result.ok ? { tone: "success", message: `${admin.email} can sign in again.` } : { tone: "error", message: result.error };
    });
  }

  /** Disabling ends every session at once, so it is asked first. */
  function confirmDisable() {
    const target = confirming;
    setConfirming(null);
    if (!target) return;
    run(async () => {
      const result = await setAdminDisabledAction({ adminId: target.id, disabled: true, version: target.version });
      return result.ok ? { tone: "success", message: `${target.email} is disabled.` } : { tone: "error", message: result.error };
    });
  }

  return {
    pending,
    feedback,
    /** The admin a disable waits to be confirmed for. */
    confirming,
    askDisable: (admin: AdminRow) => setConfirming(admin),
    cancelDisable: () => setConfirming(null),
    confirmDisable,
    changeRole,
    reissueInvitation,
    startPasswordReset,
    enable,
  };
}
