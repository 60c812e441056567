import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { requireAdmin } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { listEnvironments } from "@/lib/environments/environments";
import { ENVIRONMENT_COOKIE } from "@/components/shell/nav";

/** "/" opens the environment the admin used last. */
export default async function Home() {
  await requireAdmin("VIEWER");
  const environments = await listEnvironments(getDb());
  const remembered = (await cookies()).get(ENVIRONMENT_COOKIE)?.value;
  redirect(`/${environments.find((environment) => environment.key === remembered)?.key ?? environments[0]?.key ?? "dev"}`);
}
