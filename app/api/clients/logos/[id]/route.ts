import { z } from "zod";
import { AccessError, requireAdmin } from "@/lib/auth/session";
import { getLogo, logoHeaders } from "@/lib/clients/logo";
import { getDb } from "@/lib/db/client";

// Serves a client logo that Warden fetched and checked, from Warden's own
// origin, to signed-in admins only: the admin's browser never contacts the
// publisher, and the image is sent with its checked type, no sniffing and a
// policy under which nothing in it can run.

const json = (status: number, body: unknown) => Response.json(body, { status, headers: { "Cache-Control": "no-store" } });

async function authenticate(): Promise<Response | null> {
  try {
    await requireAdmin("VIEWER", { onFail: "throw" });
    return null;
  } catch (error) {
    if (error instanceof AccessError) return json(error.status, { error: error.message });
    throw error;
  }
}

export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const refused = await authenticate();
  if (refused) return refused;
  const id = z.uuid().safeParse((await params).id);
  const logo = id.success ? await getLogo(getDb(), id.data) : null;
  if (!logo) return json(404, { error: "There is no such logo." });
  return new Response(new Uint8Array(logo.data), { status: 200, headers: logoHeaders(logo) });
}

// Still checks the session first, so that probing it tells a stranger nothing.
export async function POST(): Promise<Response> {
  const refused = await authenticate();
  if (refused) return refused;
  return json(405, { error: "Logos are only read, with GET." });
}
