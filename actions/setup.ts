"use server";

import "server-only";
import { headers } from "next/headers";
import {
  acceptInvitation,
  AcceptInvitationSchema,
  completeFirstOwnerSetup,
  completePasswordReset,
  CompletePasswordResetSchema,
  FirstOwnerSetupSchema,
} from "@/lib/auth/bootstrap";
import { clientIpFrom } from "@/lib/auth/request-context";
import { getDb } from "@/lib/db/client";
import { DomainError } from "@/lib/errors";
import type { ActionResult } from "@/lib/actions/run-admin-action";

// These actions are reachable without a session: the single-use link's
// token is the credential, checked (and spent) inside the domain transaction.

function fieldErrorsOf(issues: { path: PropertyKey[]; message: string }[]) {
  const fieldErrors: Record<string, string[]> = {};
  for (const issue of issues) (fieldErrors[issue.path.join(".") || "_form"] ??= []).push(issue.message);
  return fieldErrors;
}

async function runSetup<T>(work: () => Promise<T>): Promise<ActionResult<T>> {
  try {
    return { ok: true, data: await work() };
  } catch (error) {
    if (error instanceof DomainError) return { ok: false, error: error.message };
    console.error("setup failed", error);
    return { ok: false, error: "Something went wrong on our side. Nothing was saved; try again." };
  }
}

export async function createFirstOwnerAction(input: unknown): Promise<ActionResult<{ email: string }>> {
  const parsed = FirstOwnerSetupSchema.safeParse(input);
  if (!parsed.success) return { ok: false, error: "Some fields need attention.", fieldErrors: fieldErrorsOf(parsed.error.issues) };
  const ip = clientIpFrom(await headers());
  return runSetup(() => completeFirstOwnerSetup(getDb(), parsed.data, ip));
}

export async function acceptInvitationAction(input: unknown): Promise<ActionResult<{ email: string }>> {
  const parsed = AcceptInvitationSchema.safeParse(input);
  if (!parsed.success) return { ok: false, error: "Some fields need attention.", fieldErrors: fieldErrorsOf(parsed.error.issues) };
  const ip = clientIpFrom(await headers());
  return runSetup(() => acceptInvitation(getDb(), parsed.data, ip));
}

export async function completePasswordResetAction(input: unknown): Promise<ActionResult<{ email: string }>> {
  const parsed = CompletePasswordResetSchema.safeParse(input);
  if (!parsed.success) return { ok: false, error: "Some fields need attention.", fieldErrors: fieldErrorsOf(parsed.error.issues) };
  const ip = clientIpFrom(await headers());
  return runSetup(() => completePasswordReset(getDb(), parsed.data, ip));
}
