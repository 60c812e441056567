import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

// The layers, top to bottom: app/ (routes) → components/ (UI) → actions/
// (server actions, the browser's way in) → lib/ (the domain). Imports only
// run downwards, and what reaches the database or secrets is marked
// `import "server-only"`, so a client component that pulls it in fails the
// build instead of shipping server code to the browser.

const root = resolve(__dirname, "..");

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir))) {
    if (entry === "node_modules" || entry === "generated" || entry.startsWith(".")) continue;
    const path = join(dir, entry);
    if (statSync(join(root, path)).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.tsx?$/.test(entry) && !/\.test\.tsx?$/.test(entry)) out.push(path);
  }
  return out;
}

const read = (file: string) => readFileSync(join(root, file), "utf8");

/** The modules a file loads at run time: type-only imports are erased and load nothing. */
function runtimeImports(file: string): string[] {
  const specifiers: string[] = [];
  for (const match of read(file).matchAll(/^\s*(import|export)\s+(type\s+)?([^"';]*?)\s*from\s*["']([^"']+)["']/gm)) {
    if (match[2]) continue;
    const names = /^\{([\s\S]*)\}$/.exec(match[3]!.trim());
    if (names && names[1]!.split(",").every((name) => !name.trim() || name.trim().startsWith("type "))) continue;
    specifiers.push(match[4]!);
  }
  for (const match of read(file).matchAll(/^\s*import\s+["']([^"']+)["']/gm)) specifiers.push(match[1]!);
  return specifiers;
}

/** Every import specifier of a file, types included. */
function allImports(file: string): string[] {
  return [...read(file).matchAll(/^\s*(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']|^\s*import\s+["']([^"']+)["']/gm)].map((match) => match[1] ?? match[2]!);
}

/** The project file a specifier names, or null for a package. */
function resolveImport(from: string, specifier: string): string | null {
  let base: string;
  if (specifier.startsWith("@/")) base = specifier.slice(2);
  else if (specifier.startsWith(".")) base = relative(root, resolve(root, dirname(from), specifier));
  else return null;
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, "index.ts")]) {
    if (existsSync(join(root, candidate)) && statSync(join(root, candidate)).isFile()) return candidate;
  }
  return null;
}

const directive = (file: string, name: string) => new RegExp(`^\\s*["']${name}["'];?`).test(read(file));
const marksServerOnly = (file: string) => /^(?:\s*"use server";)?\s*import "server-only";/.test(read(file).replace(/^\s*(?:\/\/[^\n]*\n|\/\*[\s\S]*?\*\/\s*)*/, ""));

/** Modules that open the database, or hold or decrypt secrets. */
const SENSITIVE = ["lib/db/client.ts", "lib/db/embedded.ts", "lib/db/migrate.ts", "lib/db/schema-engine.ts", "lib/db/testing.ts", "lib/runtime/secrets.ts", "lib/crypto/encryption.ts"];

const libFiles = sourceFiles("lib");
const actionFiles = sourceFiles("actions");
const componentFiles = sourceFiles("components");

describe("rule: imports run down the layers", () => {
  it("components never import from app/: actions live in actions/, domain code in lib/", () => {
    const upward = componentFiles.flatMap((file) => allImports(file).filter((s) => resolveImport(file, s)?.startsWith("app/")).map((s) => `${file}: ${s}`));
    expect(upward).toEqual([]);
  });

  it("lib never imports from app/, components/ or actions/", () => {
    const upward = libFiles.flatMap((file) => allImports(file).filter((s) => /^(app|components|actions)\//.test(resolveImport(file, s) ?? "")).map((s) => `${file}: ${s}`));
    expect(upward).toEqual([]);
  });

  it("actions/ holds only server action modules", () => {
    expect(actionFiles.filter((file) => !directive(file, "use server"))).toEqual([]);
  });
});

describe('rule: every module that reaches the database or secrets starts with import "server-only"', () => {
  const touching = [...libFiles, ...actionFiles].filter(
    (file) => SENSITIVE.includes(file) || allImports(file).some((s) => SENSITIVE.includes(resolveImport(file, s) ?? "")),
  );

  it("finds the modules to check", () => {
    expect(touching).toContain("lib/db/client.ts");
    expect(touching).toContain("lib/tools/tools.ts");
    expect(touching.length).toBeGreaterThan(40);
  });

  it("marks each of them", () => {
    expect(touching.filter((file) => !marksServerOnly(file))).toEqual([]);
  });

  it("no client component loads a server-only module, however indirectly", () => {
    const problems: string[] = [];
    for (const component of componentFiles.filter((file) => directive(file, "use client"))) {
      const via = new Map<string, string | null>([[component, null]]);
      const queue = [component];
      while (queue.length) {
        const file = queue.shift()!;
        // A "use server" module reaches the browser as references to its actions, never as code.
        if (file !== component && directive(file, "use server")) continue;
        if (file !== component && marksServerOnly(file)) {
          const chain = [file];
          for (let step = via.get(file); step; step = via.get(step)) chain.unshift(step);
          problems.push(chain.join(" → "));
          continue;
        }
        for (const specifier of runtimeImports(file)) {
          const target = resolveImport(file, specifier);
          if (target && !via.has(target)) {
            via.set(target, file);
            queue.push(target);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
