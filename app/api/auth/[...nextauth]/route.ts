import NextAuth from "next-auth";
import { buildAuthOptions } from "@/lib/auth/options";

// next-auth's own endpoints (sign-in, callback, session, csrf, sign-out) are
// public by nature; everything they return about a session is re-checked
// against the database by requireAdmin.
async function handler(request: Request, context: { params: Promise<{ nextauth: string[] }> }) {
  return NextAuth(buildAuthOptions())(request, context);
}

export { handler as GET, handler as POST };
