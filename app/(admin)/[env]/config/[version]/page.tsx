import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { z } from "zod";
import { requireAdmin } from "@/lib/auth/session";
import { getConfigVersion } from "@/lib/config/publish";
import { diffConfigs } from "@/lib/config/snapshot";
import { getDb } from "@/lib/db/client";
import { NotFoundError } from "@/lib/errors";
import { environmentFromParams } from "@/lib/environments/current";
import { PageHeader } from "@/components/ui/page-header";
import { RelativeTime } from "@/components/ui/relative-time";
import { ConfigDiffView } from "@/components/config/config-diff";

export const metadata: Metadata = { title: "Config version" };

const VersionSchema = z.coerce.number().int().min(1).max(2_147_483_647);

export default async function ConfigVersionPage({
  params,
  searchParams,
}: {
  params: Promise<{ env: string; version: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  await requireAdmin("VIEWER");
  const environment = await environmentFromParams(params);
  const version = VersionSchema.safeParse((await params).version);
  if (!version.success) notFound();
  const load = (number: number) =>
    getConfigVersion(getDb(), environment.id, number).catch((error: unknown) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    });
  const current = await load(version.data);
  if (!current) notFound();
  const compareTo = VersionSchema.safeParse((await searchParams).compare);
  const other = compareTo.success ? await load(compareTo.data) : current.version > 1 ? await load(current.version - 1) : null;

  return (
    <>
      <PageHeader
        title={`Version ${current.version}`}
        description={
          <>
            Published <RelativeTime iso={current.publishedAt.toISOString()} /> by {current.publishedBy?.email ?? "a removed admin"}
            {current.note ? ` — “${current.note}”` : ""}.{" "}
            <Link href={`/${environment.key}/config`} className="text-primary hover:underline">
              All versions
            </Link>
          </>
        }
      />
      <div className="grid gap-6 xl:grid-cols-2">
        <section className="rounded-lg border bg-surface p-5" aria-labelledby="compare-heading">
          <h2 id="compare-heading" className="font-medium">
            {other ? `Changes from version ${other.version}` : "The first version"}
          </h2>
          <form className="mt-2 flex items-end gap-2 text-sm" method="get">
            <label className="flex items-center gap-2">
              Compare with version
              <input name="compare" type="number" min={1} defaultValue={other?.version} className="h-8 w-20 rounded-md border bg-surface px-2" />
            </label>
            <button type="submit" className="h-8 rounded-md border px-3 hover:bg-muted">
              Compare
            </button>
          </form>
          {compareTo.success && !other ? <p className="mt-2 text-sm text-destructive">There is no version {compareTo.data}.</p> : null}
          <div className="mt-4">{other ? <ConfigDiffView diff={diffConfigs(other.snapshot, current.snapshot)} label="Differences" /> : null}</div>
        </section>
        <section className="rounded-lg border bg-surface p-5" aria-labelledby="content-heading">
          <h2 id="content-heading" className="font-medium">
            Content
          </h2>
          <p className="mt-1 font-mono text-xs break-all text-muted-foreground">
            {current.contentHash} · signed with key {current.keyId.slice(0, 12)}…
          </p>
          <pre className="mt-3 max-h-[32rem] overflow-auto rounded-md bg-muted p-3 text-xs">{JSON.stringify(current.snapshot, null, 2)}</pre>
        </section>
      </div>
    </>
  );
}
