/**
 * The project's own import graph, read with TypeScript's pre-processor (static imports,
 * re-exports and string-literal dynamic imports between our files; packages are left out).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export const ROOT = resolve(import.meta.dirname, '../..');

/** Folders whose TypeScript is product code (tests, benchmarks and dev scripts are not). */
export const SOURCE_DIRS = ['pipeline', 'cli', 'actions', 'service'];

const SKIP = new Set(['node_modules', 'dist', 'public', 'vendor']);

export function sourceFiles(dirs: string[] = SOURCE_DIRS): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) {
        if (!SKIP.has(name)) walk(p);
      } else if (/\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(relative(ROOT, p));
    }
  };
  for (const d of dirs) walk(join(ROOT, d));
  return out.sort();
}

/** Relative imports of one file, resolved to project paths (`a/b.ts`). */
export function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
  const out: string[] = [];
  for (const ref of info.importedFiles) {
    if (!ref.fileName.startsWith('.')) continue;
    const target = relative(ROOT, resolve(ROOT, dirname(file), ref.fileName));
    if (existsSync(join(ROOT, target))) out.push(target);
  }
  return out;
}

export function importGraph(files: string[] = sourceFiles()): Map<string, string[]> {
  return new Map(files.map((f) => [f, importsOf(f).filter((t) => /\.(ts|mts)$/.test(t))]));
}

/** Strongly connected components with more than one file (or a file importing itself): the import circles. */
export function importCycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}
