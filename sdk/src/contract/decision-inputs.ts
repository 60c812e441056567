// Part of the contract: the SDK records these inputs inside an MCP server,
// Warden's ingest holds them to the schema below, and the dashboard replays them.
import { z } from "zod";
import { safeString } from "./input-rules.ts";
import type { ClaimValue, DecisionRequest, PolicyRole } from "./policy.ts";

/**
 * What an audit event records so that its decision can be made again: the
 * token's scopes, the role names the caller resolved itself, and the values
 * of only those claims that the environment's role mappings read. Nothing
 * else from the token: the subject and client are already columns, and every
 * other claim stays with the MCP server.
 */
export type DecisionInputs = {
  scopes: string[];
  roles: string[];
  claims: Record<string, ClaimValue>;
};

/** The claim names that some role mapping reads: the only claims worth recording. */
export function mappedClaimNames(roles: readonly PolicyRole[]): string[] {
  return [...new Set(roles.map((role) => role.claimName))].sort();
}

/**
 * The inputs of a decision, keeping from the claims only those a role mapping
 * of this config reads. Sorted and de-duplicated, so the same token always
 * records the same value and identical inputs group together.
 */
export function decisionInputsOf(roles: readonly PolicyRole[], request: Pick<DecisionRequest, "scopes" | "roles" | "claims">): DecisionInputs {
  const claims: Record<string, ClaimValue> = {};
  for (const name of mappedClaimNames(roles)) {
    if (!request.claims || !Object.prototype.hasOwnProperty.call(request.claims, name)) continue;
    const value = request.claims[name]!;
    claims[name] = Array.isArray(value) ? [...new Set(value)].sort() : value;
  }
  return { scopes: [...new Set(request.scopes)].sort(), roles: [...new Set(request.roles ?? [])].sort(), claims };
}


/** The bounds Warden's ingest holds inputs to (DecisionInputsSchema): past them, a producer records none. */
export const MAX_INPUT_ITEMS = 256;
export const MAX_INPUT_CLAIMS = 32;
export const MAX_INPUTS_BYTES = 8 * 1024;

/**
 * Whether these inputs fit the bounds. A token with an outsized claim must not
 * cost its audit event: the producer then records the event without inputs
 * (counted as not replayable), rather than have Warden refuse it.
 */
export function inputsWithinBounds(inputs: DecisionInputs): boolean {
  const claims = Object.values(inputs.claims);
  if (inputs.scopes.length > MAX_INPUT_ITEMS || inputs.roles.length > MAX_INPUT_ITEMS || claims.length > MAX_INPUT_CLAIMS) return false;
  if (claims.some((value) => Array.isArray(value) && value.length > MAX_INPUT_ITEMS)) return false;
  return JSON.stringify(inputs).length <= MAX_INPUTS_BYTES;
}

/** The decision request that recorded inputs stand for. */
export function requestFromInputs(event: { subject: string; clientId: string | null; server: string; tool: string }, inputs: DecisionInputs): DecisionRequest {
  return { subject: event.subject, clientId: event.clientId ?? "", server: event.server, tool: event.tool, scopes: inputs.scopes, roles: inputs.roles, claims: inputs.claims };
}

const item = safeString().max(256, "keep each value under 256 characters");

/** The ingest contract for `inputs`: small, flat, and within the shared input rules. */
export const DecisionInputsSchema = z
  .strictObject({
    scopes: z.array(item, "inputs.scopes must be a list of strings").max(MAX_INPUT_ITEMS, `inputs.scopes holds at most ${MAX_INPUT_ITEMS} scopes`),
    roles: z.array(item, "inputs.roles must be a list of strings").max(MAX_INPUT_ITEMS, `inputs.roles holds at most ${MAX_INPUT_ITEMS} roles`).default([]),
    claims: z
      .record(
        safeString().max(256),
        z.union([item, z.array(item).max(MAX_INPUT_ITEMS)], "a claim value must be a string or a list of strings"),
        "inputs.claims must be an object of claim values",
      )
      .default({})
      .refine((claims) => Object.keys(claims).length <= MAX_INPUT_CLAIMS, `inputs.claims holds at most ${MAX_INPUT_CLAIMS} claims`),
  })
  .refine((inputs) => JSON.stringify(inputs).length <= MAX_INPUTS_BYTES, `inputs must serialize to at most ${MAX_INPUTS_BYTES / 1024} KiB`);
