import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

// Modules that import each other load in an order that depends on who is imported first, and a
// value read during loading can be undefined (issue 15 removed such circles from the bot and the
// plan). Type-only imports are erased by the compiler and are not counted.
const repo = resolve(__dirname, "../..");

function sourceFiles(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
        const file = join(dir, name);
        if (statSync(file).isDirectory()) return name === "node_modules" ? [] : sourceFiles(file);
        return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [file] : [];
    });
}

/** Relative imports that load a module at run time, resolved to files. */
function runtimeImports(file: string, text: string): string[] {
    const specifiers = [
        ...text.matchAll(/^import\s+(?!type\s)[^;]*?from\s+"(\.{1,2}\/[^"]+)"/gms),
        ...text.matchAll(/^export\s+(?!type\s)[^;]*?from\s+"(\.{1,2}\/[^"]+)"/gms),
        ...text.matchAll(/^import\s+"(\.{1,2}\/[^"]+)"/gm),
        ...text.matchAll(/\bimport\(\s*"(\.{1,2}\/[^"]+)"\s*\)/g),
    ].map((match) => match[1]!);
    return specifiers.flatMap((specifier) => {
        const base = resolve(dirname(file), specifier.replace(/\.js$/, ""));
        const found = [`${base}.ts`, join(base, "index.ts")].find((candidate) =>
            existsSync(candidate),
        );
        return found === undefined ? [] : [found];
    });
}

/** Every cycle, each as the files along it (starting from its smallest path). */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
    const cycles = new Map<string, string[]>();
    const visit = (file: string, path: string[]) => {
        const at = path.indexOf(file);
        if (at !== -1) {
            const cycle = path.slice(at);
            const start = cycle.indexOf([...cycle].sort()[0]!);
            const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
            cycles.set(rotated.join(" -> "), rotated);
            return;
        }
        for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    };
    for (const file of graph.keys()) visit(file, []);
    return [...cycles.values()];
}

function graphOf(roots: readonly string[]): Map<string, string[]> {
    const files = roots.flatMap((root) => {
        const path = join(repo, root);
        return statSync(path).isDirectory() ? sourceFiles(path) : [path];
    });
    return new Map(files.map((file) => [file, runtimeImports(file, readFileSync(file, "utf8"))]));
}

describe("import cycles", () => {
    it("finds a cycle, and only a runtime one", () => {
        const graph = new Map([
            ["a", ["b"]],
            ["b", ["c"]],
            ["c", ["a"]],
            ["d", ["a"]],
        ]);
        expect(importCycles(graph)).toEqual([["a", "b", "c"]]);
        const file = join(repo, "components/plan/plan.ts");
        const text =
            'import type { StackConfig } from "../config/config";\nimport { render } from "./render";\n';
        expect(runtimeImports(file, text)).toEqual([join(repo, "components/plan/render.ts")]);
    });

    it.each([
        ["the program", ["index.ts", "components", "scripts"]],
        ["the bot", ["bot/src"]],
    ])("%s has none", (_name, roots) => {
        const cycles = importCycles(graphOf(roots)).map((cycle) =>
            cycle.map((file) => relative(repo, file)).join(" -> "),
        );
        expect(cycles).toEqual([]);
    });
});
