// Decision inputs are part of the wire contract: the SDK records them, ingest checks them.
export {
  decisionInputsOf,
  DecisionInputsSchema,
  inputsWithinBounds,
  mappedClaimNames,
  requestFromInputs,
  type DecisionInputs,
} from "@/sdk/src/contract/decision-inputs";
