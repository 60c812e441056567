export default function Loading() {
  return (
    <div className="space-y-3" aria-busy="true" aria-label="Loading downstream APIs">
      <div className="h-8 w-64 animate-pulse rounded bg-muted" />
      <div className="h-24 animate-pulse rounded-lg bg-muted" />
      <div className="h-40 animate-pulse rounded-lg bg-muted" />
    </div>
  );
}
