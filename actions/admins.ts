"use server";

import "server-only";
import { revalidatePath } from "next/cache";
import {
  ChangeAdminRoleSchema,
  InviteAdminSchema,
  ReissueInvitationSchema,
  SetAdminDisabledSchema,
  StartPasswordResetSchema,
  changeAdminRole,
  inviteAdmin,
  reissueInvitation,
  setAdminDisabled,
  startPasswordReset,
  type Actor,
} from "@/lib/admins/admins";
import { requestActor } from "@/lib/actions/request-actor";
import { runAdminAction } from "@/lib/actions/run-admin-action";
import type { CurrentAdmin } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";

async function actorFrom(admin: CurrentAdmin): Promise<Actor> {
  return { ...(await requestActor(admin)), role: admin.role };
}

// Invitation and password reset links both open /setup, which tells them apart by the token.
async function invitationUrl(token: string): Promise<string> {
  return `${process.env.NEXTAUTH_URL ?? ""}/setup?token=${token}`;
}

export async function inviteAdminAction(input: unknown) {
  return runAdminAction("ADMIN", InviteAdminSchema, input, async (admin, data) => {
    const invited = await inviteAdmin(getDb(), await actorFrom(admin), data);
    revalidatePath("/settings/admins");
    return { email: invited.email, invitationUrl: await invitationUrl(invited.invitationToken) };
  });
}

export async function reissueInvitationAction(input: unknown) {
  return runAdminAction("ADMIN", ReissueInvitationSchema, input, async (admin, data) => {
    const invited = await reissueInvitation(getDb(), await actorFrom(admin), data);
    return { email: invited.email, invitationUrl: await invitationUrl(invited.invitationToken) };
  });
}

export async function changeAdminRoleAction(input: unknown) {
  return runAdminAction("ADMIN", ChangeAdminRoleSchema, input, async (admin, data) => {
    const result = await changeAdminRole(getDb(), await actorFrom(admin), data);
    revalidatePath("/settings/admins");
    return result;
  });
}

export async function setAdminDisabledAction(input: unknown) {
  return runAdminAction("ADMIN", SetAdminDisabledSchema, input, async (admin, data) => {
    await setAdminDisabled(getDb(), await actorFrom(admin), data);
    revalidatePath("/settings/admins");
  });
}

export async function startPasswordResetAction(input: unknown) {
  return runAdminAction("OWNER", StartPasswordResetSchema, input, async (admin, data) => {
    const reset = await startPasswordReset(getDb(), await actorFrom(admin), data);
    return { email: reset.email, resetUrl: await invitationUrl(reset.resetToken) };
  });
}
