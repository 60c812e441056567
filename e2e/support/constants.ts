export const WARDEN_E2E_PORT = Number(process.env.WARDEN_E2E_PORT ?? 3200);
export const WARDEN_E2E_URL = `http://localhost:${WARDEN_E2E_PORT}`;
/** The first owner, created from WARDEN_ADMIN_EMAIL / WARDEN_ADMIN_PASSWORD when the e2e server starts. */
export const E2E_OWNER = { email: "owner@warden.test", password: "correct horse battery staple" };
/**
 * What a script adds to a request that changes something, as a browser does
 * on its own: Warden refuses a mutating request from anywhere but its own origin.
 */
export const SAME_ORIGIN = { origin: WARDEN_E2E_URL };
