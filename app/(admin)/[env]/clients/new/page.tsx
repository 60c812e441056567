import type { Metadata } from "next";
import Link from "next/link";
import { requireAdmin } from "@/lib/auth/session";
import { environmentFromParams } from "@/lib/environments/current";
import { PageHeader } from "@/components/ui/page-header";
import { RegisterClientForm } from "@/components/clients/register-client-form";

export const metadata: Metadata = { title: "Register a client" };

export default async function RegisterClientPage({ params }: { params: Promise<{ env: string }> }) {
  await requireAdmin("ADMIN");
  const environment = await environmentFromParams(params);
  return (
    <>
      <PageHeader
        title="Register a client"
        description={
          <>
            Paste the client_id URL an agent identifies itself with. Warden fetches its metadata safely, checks every rule, and shows
            you what it claims before anything is created in {environment.name}.{" "}
            <Link href={`/${environment.key}/clients`} className="text-primary hover:underline">
              Back to clients
            </Link>
          </>
        }
      />
      <RegisterClientForm environment={environment.key} />
    </>
  );
}
