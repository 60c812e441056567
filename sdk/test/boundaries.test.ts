import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { expect, it } from "vitest";

const root = resolve(__dirname, "../..");

/** Every module the SDK loads, following relative imports from its entry point. */
function importGraph(entry: string) {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(/^\s*(?:import|export)\s[^"']*?from\s+["']([^"']+)["']/gm)) {
      const specifier = match[1]!;
      if (!specifier.startsWith(".")) {
        packages.add(specifier.startsWith("node:") ? "node:" : specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/"));
        continue;
      }
      const base = resolve(dirname(file), specifier);
      visit([base, `${base}.ts`, join(base, "index.ts")].find((candidate) => existsSync(candidate) && candidate.endsWith(".ts"))!);
    }
  };
  visit(entry);
  return { files: [...files].map((file) => relative(root, file)).sort(), packages: [...packages].sort() };
}

it("the SDK reaches only the pure policy, hashing and input-rule modules of lib/, never the database", () => {
  const graph = importGraph(resolve(root, "sdk/src/index.ts"));
  expect(graph.files.filter((file) => !file.startsWith("sdk/"))).toEqual(["lib/audit/redact.ts", "lib/crypto/canonical-json.ts", "lib/input/rules.ts", "lib/policy/decide.ts", "lib/policy/types.ts"]);
  expect(graph.packages).toEqual(["jose", "node:", "uuid", "zod"]);
});
