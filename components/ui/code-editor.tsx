"use client";

import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { json, jsonParseLinter } from "@codemirror/lang-json";
import { bracketMatching, indentOnInput } from "@codemirror/language";
import { lintGutter, linter, setDiagnostics, type Diagnostic } from "@codemirror/lint";
import { EditorState } from "@codemirror/state";
import { EditorView, highlightActiveLine, keymap, lineNumbers } from "@codemirror/view";
import { useEffect, useRef } from "react";
import { cn } from "./cn";

export type LineProblem = { line: number; message: string };

const THEME = EditorView.theme({
  "&": { fontSize: "13px", backgroundColor: "var(--color-surface, transparent)" },
  "&.cm-focused": { outline: "2px solid var(--color-primary, #3b82f6)", outlineOffset: "1px" },
  ".cm-content": { fontFamily: "ui-monospace, SFMono-Regular, Menlo, monospace", minHeight: "12rem" },
  ".cm-gutters": { backgroundColor: "transparent", borderRight: "1px solid var(--color-border, #e5e7eb)" },
});

/**
 * A code editor on CodeMirror 6 (JSON by default): JSON syntax errors are marked at their line
 * as you type, and problems found by the server (passed in `problems`) are
 * marked at theirs. Tab is left to the browser (no indentWithTab), so the
 * keyboard can always move on to the next field.
 */
export function CodeEditor({
  id,
  value,
  onChange,
  problems = [],
  readOnly = false,
  labelledBy,
  describedBy,
  invalid = false,
  language = "json",
  className,
}: {
  id: string;
  value: string;
  onChange?: (value: string) => void;
  problems?: LineProblem[];
  readOnly?: boolean;
  labelledBy?: string;
  describedBy?: string;
  invalid?: boolean;
  /** "text" turns off JSON highlighting and its syntax linter (for YAML, say); server problems still show. */
  language?: "json" | "text";
  className?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);
  useEffect(() => {
    onChangeRef.current = onChange;
  }, [onChange]);

  useEffect(() => {
    if (!host.current) return;
    const created = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          lineNumbers(),
          history(),
          highlightActiveLine(),
          indentOnInput(),
          bracketMatching(),
          keymap.of([...defaultKeymap, ...historyKeymap]),
          ...(language === "json" ? [json(), linter(jsonParseLinter(), { delay: 300 })] : []),
          lintGutter(),
          THEME,
          EditorState.readOnly.of(readOnly),
          EditorView.editable.of(!readOnly),
          EditorView.contentAttributes.of({
            id,
            role: "textbox",
            "aria-multiline": "true",
            ...(labelledBy ? { "aria-labelledby": labelledBy } : {}),
            ...(describedBy ? { "aria-describedby": describedBy } : {}),
            ...(invalid ? { "aria-invalid": "true" } : {}),
            ...(readOnly ? { "aria-readonly": "true" } : {}),
          }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) onChangeRef.current?.(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = created;
    return () => {
      created.destroy();
      view.current = null;
    };
    // The editor is created once; later value changes from outside go through the effect below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [readOnly, invalid, language]);

  // A value replaced from outside (e.g. "load their values") replaces the document.
  useEffect(() => {
    const current = view.current;
    if (current && current.state.doc.toString() !== value) {
      current.dispatch({ changes: { from: 0, to: current.state.doc.length, insert: value } });
    }
  }, [value]);

  useEffect(() => {
    const current = view.current;
    if (!current) return;
    const { doc } = current.state;
    const diagnostics: Diagnostic[] = problems
      .filter((problem) => problem.line >= 1 && problem.line <= doc.lines)
      .map((problem) => {
        const line = doc.line(problem.line);
        return { from: line.from, to: line.to, severity: "error", message: problem.message, source: "Warden" };
      });
    current.dispatch(setDiagnostics(current.state, diagnostics));
  }, [problems]);

  return <div ref={host} data-testid={`${id}-editor`} className={cn("overflow-hidden rounded-md border bg-surface", invalid && "border-destructive", className)} />;
}
