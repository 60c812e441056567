/** "1 error", "2 errors", "1,204 events": a count with its noun in the right number. */
export function countOf(count: number, singular: string, plural = `${singular}s`): string {
  return `${count.toLocaleString("en")} ${count === 1 ? singular : plural}`;
}

/** A size a person reads at a glance: "812 bytes", "49 KB", "3.4 MB" (binary units, as file managers show). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return countOf(bytes, "byte");
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024).toLocaleString("en")} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
