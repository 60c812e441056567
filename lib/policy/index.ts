// The pure half of the policy: safe to import from the browser, the data
// plane and the SDK. The database loader lives in ./load and is not re-exported.
export { decide, qualifiedToolName, rolesFromClaims } from "./decide";
export { DECISION_REASON_LABELS } from "./reasons";
export * from "./types";
