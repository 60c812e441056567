import { NextResponse, type NextRequest } from "next/server";

// Only a convenience redirect for people without a session cookie. It decides
// nothing: every page, action and route handler runs requireAdmin itself.
const PUBLIC_PREFIXES = ["/login", "/setup", "/api/auth", "/_next", "/favicon", "/healthz"];
const SESSION_COOKIES = ["next-auth.session-token", "__Secure-next-auth.session-token"];

export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  if (PUBLIC_PREFIXES.some((prefix) => pathname.startsWith(prefix)) || pathname.startsWith("/api/")) return NextResponse.next();
  if (SESSION_COOKIES.some((name) => request.cookies.has(name))) return NextResponse.next();
  const login = new URL("/login", request.url);
  if (pathname !== "/") login.searchParams.set("callbackUrl", `${pathname}${search}`);
  return NextResponse.redirect(login);
}

// Static files (icons and the like, anything with an extension) are public.
export const config = { matcher: ["/((?!_next/static|_next/image|.*\\.[a-z0-9]+$).*)"] };
