import type { Metadata } from "next";
import Link from "next/link";
import { requireAdmin } from "@/lib/auth/session";
import { environmentFromParams } from "@/lib/environments/current";
import { PageHeader } from "@/components/ui/page-header";
import { RegisterKindChooser } from "@/components/clients/register-kind-chooser";

export const metadata: Metadata = { title: "Register a client" };

export default async function RegisterClientPage({
  params,
  searchParams,
}: {
  params: Promise<{ env: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  await requireAdmin("ADMIN");
  const environment = await environmentFromParams(params);
  // ?kind=pre-registered opens the second form, so a link can lead straight to it.
  const initialKind = (await searchParams).kind === "pre-registered" ? "PRE_REGISTERED" : "CIMD";
  return (
    <>
      <PageHeader
        title="Register a client"
        description={
          <>
            An agent identifies itself by a client_id: either a metadata document URL, which Warden fetches safely, checks and shows you, or an
            id your IdP issued, which you describe. Nothing is created in {environment.name} until you decide.{" "}
            <Link href={`/${environment.key}/clients`} className="text-primary hover:underline">
              Back to clients
            </Link>
          </>
        }
      />
      <RegisterKindChooser environment={environment.key} initialKind={initialKind} />
    </>
  );
}
