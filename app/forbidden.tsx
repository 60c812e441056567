import Link from "next/link";

export default function Forbidden() {
  return (
    <div className="mx-auto max-w-md py-24 text-center">
      <p className="text-sm font-medium text-muted-foreground">403</p>
      <h1 className="mt-2 text-xl font-semibold">Your role does not allow this page</h1>
      <p className="mt-2 text-sm text-muted-foreground">Ask an owner or admin for a role with more access if you need it.</p>
      <Link href="/" className="mt-6 inline-block text-sm font-medium text-primary underline-offset-4 hover:underline">
        Back to the dashboard
      </Link>
    </div>
  );
}
