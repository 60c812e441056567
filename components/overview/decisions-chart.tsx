"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { DecisionBucket } from "@/lib/audit/insights";

// Theme colours come from the CSS variables, so the chart follows light and dark mode.
const SERIES = [
  { key: "allow", label: "Allowed", color: "var(--success)" },
  { key: "deny", label: "Denied", color: "var(--destructive)" },
  { key: "error", label: "Errors", color: "var(--warning)" },
] as const;

function label(iso: string, hourly: boolean) {
  const date = new Date(iso);
  return hourly ? `${String(date.getUTCHours()).padStart(2, "0")}:00` : date.toISOString().slice(5, 10);
}

/** Tool-call decisions per hour or day, stacked; a table with the same numbers is there for screen readers. */
export function DecisionsChart({ series, hourly }: { series: DecisionBucket[]; hourly: boolean }) {
  const data = series.map((entry) => ({ ...entry, label: label(entry.bucket, hourly) }));
  return (
    <figure className="space-y-2">
      <div className="h-64 w-full" aria-hidden>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" vertical={false} />
            <XAxis dataKey="label" tick={{ fill: "var(--muted-foreground)", fontSize: 12 }} stroke="var(--border)" />
            <YAxis allowDecimals={false} tick={{ fill: "var(--muted-foreground)", fontSize: 12 }} stroke="var(--border)" width={48} />
            <Tooltip
              cursor={{ fill: "var(--muted)", opacity: 0.5 }}
              contentStyle={{ background: "var(--surface)", border: "1px solid var(--border)", borderRadius: 6, color: "var(--foreground)", fontSize: 12 }}
            />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            {SERIES.map((entry) => (
              <Bar key={entry.key} dataKey={entry.key} name={entry.label} stackId="decisions" fill={entry.color} isAnimationActive={false} />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="sr-only">
        <table>
          <caption>Decisions per {hourly ? "hour" : "day"} (UTC)</caption>
          <thead>
            <tr>
              <th>Period</th>
              <th>Allowed</th>
              <th>Denied</th>
              <th>Errors</th>
            </tr>
          </thead>
          <tbody>
            {data.map((entry) => (
              <tr key={entry.bucket}>
                <td>{entry.label}</td>
                <td>{entry.allow}</td>
                <td>{entry.deny}</td>
                <td>{entry.error}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </figcaption>
    </figure>
  );
}
