import "server-only";
import { z } from "zod";
import { pagingFields } from "@/lib/list-query";
import type { Db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client.ts";
import { recordAdminEvent, type AuditActor } from "@/lib/audit/record";
import { DomainError, NotFoundError, StaleWriteError } from "@/lib/errors";
import { logoColumns } from "./logo";
import { diffMetadata, type ClientPreview, type MetadataChange } from "./preview";

import { ScopeListSchema } from "./schemas";
import { CLIENT_KINDS, CLIENT_STATUSES, type ClientKind, type ClientStatus } from "./status";
import { clientNameOf, enqueueNotification } from "@/lib/notifications/outbox";

// ---------- queries ----------

export const CLIENT_SORTS = ["clientId", "status", "createdAt", "fetchedAt", "reviewedAt"] as const;
export const ClientListQuerySchema = z.object({
  ...pagingFields(),
  sort: z.enum(CLIENT_SORTS).catch("createdAt"),
  dir: z.enum(["asc", "desc"]).catch("desc"),
  q: z.string().trim().max(200).catch(""),
  status: z.enum(CLIENT_STATUSES).optional().catch(undefined),
  kind: z.enum(CLIENT_KINDS).optional().catch(undefined),
});
export type ClientListQuery = z.infer<typeof ClientListQuerySchema>;

export type ClientRow = {
  id: string;
  kind: ClientKind;
  clientId: string;
  /** CIMD: the URL's host. Pre-registered: the client_id itself. */
  hostname: string;
  /** CIMD: client_name as fetched. Pre-registered: the name an admin gave it. */
  name: string | null;
  /** Pre-registered only: the owner or team an admin named. */
  owner: string | null;
  status: ClientStatus;
  warnings: number;
  fetchedAt: string | null;
  reviewedAt: string | null;
  createdAt: string;
  reportedBy: string | null;
  version: number;
};

export async function listClients(db: Db, environmentId: string, query: ClientListQuery): Promise<{ rows: ClientRow[]; total: number }> {
  const where: Prisma.ClientWhereInput = {
    environmentId,
    ...(query.status ? { status: query.status } : {}),
    ...(query.kind ? { kind: query.kind } : {}),
    ...(query.q
      ? { OR: [{ clientId: { contains: query.q, mode: "insensitive" } }, { displayName: { contains: query.q, mode: "insensitive" } }, { owner: { contains: query.q, mode: "insensitive" } }] }
      : {}),
  };
  const nullable = query.sort === "fetchedAt" || query.sort === "reviewedAt";
  const [clients, total] = await db.$transaction([
    db.client.findMany({
      where,
      orderBy: [nullable ? { [query.sort]: { sort: query.dir, nulls: "last" } } : { [query.sort]: query.dir }, { id: "asc" }],
      skip: (query.page - 1) * query.size,
      take: query.size,
    }),
    db.client.count({ where }),
  ]);
  return {
    total,
    rows: clients.map((client) => ({
      id: client.id,
      kind: client.kind,
      clientId: client.clientId,
      hostname: client.kind === "PRE_REGISTERED" ? client.clientId : hostnameOf(client.clientId),
      name:
        client.kind === "PRE_REGISTERED"
          ? client.displayName
          : typeof (client.metadata as Record<string, unknown> | null)?.client_name === "string"
            ? ((client.metadata as Record<string, unknown>).client_name as string)
            : null,
      owner: client.owner,
      status: client.status,
      warnings: Array.isArray(client.warnings) ? client.warnings.length : 0,
      fetchedAt: client.fetchedAt?.toISOString() ?? null,
      reviewedAt: client.reviewedAt?.toISOString() ?? null,
      createdAt: client.createdAt.toISOString(),
      reportedBy: client.reportedBy,
      version: client.version,
    })),
  };
}

/** What admins called each pre-registered client: an id like 0oa1b2c3d4 says nothing by itself. */
export async function preRegisteredClientNames(db: Db, environmentId: string): Promise<Map<string, string | null>> {
  const clients = await db.client.findMany({ where: { environmentId, kind: "PRE_REGISTERED" }, select: { clientId: true, displayName: true } });
  return new Map(clients.map((client) => [client.clientId, client.displayName]));
}

export function pendingClientCount(db: Db, environmentId: string): Promise<number> {
  return db.client.count({ where: { environmentId, status: "PENDING" } });
}

export async function getClient(db: Db, environmentId: string, id: string) {
  const client = await db.client.findFirst({ where: { id, environmentId }, include: { reviewedBy: { select: { email: true } } } });
  if (!client) throw new NotFoundError("This client");
  return client;
}

// ---------- commands ----------


export const ReviewDecisionSchema = z.object({
  decision: z.enum(["approve", "reject", "suspend", "pending"]),
  note: z.string().trim().max(2_000).optional(),
  scopeCeiling: ScopeListSchema,
  restrictTools: z.boolean().default(false),
  allowedTools: z.array(z.string().trim().min(1).max(300)).max(1_000).default([]),
});

export const RegisterClientSchema = ReviewDecisionSchema.extend({ clientId: z.string().trim().min(1).max(2_048) });
export const ReviewClientSchema = ReviewDecisionSchema.extend({ id: z.uuid(), version: z.number().int().min(1) });

export const STATUS_OF = { approve: "APPROVED", reject: "REJECTED", suspend: "SUSPENDED", pending: "PENDING" } as const;
export const REGISTER_ACTION = { approve: "client.approved", reject: "client.rejected", suspend: "client.suspended", pending: "client.added_for_review" } as const;

function assertApprovable(preview: ClientPreview) {
  if (!preview.fetched) throw new DomainError(`This client cannot be approved: its metadata could not be fetched (${preview.fetchError?.message}).`);
  if (preview.errors.length) {
    throw new DomainError(`This client cannot be approved: its metadata breaks ${preview.errors.length} rule${preview.errors.length === 1 ? "" : "s"}. Reject it, or ask its publisher to fix them.`);
  }
}

/** The review recorded with a registration that decides at once, and the limits chosen with it (both kinds of client). */
export function registrationReview(
  actor: AuditActor,
  status: (typeof STATUS_OF)[keyof typeof STATUS_OF],
  input: { note?: string | null; scopeCeiling: string[]; restrictTools: boolean; allowedTools: string[] },
) {
  const reviewed = status !== "PENDING";
  return {
    reviewedById: reviewed ? actor.id : null,
    reviewedAt: reviewed ? new Date() : null,
    reviewNote: input.note || null,
    scopeCeiling: input.scopeCeiling,
    restrictTools: input.restrictTools,
    allowedTools: input.allowedTools,
  };
}

/** Adds a client from a fresh preview: approved, rejected, or kept pending for later. */
export async function registerClient(db: Db, actor: AuditActor, environmentId: string, input: z.infer<typeof RegisterClientSchema>, preview: ClientPreview) {
  if (preview.clientId !== input.clientId) throw new DomainError("The preview is for another URL. Fetch it again.");
  if (input.decision === "approve") assertApprovable(preview);
  const status = STATUS_OF[input.decision];
  return db.$transaction(async (tx) => {
    const existing = await tx.client.findUnique({ where: { environmentId_clientId: { environmentId, clientId: input.clientId } }, select: { id: true } });
    if (existing) throw new DomainError("This client is already registered in this environment.", { clientId: ["Already registered: open it from the list."] });
    const client = await tx.client.create({
      data: {
        environmentId,
        clientId: input.clientId,
        status,
        metadata: (preview.metadata ?? undefined) as Prisma.InputJsonValue | undefined,
        metadataHash: preview.metadataHash,
        warnings: [...preview.warnings, ...preview.errors] as unknown as Prisma.InputJsonValue,
        fetchedAt: preview.fetched ? new Date(preview.fetchedAt) : null,
        cacheExpiresAt: preview.cacheExpiresAt ? new Date(preview.cacheExpiresAt) : null,
        ...registrationReview(actor, status, input),
        ...logoColumns(preview),
      },
    });
    await recordAdminEvent(tx, actor, {
      action: REGISTER_ACTION[input.decision],
      target: `client:${client.clientId}`,
      environmentId,
      details: { status, note: input.note ?? null, scopeCeiling: input.scopeCeiling, warnings: preview.warnings.map((w) => w.code), errors: preview.errors.map((e) => e.code) },
    });
    if (status === "PENDING") await enqueueNotification(tx, environmentId, "client.pending", { clientId: client.clientId, clientName: clientNameOf(preview.metadata), kind: "CIMD", reportedBy: actor.email });
    return client;
  });
}

/** Approve, reject, suspend or send back a known client, against the version the reviewer saw. */
export async function reviewClient(
  db: Db,
  actor: AuditActor,
  environmentId: string,
  input: z.infer<typeof ReviewClientSchema>,
  validity: { approvable: boolean; reason?: string },
) {
  return db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT 1 FROM "Client" WHERE "id" = ${input.id}::uuid FOR UPDATE`;
    const client = await tx.client.findFirst({ where: { id: input.id, environmentId } });
    if (!client) throw new NotFoundError("This client");
    if (client.version !== input.version) {
      throw new StaleWriteError("Someone else reviewed this client since you opened it. Its current state is shown; decide again.", {
        status: client.status,
        version: client.version,
        reviewNote: client.reviewNote,
      });
    }
    if (input.decision === "approve" && !validity.approvable) throw new DomainError(validity.reason ?? "This client's metadata does not pass validation.");
    const status = STATUS_OF[input.decision];
    const updated = await tx.client.update({
      where: { id: client.id },
      data: {
        status,
        reviewedById: actor.id,
        reviewedAt: new Date(),
        reviewNote: input.note || null,
        scopeCeiling: input.scopeCeiling,
        restrictTools: input.restrictTools,
        allowedTools: input.allowedTools,
        version: { increment: 1 },
      },
    });
    await recordAdminEvent(tx, actor, {
      action: "client.reviewed",
      target: `client:${client.clientId}`,
      environmentId,
      details: { before: { status: client.status }, after: { status, scopeCeiling: input.scopeCeiling, restrictTools: input.restrictTools }, note: input.note ?? null },
    });
    return updated;
  });
}

export const DeleteClientSchema = z.object({
  id: z.uuid(),
  version: z.number().int().min(1),
  reason: z.string().trim().min(1, "Say why the client is deleted: the reason is kept in the audit trail.").max(2_000),
});

/**
 * Removes a client from the environment, against the version the admin saw.
 * It disappears from the next published configuration; until then the live
 * version still lists it if it was approved. A client that reports itself
 * again later arrives as a new PENDING client.
 */
export async function deleteClient(db: Db, actor: AuditActor, environmentId: string, input: z.infer<typeof DeleteClientSchema>) {
  return db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT 1 FROM "Client" WHERE "id" = ${input.id}::uuid FOR UPDATE`;
    const client = await tx.client.findFirst({ where: { id: input.id, environmentId } });
    if (!client) throw new NotFoundError("This client");
    if (client.version !== input.version) {
      throw new StaleWriteError("Someone else changed this client since you opened it. Its current state is shown; decide again.", {
        status: client.status,
        version: client.version,
        reviewNote: client.reviewNote,
      });
    }
    await tx.client.delete({ where: { id: client.id } });
    await recordAdminEvent(tx, actor, {
      action: "client.deleted",
      target: `client:${client.clientId}`,
      environmentId,
      details: { before: { status: client.status, scopeCeiling: client.scopeCeiling, metadataHash: client.metadataHash }, reason: input.reason },
    });
    return { clientId: client.clientId, status: client.status };
  });
}

export type RefreshOutcome = { changes: MetadataChange[]; backToReview: boolean; status: ClientStatus };

/**
 * Stores a fresh fetch of a client's metadata. An approved client whose
 * redirect URIs, auth method, grant types, scope, keys, name or logo changed
 * goes back to PENDING: its access pauses until someone approves the change.
 * A failed or invalid fetch changes nothing stored.
 */
export async function applyMetadataRefresh(db: Db, actor: AuditActor | null, environmentId: string, id: string, preview: ClientPreview): Promise<RefreshOutcome> {
  return db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT 1 FROM "Client" WHERE "id" = ${id}::uuid FOR UPDATE`;
    const client = await tx.client.findFirst({ where: { id, environmentId } });
    if (!client) throw new NotFoundError("This client");
    if (client.kind !== "CIMD") throw new DomainError("A pre-registered client has no metadata document to refresh; edit its details instead.");
    if (!preview.fetched || preview.errors.length) {
      throw new DomainError(
        preview.fetchError ? `The metadata could not be fetched: ${preview.fetchError.message}` : "The new metadata breaks validation rules; nothing was changed.",
      );
    }
    const changes = diffMetadata(client.metadata as Record<string, unknown> | null, preview.metadata);
    // The same logo_uri serving a different image changes how people recognise the client, as a new URI would.
    const logo = logoColumns(preview);
    if (client.logoId && preview.logo.status !== "not_fetched" && logo.logoId !== client.logoId && !changes.some((change) => change.field === "logo_uri")) {
      changes.push({ field: "logo image", before: client.logoId, after: logo.logoId ?? logo.logoError, needsReview: true });
    }
    const backToReview = client.status === "APPROVED" && changes.some((change) => change.needsReview);
    const status: ClientStatus = backToReview ? "PENDING" : client.status;
    await tx.client.update({
      where: { id },
      data: {
        metadata: (preview.metadata ?? undefined) as Prisma.InputJsonValue | undefined,
        metadataHash: preview.metadataHash,
        warnings: preview.warnings as unknown as Prisma.InputJsonValue,
        fetchedAt: new Date(preview.fetchedAt),
        cacheExpiresAt: preview.cacheExpiresAt ? new Date(preview.cacheExpiresAt) : null,
        // A preview whose logo was not looked at leaves the stored one alone.
        ...(preview.logo.status === "not_fetched" ? {} : logo),
        status,
        ...(changes.length ? { version: { increment: 1 } } : {}),
      },
    });
    if (changes.length) {
      await recordAdminEvent(tx, actor ?? { id: "system", email: "scheduled re-check" }, {
        action: backToReview ? "client.metadata_changed_needs_review" : "client.metadata_changed",
        target: `client:${client.clientId}`,
        environmentId,
        details: { fields: changes.map((change) => change.field), before: { status: client.status }, after: { status } },
      });
      await enqueueNotification(tx, environmentId, "client.metadata_changed", {
        clientId: client.clientId,
        clientName: clientNameOf(preview.metadata),
        fields: changes.map((change) => change.field),
        backToReview,
        status,
      });
    }
    return { changes, backToReview, status };
  });
}

function hostnameOf(value: string): string {
  try {
    return new URL(value).host;
  } catch {
    return value;
  }
}
