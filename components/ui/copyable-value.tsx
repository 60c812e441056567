"use client";

import { Copy } from "lucide-react";
import { useState } from "react";
import { Button } from "./button";
import { Input } from "./input";

/** A read-only value (a link, a key shown once) with a Copy button. */
export function CopyableValue({ value, label }: { value: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="mt-2 flex items-center gap-2">
      <Input readOnly value={value} aria-label={label} className="font-mono text-xs" onFocus={(event) => event.target.select()} />
      <Button
        variant="secondary"
        size="sm"
        onClick={async () => {
          await navigator.clipboard.writeText(value);
          setCopied(true);
        }}
      >
        <Copy className="h-4 w-4" aria-hidden /> {copied ? "Copied" : "Copy"}
      </Button>
    </div>
  );
}
