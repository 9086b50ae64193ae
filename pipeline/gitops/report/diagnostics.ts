/**
 * Diagnostics of a run: what the data looked like, how long things took, what it ran
 * on, and whether the dependencies are behind. The dependency check asks the npm
 * registry (`npm outdated --json`) with a short timeout and says plainly when the
 * registry cannot be reached — a report must never hang on the network.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, platform, arch, totalmem } from 'node:os';
import { join } from 'node:path';
import { type DataSchema, PROJECT_ROOT, type MetricsFile } from '../../core/index.ts';

export interface ColumnSummary {
  column: string;
  type: 'numeric' | 'categorical';
  missing_pct: number;
  /** Numeric: mean, sd, min, max, median. */
  mean?: number | null;
  sd?: number | null;
  min?: number | null;
  max?: number | null;
  median?: number | null;
  /** Categorical: up to five most frequent categories with their share. */
  top?: { category: string; share: number }[];
  categories?: number;
}

/** Per-column summary of the training data, from the schema stored in the bundle. */
export function dataSummary(schema: DataSchema): ColumnSummary[] {
  const rows = Math.max(1, schema.rows);
  return schema.features.map((f) => {
    const missing_pct = (100 * f.missing) / rows;
    if (f.kind === 'numeric')
      return {
        column: f.name,
        type: 'numeric',
        missing_pct,
        mean: f.mean,
        sd: f.sd,
        min: f.min,
        max: f.max,
        median: f.median,
      };
    const total = f.counts.reduce((s, c) => s + c, 0) || 1;
    return {
      column: f.name,
      type: 'categorical',
      missing_pct,
      categories: f.categories.length,
      top: f.categories.slice(0, 5).map((category, i) => ({ category, share: f.counts[i] / total })),
    };
  });
}

export interface Environment {
  node: string;
  platform: string;
  cpus: number;
  cpu_model: string;
  memory_gb: number;
  /** Installed versions of the project's direct dependencies. */
  packages: Record<string, string>;
}

/** Installed version from node_modules (packages with an `exports` map hide package.json from require.resolve). */
function installedVersion(name: string): string {
  try {
    return (
      JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }
    ).version;
  } catch {
    return 'not installed';
  }
}

/**
 * The direct dependencies' versions as a bundle's build saw them (scripts/build-actions.ts
 * defines it for the actions' dist/index.js): beside a bundle there is no node_modules to
 * read them from.
 */
function bundledVersions(): Record<string, string> | null {
  const json = process.env.MLOPS_BUNDLED_PACKAGES;
  return json ? (JSON.parse(json) as Record<string, string>) : null;
}

export function runEnvironment(): Environment {
  const bundled = bundledVersions();
  let deps: string[] = [];
  try {
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    deps = Object.keys(pkg.dependencies ?? {}).sort();
  } catch {
    deps = [];
  }
  const c = cpus();
  return {
    node: process.versions.node,
    platform: `${platform()} ${arch()}`,
    cpus: c.length,
    cpu_model: c[0]?.model?.trim() ?? 'unknown',
    memory_gb: Math.round(totalmem() / 2 ** 30),
    packages: bundled ?? Object.fromEntries(deps.map((d) => [d, installedVersion(d)])),
  };
}

export interface OutdatedPackage {
  name: string;
  current: string | null;
  wanted: string | null;
  latest: string | null;
}

export interface DependencyReport {
  status: 'up-to-date' | 'outdated' | 'unreachable' | 'skipped' | 'error';
  /** One sentence for the report. */
  message: string;
  outdated: OutdatedPackage[];
}

export interface DependencyCheckOptions {
  /** Milliseconds before giving up (default 8000). */
  timeoutMs?: number;
  /** The command to run (default `npm outdated --json`); tests point it elsewhere. */
  command?: [string, ...string[]];
  cwd?: string;
}

const NETWORK_ERRORS =
  /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|network|socket hang up|request to .* failed/i;

/** Parses `npm outdated --json` output (an object keyed by package name). */
export function parseOutdated(stdout: string): OutdatedPackage[] {
  const text = stdout.trim();
  if (!text) return [];
  const json = JSON.parse(text) as Record<
    string,
    { current?: string; wanted?: string; latest?: string } | { current?: string; wanted?: string; latest?: string }[]
  >;
  if (json && typeof json === 'object' && 'error' in json)
    throw new Error(JSON.stringify((json as { error: unknown }).error));
  return Object.entries(json)
    .map(([name, v]) => {
      const e = Array.isArray(v) ? v[0] : v;
      return { name, current: e?.current ?? null, wanted: e?.wanted ?? null, latest: e?.latest ?? null };
    })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

export function dependencyReport(opts: DependencyCheckOptions = {}): Promise<DependencyReport> {
  const [cmd, ...args] = opts.command ?? ['npm', 'outdated', '--json'];
  const timeout = opts.timeoutMs ?? 8000;
  return new Promise((resolvePromise) => {
    execFile(
      cmd,
      args,
      {
        cwd: opts.cwd ?? PROJECT_ROOT,
        timeout,
        maxBuffer: 4 * 1024 * 1024,
        env: { ...process.env, npm_config_fetch_retries: '0' },
      },
      (err, stdout, stderr) => {
        const e = err as (Error & { killed?: boolean; signal?: string | null; code?: number | string }) | null;
        if (e?.killed || (e && e.signal)) {
          resolvePromise({
            status: 'unreachable',
            message: `The npm registry did not answer within ${timeout / 1000} s, so outdated dependencies could not be checked.`,
            outdated: [],
          });
          return;
        }
        if (e && e.code === 'ENOENT') {
          resolvePromise({
            status: 'error',
            message: `\`${cmd}\` is not installed here, so dependencies were not checked.`,
            outdated: [],
          });
          return;
        }
        if (NETWORK_ERRORS.test(stderr) || NETWORK_ERRORS.test(stdout.slice(0, 2000))) {
          resolvePromise({
            status: 'unreachable',
            message: 'The npm registry cannot be reached from here, so outdated dependencies could not be checked.',
            outdated: [],
          });
          return;
        }
        try {
          // `npm outdated` exits 1 when something is outdated: the JSON is still on stdout.
          const outdated = parseOutdated(stdout);
          resolvePromise(
            outdated.length
              ? {
                  status: 'outdated',
                  message: `${outdated.length} package${outdated.length > 1 ? 's are' : ' is'} behind the newest release.`,
                  outdated,
                }
              : {
                  status: 'up-to-date',
                  message: 'Every dependency is at the newest release its range allows.',
                  outdated,
                },
          );
        } catch (parseError) {
          resolvePromise({
            status: 'error',
            message: `The dependency check failed: ${(parseError as Error).message.split('\n')[0].slice(0, 200)}`,
            outdated: [],
          });
        }
      },
    );
  });
}

export interface TimingRow {
  step: string;
  seconds: number | null;
}

/** Training and scoring timings from metrics.json, plus report steps when given. */
export function timingRows(t: MetricsFile['timings'] | undefined): TimingRow[] {
  if (!t) return [];
  return [
    { step: 'load and split data', seconds: t.load_s },
    { step: 'preprocess', seconds: t.preprocess_s },
    { step: 'fit', seconds: t.fit_s },
    { step: 'evaluate and seal', seconds: t.evaluate_s },
    { step: 'total training run', seconds: t.total_s },
  ];
}
