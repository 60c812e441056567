/** The claims identity providers usually carry roles in; any other claim name is accepted too. */
export const SUGGESTED_CLAIM_NAMES = ["roles", "groups", "permissions"] as const;
