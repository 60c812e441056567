/**
 * The largest server-action body, in bytes. next.config.ts hands it to Next
 * and the request gate (request-gate.ts) refuses anything larger before Next
 * reads it, so the two can never disagree. Policy files are imported through
 * a server action: room for the 2 MB the importer accepts, plus its encoding.
 *
 * This file imports nothing: next.config.ts loads it before the app is built.
 */
export const SERVER_ACTION_BODY_LIMIT_BYTES = 3 * 1024 * 1024;
