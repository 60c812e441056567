import "server-only";
import { z } from "zod";
import type { Db } from "@/lib/db/client";
import { recordAdminEvent, type AuditActor } from "@/lib/audit/record";
import { DomainError, NotFoundError, StaleWriteError } from "@/lib/errors";
import { REGISTER_ACTION, registrationReview, ReviewDecisionSchema, STATUS_OF } from "./clients";
import { checkUploadedLogo, LOGO_MAX_BYTES, storeLogo } from "./logo";
import { PreRegisteredClientIdSchema, PreRegisteredDetailsSchema } from "./schemas";
import { enqueueNotification } from "@/lib/notifications/outbox";

export { CIMD_URL_MESSAGE, looksLikeCimdUrl, PreRegisteredClientIdSchema, PreRegisteredDetailsSchema, type PreRegisteredDetails } from "./schemas";

/**
 * Pre-registered clients: agents registered in the company's IdP (Okta,
 * Entra ID, Auth0, Keycloak) under an opaque client_id that arrives in the
 * token's azp or client_id claim. There is no document to fetch, so an admin
 * describes them; review, limits and publishing are the same as for CIMD.
 */

// Base64 of at most LOGO_MAX_BYTES bytes; a longer text is refused before it is decoded.
const LogoUploadSchema = z
  .string()
  .max(Math.ceil(LOGO_MAX_BYTES / 3) * 4, `The logo is larger than ${LOGO_MAX_BYTES / 1024} KB.`)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, "The logo upload is not readable; choose the file again.");

export const RegisterPreRegisteredClientSchema = ReviewDecisionSchema.extend({
  clientId: PreRegisteredClientIdSchema,
  ...PreRegisteredDetailsSchema.shape,
  /** The uploaded image, base64; absent for none. */
  logo: LogoUploadSchema.optional(),
});

export const UpdatePreRegisteredClientSchema = PreRegisteredDetailsSchema.extend({
  id: z.uuid(),
  version: z.number().int().min(1),
  /** A new image (base64), null to remove the current one, absent to keep it. */
  logo: LogoUploadSchema.nullish(),
});

/** The uploaded image, checked; refusals name the logo field. */
function checkedLogo(base64: string) {
  const logo = checkUploadedLogo(Buffer.from(base64, "base64"));
  if (!logo.ok) throw new DomainError(logo.reason, { logo: [logo.reason] });
  return logo;
}

/** Registers an IdP-issued client as an admin described it: approved, rejected or kept pending. */
export async function registerPreRegisteredClient(db: Db, actor: AuditActor, environmentId: string, input: z.infer<typeof RegisterPreRegisteredClientSchema>) {
  const logo = input.logo ? checkedLogo(input.logo) : null;
  const status = STATUS_OF[input.decision];
  return db.$transaction(async (tx) => {
    // One client_id per environment across both kinds: a token names one client.
    const existing = await tx.client.findUnique({ where: { environmentId_clientId: { environmentId, clientId: input.clientId } }, select: { id: true } });
    if (existing) throw new DomainError("This client is already registered in this environment.", { clientId: ["Already registered: open it from the list."] });
    const logoId = logo ? await storeLogo(tx, logo) : null;
    const client = await tx.client.create({
      data: {
        environmentId,
        kind: "PRE_REGISTERED",
        clientId: input.clientId,
        status,
        displayName: input.displayName,
        owner: input.owner,
        description: input.description,
        redirectUris: input.redirectUris,
        logoId,
        ...registrationReview(actor, status, input),
      },
    });
    await recordAdminEvent(tx, actor, {
      action: REGISTER_ACTION[input.decision],
      target: `client:${client.clientId}`,
      environmentId,
      details: {
        kind: "PRE_REGISTERED",
        status,
        note: input.note ?? null,
        scopeCeiling: input.scopeCeiling,
        displayName: input.displayName,
        owner: input.owner,
        logo: logo ? logo.sha256 : null,
      },
    });
    if (status === "PENDING") await enqueueNotification(tx, environmentId, "client.pending", { clientId: client.clientId, clientName: input.displayName, kind: "PRE_REGISTERED", reportedBy: actor.email });
    return client;
  });
}

/**
 * Changes how a pre-registered client is described, against the version the
 * admin saw. Its status and limits stay: a new name or logo does not change
 * what the IdP lets the agent do.
 */
export async function updatePreRegisteredClient(db: Db, actor: AuditActor, environmentId: string, input: z.infer<typeof UpdatePreRegisteredClientSchema>) {
  const logo = input.logo ? checkedLogo(input.logo) : null;
  return db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT 1 FROM "Client" WHERE "id" = ${input.id}::uuid FOR UPDATE`;
    const client = await tx.client.findFirst({ where: { id: input.id, environmentId } });
    if (!client) throw new NotFoundError("This client");
    if (client.kind !== "PRE_REGISTERED") throw new DomainError("A CIMD client is described by its metadata document; refresh it instead.");
    if (client.version !== input.version) {
      throw new StaleWriteError("Someone else changed this client since you opened it. Its current details are shown; edit again.", {
        version: client.version,
        displayName: client.displayName,
        owner: client.owner,
        description: client.description,
        redirectUris: client.redirectUris,
      });
    }
    const logoId = logo ? await storeLogo(tx, logo) : input.logo === null ? null : client.logoId;
    const updated = await tx.client.update({
      where: { id: client.id },
      data: {
        displayName: input.displayName,
        owner: input.owner,
        description: input.description,
        redirectUris: input.redirectUris,
        logoId,
        version: { increment: 1 },
      },
    });
    const fields = (["displayName", "owner", "description", "redirectUris"] as const).filter(
      (field) => JSON.stringify(client[field]) !== JSON.stringify(updated[field]),
    ) as string[];
    if (logoId !== client.logoId) fields.push("logo");
    await recordAdminEvent(tx, actor, {
      action: "client.details_updated",
      target: `client:${client.clientId}`,
      environmentId,
      details: {
        fields,
        before: { displayName: client.displayName, owner: client.owner, description: client.description, redirectUris: client.redirectUris, logoId: client.logoId },
        after: { displayName: updated.displayName, owner: updated.owner, description: updated.description, redirectUris: updated.redirectUris, logoId },
      },
    });
    return updated;
  });
}
