import { z } from "zod";
import { authenticateRoute, methodNotAllowed } from "@/lib/http/route-auth";
import { getLogo, logoHeaders } from "@/lib/clients/logo";
import { getDb } from "@/lib/db/client";

// Serves a client logo that Warden fetched and checked, from Warden's own
// origin, to signed-in admins only: the admin's browser never contacts the
// publisher, and the image is sent with its checked type, no sniffing and a
// policy under which nothing in it can run.

const json = (status: number, body: unknown) => Response.json(body, { status, headers: { "Cache-Control": "no-store" } });

export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const auth = await authenticateRoute("VIEWER");
  if (!auth.ok) return auth.response;
  const id = z.uuid().safeParse((await params).id);
  const logo = id.success ? await getLogo(getDb(), id.data) : null;
  if (!logo) return json(404, { error: "There is no such logo." });
  return new Response(new Uint8Array(logo.data), { status: 200, headers: logoHeaders(logo) });
}

// A method the route does not offer; the session is still checked first.
export const POST = methodNotAllowed("VIEWER", "GET", "Logos are only read, with GET.");
