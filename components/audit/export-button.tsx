"use client";

import { Download, X } from "lucide-react";
import { useSearchParams } from "next/navigation";
import { useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { countOf, formatBytes } from "@/lib/format/count";

type Progress = { rows: number; bytes: number };

/**
 * Downloads everything that matches the current filters (not just this page)
 * with a running count, since a large export takes a while. The server
 * streams it; the file is handed to the browser when it is complete.
 */
export function ExportButtons({ environment }: { environment: string }) {
  const params = useSearchParams();
  const [progress, setProgress] = useState<Progress | null>(null);
  const [message, setMessage] = useState<{ tone: "error" | "done"; text: string } | null>(null);
  const abort = useRef<AbortController | null>(null);

  async function run(format: "csv" | "jsonl") {
    const query = new URLSearchParams(params.toString());
    for (const key of ["before", "after", "event", "size", "live"]) query.delete(key);
    query.set("format", format);
    const controller = new AbortController();
    abort.current = controller;
    setMessage(null);
    setProgress({ rows: 0, bytes: 0 });
    try {
      const response = await fetch(`/api/audit/${environment}/export?${query.toString()}`, { signal: controller.signal });
      if (!response.ok || !response.body) {
        throw new Error(((await response.json().catch(() => null)) as { error?: string } | null)?.error ?? `HTTP ${response.status}`);
      }
      const reader = response.body.getReader();
      const parts: Uint8Array<ArrayBuffer>[] = [];
      let rows = 0;
      let bytes = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
        bytes += value.length;
        for (const byte of value) if (byte === 10) rows++;
        setProgress({ rows: format === "csv" ? Math.max(0, rows - 1) : rows, bytes });
      }
      const filename = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") ?? "")?.[1] ?? `warden-audit.${format}`;
      const url = URL.createObjectURL(new Blob(parts, { type: response.headers.get("content-type") ?? "application/octet-stream" }));
      const anchor = document.createElement("a");
      anchor.href = url;
      anchor.download = filename;
      anchor.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      setMessage({ tone: "done", text: `Saved ${filename} (${formatBytes(bytes)}).` });
    } catch (error) {
      setMessage({ tone: "error", text: controller.signal.aborted ? "Export cancelled." : `The export failed: ${error instanceof Error ? error.message : String(error)}` });
    } finally {
      abort.current = null;
      setProgress(null);
    }
  }

  // The buttons keep their place while an export runs: its progress and
  // outcome appear on a line of their own below them, out of the flow.
  return (
    <div className="relative flex items-center gap-2">
      <Button variant="secondary" disabled={progress !== null} onClick={() => void run("csv")}>
        <Download className="h-4 w-4" aria-hidden /> Export CSV
      </Button>
      <Button variant="secondary" disabled={progress !== null} onClick={() => void run("jsonl")}>
        JSONL
      </Button>
      <div className="absolute right-0 top-full mt-1 flex items-center gap-2 whitespace-nowrap">
        {progress ? (
          <>
            <span role="status" className="text-sm text-muted-foreground">
              Exporting… about {countOf(progress.rows, "event")} ({formatBytes(progress.bytes)})
            </span>
            <Button variant="ghost" size="sm" onClick={() => abort.current?.abort()}>
              <X className="h-4 w-4" aria-hidden /> Cancel
            </Button>
          </>
        ) : null}
        {message ? (
          <span role={message.tone === "error" ? "alert" : "status"} className={message.tone === "error" ? "text-sm text-destructive" : "text-sm text-muted-foreground"}>
            {message.text}
          </span>
        ) : null}
      </div>
    </div>
  );
}
