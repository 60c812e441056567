/**
 * server.ts writes the caller's address into this request header after
 * dropping any copy the caller sent, so code behind it can trust the value.
 */
export const CLIENT_IP_HEADER = "x-warden-client-ip";

export function clientIpFrom(headers: { get(name: string): string | null }): string | null {
  return headers.get(CLIENT_IP_HEADER);
}
