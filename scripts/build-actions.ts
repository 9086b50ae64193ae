/**
 * Bundles every action under actions/ into the JavaScript action GitHub runs
 * (`runs: using: node24`, `main: dist/index.js`): one esbuild bundle per action that
 * needs no node_modules, no npm and no TypeScript loader, so the action works from
 * `_actions/<owner>/<repo>/<ref>/actions/<name>/` in any repository.
 *
 *   dist/index.js          the action: runs main.ts's `run()` (ESM)
 *   dist/package.json      {"type": "module"}, so Node loads index.js as ESM wherever the folder lands
 *   dist/forest-worker.cjs the tree engines' worker thread, when the action trains
 *   dist/licenses.txt      name, version and license text of every package in the bundle
 *
 * Usage: npm run build:actions            (writes every dist/)
 *        npm run build:actions -- --check (exits 1 when one is stale; test/actions/bundles.test.ts does the same)
 */
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');
const WORKER_POOL = 'pipeline/core/engines/tree/worker-pool.ts';
const WORKER_ENTRY = 'pipeline/core/engines/tree/forest-worker.ts';

/** The folders under actions/ that hold an action.yml. */
export function actionNames(): string[] {
  return readdirSync(join(ROOT, 'actions'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(ROOT, 'actions', d.name, 'action.yml')))
    .map((d) => d.name)
    .sort();
}

const COMMON: BuildOptions & { write: false; metafile: true } = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  // The runner's Node for `using: node24`.
  target: 'node24',
  write: false,
  metafile: true,
  logLevel: 'warning',
  // Paths in the bundle's comments relative to the repository, so every machine builds the same bytes.
  absWorkingDir: ROOT,
  legalComments: 'none',
  charset: 'utf8',
  // A native addon cannot be bundled; the charts module imports it only to draw PNGs,
  // which no action does (test/actions/bundles.test.ts checks no bundle keeps the import).
  external: ['@resvg/resvg-js'],
};

function projectPackage(): { version: string; dependencies: Record<string, string> } {
  return JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
    dependencies: Record<string, string>;
  };
}

/** The installed version of each of package.json's dependencies. */
function dependencyVersions(): Record<string, string> {
  return Object.fromEntries(
    Object.keys(projectPackage().dependencies)
      .sort()
      .map((d) => [
        d,
        (JSON.parse(readFileSync(join(ROOT, 'node_modules', d, 'package.json'), 'utf8')) as { version: string })
          .version,
      ]),
  );
}

export interface ActionBundle {
  /** File contents by name relative to the action's dist/ folder. */
  files: Map<string, string>;
  /** Modules the bundles still import at run time (they must be Node's own). */
  imports: string[];
}

export async function bundleAction(name: string): Promise<ActionBundle> {
  const dir = join(ROOT, 'actions', name);
  const result = await build({
    ...COMMON,
    stdin: {
      contents: "import { run } from './main.ts';\n\nawait run();\n",
      resolveDir: dir,
      sourcefile: `actions/${name}/index.ts`,
      loader: 'ts',
    },
    outfile: join(dir, 'dist', 'index.js'),
    // Provenance (a model's code version, a model card's package versions) without the
    // package.json and node_modules a bundle may run without.
    define: {
      'process.env.MLOPS_BUNDLED_VERSION': JSON.stringify(projectPackage().version),
      'process.env.MLOPS_BUNDLED_PACKAGES': JSON.stringify(JSON.stringify(dependencyVersions())),
    },
    // CommonJS dependencies (ajv, undici, …) call require(): give the ESM bundle one.
    banner: {
      js: "import { createRequire as __actionCreateRequire } from 'node:module';\nconst require = __actionCreateRequire(import.meta.url);",
    },
  });
  const files = new Map<string, string>();
  files.set('index.js', result.outputFiles[0].text);
  files.set('package.json', '{ "type": "module" }\n');
  const metafiles = [result.metafile];
  // Modules tree-shaken away stay listed with no bytes in the output.
  const output = Object.values(result.metafile.outputs)[0];
  if ((output.inputs[WORKER_POOL]?.bytesInOutput ?? 0) > 0) {
    // Worker threads evaluate their code as a CommonJS script (worker-pool.ts).
    const worker = await build({
      ...COMMON,
      format: 'cjs',
      entryPoints: [join(ROOT, WORKER_ENTRY)],
      outfile: join(dir, 'dist', 'forest-worker.cjs'),
    });
    files.set('forest-worker.cjs', worker.outputFiles[0].text);
    metafiles.push(worker.metafile);
  }
  files.set('licenses.txt', licenses(metafiles));
  const imports = metafiles.flatMap((m) =>
    Object.values(m.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path)),
  );
  return { files, imports: [...new Set(imports)].sort() };
}

/** Every npm package whose code is in the bundle, with its license text (their licenses ask for it). */
function licenses(metafiles: Metafile[]): string {
  const packages = new Map<string, string>();
  for (const meta of metafiles) {
    for (const input of Object.keys(meta.inputs)) {
      const m = input.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//);
      if (m) packages.set(m[1], m[1]);
    }
  }
  const entries = [...packages.keys()].map((dir) => {
    const pkg = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      license?: string;
    };
    const file = readdirSync(join(ROOT, dir)).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    const text = file ? readFileSync(join(ROOT, dir, file), 'utf8').trim() : '(no license file in the package)';
    return {
      id: `${pkg.name}@${pkg.version}`,
      text: `${pkg.name} ${pkg.version} (${pkg.license ?? 'unknown'})\n\n${text}`,
    };
  });
  // One entry per name and version, however many copies node_modules holds.
  const unique = new Map(entries.map((e) => [e.id, e.text]));
  return (
    [...unique.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, text]) => text)
      .join(`\n\n${'-'.repeat(78)}\n\n`) + '\n'
  );
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const name of actionNames()) {
    const dist = join(ROOT, 'actions', name, 'dist');
    const { files } = await bundleAction(name);
    const current = existsSync(dist) ? readdirSync(dist).sort() : [];
    const same =
      current.join() === [...files.keys()].sort().join() &&
      [...files].every(([f, text]) => readFileSync(join(dist, f), 'utf8') === text);
    if (same) continue;
    if (check) {
      process.stderr.write(`${relative(ROOT, dist)} is stale: run npm run build:actions\n`);
      stale++;
      continue;
    }
    // Assembled beside the old folder and swapped in, so a failed build leaves no half-written dist/.
    const tmp = `${dist}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    for (const [f, text] of files) writeFileSync(join(tmp, f), text);
    rmSync(dist, { recursive: true, force: true });
    renameSync(tmp, dist);
    const kb = (files.get('index.js')!.length / 1024).toFixed(0);
    process.stdout.write(`wrote ${relative(ROOT, dist)}/ (index.js ${kb} KB, ${files.size} files)\n`);
  }
  if (stale) process.exit(1);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) await main();
