import { z } from "zod";
import type { Db } from "@/lib/db/client";
import { recordAdminEvent, type AuditActor } from "@/lib/audit/record";
import { DomainError, StaleWriteError } from "@/lib/errors";
import type { ClientPreview } from "./preview";
import type { CimdIssue } from "./validate";
import { isLoopbackHost } from "./validate";

export type TrustPolicyValues = {
  allowedDomains: string[];
  deniedDomains: string[];
  requireSameOriginRedirects: boolean;
  allowLocalhostRedirects: boolean;
  version: number;
};

export const DEFAULT_TRUST_POLICY: TrustPolicyValues = {
  allowedDomains: [],
  deniedDomains: [],
  requireSameOriginRedirects: false,
  allowLocalhostRedirects: true,
  version: 0,
};

const DomainSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "Enter a domain name such as vscode.dev (no scheme, path or port).");

export const TrustPolicySchema = z.object({
  allowedDomains: z.array(DomainSchema).max(500).default([]),
  deniedDomains: z.array(DomainSchema).max(500).default([]),
  requireSameOriginRedirects: z.boolean().default(false),
  allowLocalhostRedirects: z.boolean().default(true),
  version: z.number().int().min(0),
});

export async function getTrustPolicy(db: Db, environmentId: string): Promise<TrustPolicyValues> {
  const row = await db.trustPolicy.findUnique({ where: { environmentId } });
  return row
    ? {
        allowedDomains: row.allowedDomains,
        deniedDomains: row.deniedDomains,
        requireSameOriginRedirects: row.requireSameOriginRedirects,
        allowLocalhostRedirects: row.allowLocalhostRedirects,
        version: row.version,
      }
    : DEFAULT_TRUST_POLICY;
}

/** Saves the policy against the version the admin saw (0: none saved yet). */
export async function updateTrustPolicy(db: Db, actor: AuditActor, environmentId: string, input: z.infer<typeof TrustPolicySchema>) {
  const overlap = input.allowedDomains.filter((domain) => input.deniedDomains.includes(domain));
  if (overlap.length) {
    throw new DomainError(`A domain cannot be both allowed and denied: ${overlap.join(", ")}.`, { deniedDomains: [`Also in the allowed list: ${overlap.join(", ")}`] });
  }
  return db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT 1 FROM "TrustPolicy" WHERE "environmentId" = ${environmentId}::uuid FOR UPDATE`;
    const current = await tx.trustPolicy.findUnique({ where: { environmentId } });
    if ((current?.version ?? 0) !== input.version) {
      throw new StaleWriteError("Someone else changed the trust policy since you opened it. Its current values are shown; apply your change again.", current);
    }
    const data = {
      allowedDomains: [...new Set(input.allowedDomains)],
      deniedDomains: [...new Set(input.deniedDomains)],
      requireSameOriginRedirects: input.requireSameOriginRedirects,
      allowLocalhostRedirects: input.allowLocalhostRedirects,
    };
    const saved = current
      ? await tx.trustPolicy.update({ where: { environmentId }, data: { ...data, version: { increment: 1 } } })
      : await tx.trustPolicy.create({ data: { environmentId, ...data } });
    await recordAdminEvent(tx, actor, {
      action: "trust_policy.updated",
      target: `environment:${environmentId}`,
      environmentId,
      details: { before: current ? { ...current, id: undefined } : null, after: data },
    });
    return saved;
  });
}

export type TrustVerdict = { verdict: "allow" | "deny" | "review"; issues: CimdIssue[]; matchedDomain: string | null };

function matches(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

/**
 * What the environment's trust policy says about a previewed client: its
 * client_id domain is denied (refused outright), explicitly allowed (may be
 * approved without a person, if the document is valid), or left to review.
 * Redirect rules add refusals on top of the metadata rules.
 */
export function evaluateTrustPolicy(policy: TrustPolicyValues, preview: ClientPreview): TrustVerdict {
  const host = preview.hostname.replace(/:\d+$/, "").toLowerCase();
  const issues: CimdIssue[] = [];
  const denied = policy.deniedDomains.find((domain) => matches(host, domain)) ?? null;
  if (denied) issues.push({ code: "domain_denied", field: "client_id", message: `The trust policy denies clients from ${denied}.` });
  for (const redirect of preview.redirects) {
    const redirectHost = redirect.host.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
    const loopback = isLoopbackHost(redirectHost) || redirectHost === "::1";
    if (loopback && !policy.allowLocalhostRedirects) {
      issues.push({ code: "localhost_redirect_not_allowed", field: "redirect_uris", message: `${redirect.uri} is a loopback redirect, which this environment does not allow.` });
    } else if (!loopback && policy.requireSameOriginRedirects && redirect.host !== preview.hostname) {
      issues.push({ code: "redirect_not_same_origin", field: "redirect_uris", message: `${redirect.uri} is not on ${preview.hostname}; this environment requires same-origin redirects.` });
    }
  }
  if (issues.length) return { verdict: "deny", issues, matchedDomain: denied };
  const allowed = policy.allowedDomains.find((domain) => matches(host, domain)) ?? null;
  return { verdict: allowed && preview.fetched && preview.errors.length === 0 ? "allow" : "review", issues, matchedDomain: allowed };
}

/** The preview with the policy's refusals added to the rule failures, as the review screen shows them. */
export function applyTrustPolicy(preview: ClientPreview, verdict: TrustVerdict): ClientPreview {
  return verdict.issues.length ? { ...preview, errors: [...preview.errors, ...verdict.issues] } : preview;
}
