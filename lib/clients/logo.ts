import "server-only";
import { createHash } from "node:crypto";
import type { Db, Tx } from "@/lib/db/client";
import type { ClientPreview, FetchSettings } from "./preview";
import { FetchRefusal, safeFetch } from "./safe-fetch";
import type { CimdIssue } from "./validate";

/**
 * Client logos: a publisher's image, which Warden fetches through the same
 * hardened fetcher as metadata, checks, stores, and serves from its own
 * origin, so an admin's browser never loads anything from the publisher.
 * Only raster types are taken: an SVG is a document that can carry script.
 */
export const LOGO_MAX_BYTES = 64 * 1024;
export const LOGO_MEDIA_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"] as const;
export type LogoMediaType = (typeof LOGO_MEDIA_TYPES)[number];

/** What a preview knows about the client's logo. */
export type LogoState =
  | { status: "none" }
  | { status: "not_fetched"; url: string }
  | { status: "stored"; url: string; id: string; src: string }
  | { status: "refused"; url: string; reason: string };

export type LogoFetch = { ok: true; contentType: LogoMediaType; data: Buffer; sha256: string } | { ok: false; code: string; reason: string };

/** The route that serves a stored logo, on Warden's own origin. */
export const LOGO_ROUTE_PREFIX = "/api/clients/logos/";
export const logoSrc = (id: string) => `${LOGO_ROUTE_PREFIX}${id}`;

/** Nothing in a logo may run, load or frame anything, even when opened on its own. */
export const LOGO_CONTENT_SECURITY_POLICY = "default-src 'none'; img-src 'self'; style-src 'none'; script-src 'none'; sandbox; frame-ancestors 'none'";

/** The media type the bytes really are, from their signature, whatever the server claimed. */
export function sniffImageType(data: Buffer): LogoMediaType | null {
  if (data.length >= 8 && data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "image/png";
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return "image/jpeg";
  if (data.length >= 6 && /^GIF8[79]a$/.test(data.subarray(0, 6).toString("latin1"))) return "image/gif";
  if (data.length >= 12 && data.subarray(0, 4).toString("latin1") === "RIFF" && data.subarray(8, 12).toString("latin1") === "WEBP") return "image/webp";
  return null;
}

export async function fetchLogo(url: string, settings: FetchSettings = {}): Promise<LogoFetch> {
  let response;
  try {
    response = await safeFetch(url, { ...settings, accept: { mediaTypes: [...LOGO_MEDIA_TYPES] }, maxBytes: LOGO_MAX_BYTES });
  } catch (error) {
    if (!(error instanceof FetchRefusal)) throw error;
    if (error.code === "wrong_content_type") {
      return /svg/i.test(error.contentType ?? "")
        ? { ok: false, code: "logo_svg", reason: "SVG logos are refused: an SVG is a document that can carry script. Publish a PNG, JPEG, GIF or WebP." }
        : { ok: false, code: "logo_type", reason: `The logo is served as ${error.contentType || "no content type"}; only PNG, JPEG, GIF or WebP images are accepted.` };
    }
    if (error.code === "too_large") return { ok: false, code: "logo_too_large", reason: `The logo is larger than ${LOGO_MAX_BYTES / 1024} KB.` };
    return { ok: false, code: `logo_${error.code}`, reason: `The logo could not be fetched: ${error.message}` };
  }
  const declared = response.contentType as LogoMediaType;
  const actual = sniffImageType(response.body);
  if (actual !== declared) {
    return { ok: false, code: "logo_content_mismatch", reason: `The logo is served as ${declared} but its bytes are ${actual ? `a ${actual} image` : "not an image Warden accepts"}.` };
  }
  return { ok: true, contentType: declared, data: response.body, sha256: createHash("sha256").update(response.body).digest("hex") };
}

/**
 * An image an admin uploaded (a pre-registered client has no logo_uri to
 * fetch), held to the same rules as a fetched one: at most 64 KB, and bytes
 * that are a PNG, JPEG, GIF or WebP by their signature. SVG is refused.
 */
export function checkUploadedLogo(data: Buffer): LogoFetch {
  if (data.length === 0) return { ok: false, code: "logo_empty", reason: "The logo file is empty." };
  if (data.length > LOGO_MAX_BYTES) return { ok: false, code: "logo_too_large", reason: `The logo is larger than ${LOGO_MAX_BYTES / 1024} KB.` };
  const actual = sniffImageType(data);
  if (!actual) {
    return /<svg|<\?xml/i.test(data.subarray(0, 512).toString("utf8"))
      ? { ok: false, code: "logo_svg", reason: "SVG logos are refused: an SVG is a document that can carry script. Upload a PNG, JPEG, GIF or WebP." }
      : { ok: false, code: "logo_type", reason: "The file is not a PNG, JPEG, GIF or WebP image." };
  }
  return { ok: true, contentType: actual, data, sha256: createHash("sha256").update(data).digest("hex") };
}

/** Stores an image once per content and returns its id. */
export async function storeLogo(db: Db | Tx, logo: Extract<LogoFetch, { ok: true }>): Promise<string> {
  const row = await db.clientLogo.upsert({
    where: { sha256: logo.sha256 },
    create: { sha256: logo.sha256, contentType: logo.contentType, data: new Uint8Array(logo.data) },
    update: {},
    select: { id: true },
  });
  return row.id;
}

export function logoIssue(reason: string): CimdIssue {
  return { code: "logo_refused", field: "logo_uri", message: `The logo is not shown: ${reason}` };
}

/**
 * Fetches and stores the logo a previewed document names. A logo that cannot
 * be used never blocks a review: it becomes a warning and a placeholder.
 */
export async function attachLogo(db: Db, preview: ClientPreview, settings: FetchSettings = {}): Promise<ClientPreview> {
  if (preview.logo.status !== "not_fetched") return preview;
  const { url } = preview.logo;
  const fetched = await fetchLogo(url, settings);
  if (!fetched.ok) return { ...preview, logo: { status: "refused", url, reason: fetched.reason }, warnings: [...preview.warnings, logoIssue(fetched.reason)] };
  const id = await storeLogo(db, fetched);
  return { ...preview, logo: { status: "stored", url, id, src: logoSrc(id) } };
}

/** The Client columns that record a preview's logo. */
export function logoColumns(preview: ClientPreview): { logoId: string | null; logoError: string | null } {
  return {
    logoId: preview.logo.status === "stored" ? preview.logo.id : null,
    logoError: preview.logo.status === "refused" ? preview.logo.reason : null,
  };
}

export async function getLogo(db: Db, id: string) {
  return db.clientLogo.findUnique({ where: { id }, select: { contentType: true, data: true, sha256: true } });
}

/**
 * The headers a stored logo is served with: its checked type, no sniffing,
 * and a policy that lets nothing in it run or load, even opened on its own.
 */
export function logoHeaders(logo: { contentType: string; sha256: string; data: Uint8Array }): Record<string, string> {
  return {
    "Content-Type": logo.contentType,
    "Content-Length": String(logo.data.byteLength),
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": LOGO_CONTENT_SECURITY_POLICY,
    "Content-Disposition": "inline",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "private, max-age=86400",
    ETag: `"${logo.sha256}"`,
  };
}
