import { randomBytes } from "node:crypto";

export type SecurityHeaderOptions = { nonce: string; dev: boolean; https: boolean; extraFormActions?: string[] };

export function newNonce(): string {
  return randomBytes(16).toString("base64");
}

/**
 * A nonce-based CSP: Next.js reads the nonce from the request's CSP header and
 * stamps it on its own scripts, so no inline script runs without it.
 * 'unsafe-eval' exists only in development, where React needs it for stacks.
 */
export function contentSecurityPolicy({ nonce, dev, https, extraFormActions = [] }: SecurityHeaderOptions): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    // Radix positions popovers with inline style attributes.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${dev ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    `form-action 'self'${extraFormActions.map((origin) => ` ${origin}`).join("")}`,
    "frame-ancestors 'none'",
    ...(https ? ["upgrade-insecure-requests"] : []),
  ].join("; ");
}

export function securityHeaders(options: SecurityHeaderOptions): Record<string, string> {
  return {
    "Content-Security-Policy": contentSecurityPolicy(options),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    ...(options.https ? { "Strict-Transport-Security": "max-age=63072000; includeSubDomains" } : {}),
  };
}
