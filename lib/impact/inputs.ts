import { z } from "zod";
import { safeString } from "@/lib/input/rules";
import { MAX_INPUT_CLAIMS as MAX_CLAIMS, MAX_INPUT_ITEMS as MAX_ITEMS, MAX_INPUTS_BYTES } from "./decision-inputs";

export { decisionInputsOf, inputsWithinBounds, mappedClaimNames, requestFromInputs, type DecisionInputs } from "./decision-inputs";

const item = safeString().max(256, "keep each value under 256 characters");

/** The ingest contract for `inputs`: small, flat, and within the shared input rules. */
export const DecisionInputsSchema = z
  .strictObject({
    scopes: z.array(item, "inputs.scopes must be a list of strings").max(MAX_ITEMS, `inputs.scopes holds at most ${MAX_ITEMS} scopes`),
    roles: z.array(item, "inputs.roles must be a list of strings").max(MAX_ITEMS, `inputs.roles holds at most ${MAX_ITEMS} roles`).default([]),
    claims: z
      .record(
        safeString().max(256),
        z.union([item, z.array(item).max(MAX_ITEMS)], "a claim value must be a string or a list of strings"),
        "inputs.claims must be an object of claim values",
      )
      .default({})
      .refine((claims) => Object.keys(claims).length <= MAX_CLAIMS, `inputs.claims holds at most ${MAX_CLAIMS} claims`),
  })
  .refine((inputs) => JSON.stringify(inputs).length <= MAX_INPUTS_BYTES, `inputs must serialize to at most ${MAX_INPUTS_BYTES / 1024} KiB`);
