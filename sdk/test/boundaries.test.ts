import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { expect, it } from "vitest";

const sdk = resolve(__dirname, "..");

/** Every .ts file under a directory. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : []));
}

/** What a file imports (static, re-exported or dynamic): relative paths resolved, packages by name. */
function importsOf(file: string) {
  const source = readFileSync(file, "utf8");
  const specifiers = [...source.matchAll(/\bfrom\s+["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|^\s*import\s+["']([^"']+)["']/gm)].map((match) => (match[1] ?? match[2] ?? match[3])!);
  return {
    relative: specifiers.filter((specifier) => specifier.startsWith(".")).map((specifier) => ({ specifier, path: resolve(dirname(file), specifier) })),
    packages: specifiers
      .filter((specifier) => !specifier.startsWith("."))
      .map((specifier) => (specifier.startsWith("node:") ? specifier : specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/"))),
  };
}

it("the SDK's sources import nothing outside sdk/src but its three dependencies and Node's built-ins", () => {
  const files = sourceFiles(join(sdk, "src"));
  const escapes = files.flatMap((file) => importsOf(file).relative.filter(({ path }) => relative(join(sdk, "src"), path).startsWith("..")).map(({ specifier }) => `${relative(sdk, file)}: ${specifier}`));
  expect(escapes).toEqual([]);
  const packages = new Set(files.flatMap((file) => importsOf(file).packages.map((name) => (name.startsWith("node:") ? "node:" : name))));
  expect([...packages].sort()).toEqual(["jose", "node:", "uuid", "zod"]);
  // What the package declares is what it needs, so an install brings all of it.
  const manifest = JSON.parse(readFileSync(join(sdk, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  expect(Object.keys(manifest.dependencies).sort()).toEqual(["jose", "uuid", "zod"]);
});

it("relative imports name their .ts file, so the compiled package resolves them under plain Node", () => {
  const bare = sourceFiles(join(sdk, "src")).flatMap((file) => importsOf(file).relative.filter(({ specifier }) => !specifier.endsWith(".ts")).map(({ specifier }) => `${relative(sdk, file)}: ${specifier}`));
  expect(bare).toEqual([]);
});

it("the contract, which the server imports too, needs only zod and Node's crypto", () => {
  const files = sourceFiles(join(sdk, "src/contract"));
  const outside = files.flatMap((file) => importsOf(file).relative.filter(({ path }) => relative(join(sdk, "src/contract"), path).startsWith("..")).map(({ specifier }) => `${relative(sdk, file)}: ${specifier}`));
  expect(outside).toEqual([]);
  expect([...new Set(files.flatMap((file) => importsOf(file).packages))].sort()).toEqual(["node:crypto", "zod"]);
});
