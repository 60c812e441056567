import "server-only";
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

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * Why a trust-policy entry is not a domain rule, or null when it is one. Two
 * forms exist: a plain host ("example.com": that host and every subdomain of
 * it, as entries always meant) and a wildcard ("*.example.com": any subdomain,
 * never example.com itself). "localhost" is accepted for local testing: the
 * fetcher never reaches loopback outside tests anyway.
 */
export function domainRuleProblem(entry: string): string | null {
  if (entry === "*" || entry === "*.") return `"${entry}" would match every domain. Write a wildcard under a domain, such as *.example.com.`;
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(entry) || entry.includes("/") || /:\d*$/.test(entry) || entry.includes("@")) {
    return `"${entry}" is not a domain: enter it without a scheme (https://), path or port, such as example.com or *.example.com.`;
  }
  const wildcard = entry.startsWith("*.");
  const rest = wildcard ? entry.slice(2) : entry;
  if (rest.includes("*")) return `"${entry}": * may only stand for the whole first label, as in *.example.com (not in the middle or at the end).`;
  if (rest === "localhost") return null;
  if (!HOSTNAME.test(rest)) {
    return wildcard && !rest.includes(".")
      ? `"${entry}" would match a whole top-level domain. Put the wildcard under a registered domain, such as *.example.com.`
      : `"${entry}" is not a domain name. Enter one such as vscode.dev or *.example.com.`;
  }
  return null;
}

const DomainSchema = z
  .string()
  .trim()
  .toLowerCase()
  .superRefine((entry, ctx) => {
    const problem = domainRuleProblem(entry);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

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

/** The trust-policy entry that decided a client, if any. */
export type TrustRule = { list: "allowed" | "denied"; pattern: string } | null;
export type TrustVerdict = { verdict: "allow" | "deny" | "review"; issues: CimdIssue[]; matchedDomain: string | null; rule: TrustRule; explanation: string };

/**
 * Whether a host falls under a trust-policy entry. A wildcard "*.example.com"
 * covers a.example.com and a.b.example.com but not example.com; a plain entry
 * covers the host itself and all its subdomains.
 */
export function domainRuleMatches(host: string, rule: string): boolean {
  const name = host.replace(/:\d+$/, "").replace(/\.$/, "").toLowerCase();
  if (rule.startsWith("*.")) return name.endsWith(rule.slice(1)) && name.length > rule.length - 1;
  return name === rule || name.endsWith(`.${rule}`);
}

/** The first entry of a list that covers the host: the one the preview names. */
export function findDomainRule(host: string, rules: readonly string[]): string | null {
  return rules.find((rule) => domainRuleMatches(host, rule)) ?? null;
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
  const denied = findDomainRule(host, policy.deniedDomains);
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
  if (issues.length) {
    return {
      verdict: "deny",
      issues,
      matchedDomain: denied,
      rule: denied ? { list: "denied", pattern: denied } : null,
      explanation: denied ? `Denied by ${denied} in the trust policy.` : "Refused by the trust policy's redirect rules.",
    };
  }
  const allowed = findDomainRule(host, policy.allowedDomains);
  const rule: TrustRule = allowed ? { list: "allowed", pattern: allowed } : null;
  if (!allowed) return { verdict: "review", issues, matchedDomain: null, rule, explanation: "No rule matched: needs review." };
  if (preview.fetched && preview.errors.length === 0) return { verdict: "allow", issues, matchedDomain: allowed, rule, explanation: `Allowed by ${allowed} in the trust policy.` };
  const why = preview.fetched ? "the document does not pass validation" : "its metadata could not be fetched";
  return { verdict: "review", issues, matchedDomain: allowed, rule, explanation: `Allowed by ${allowed} in the trust policy, but ${why}: needs review.` };
}

/** The preview with the policy's refusals added to the rule failures and the deciding rule named, as the review screen shows them. */
export function applyTrustPolicy(preview: ClientPreview, verdict: TrustVerdict): ClientPreview {
  const trust = { verdict: verdict.verdict, rule: verdict.rule, explanation: verdict.explanation };
  return { ...preview, trust, errors: verdict.issues.length ? [...preview.errors, ...verdict.issues] : preview.errors };
}
