/**
 * Shellchecks every `run:` block of the workflows (the actions are JavaScript actions). The
 * actionlint build that runs in Node (WebAssembly) cannot call shellcheck, so this does
 * that part: each block becomes a bash script (`${{ … }}` expressions replaced by a
 * placeholder, as actionlint does) checked by Debian's `shellcheck`.
 *
 *   npx tsx scripts/shellcheck-runs.ts [files…]   (default: .github/workflows/*.yml)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import YAML from 'yaml';

const ROOT = join(import.meta.dirname, '..');

interface RunBlock {
  file: string;
  where: string;
  shell: string;
  script: string;
}

function defaultFiles(): string[] {
  const wf = join(ROOT, '.github', 'workflows');
  const files = existsSync(wf)
    ? readdirSync(wf)
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => join(wf, f))
    : [];
  return files.sort();
}

type Step = { run?: unknown; shell?: unknown; name?: unknown; id?: unknown };

function blocks(file: string): RunBlock[] {
  const doc = YAML.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const out: RunBlock[] = [];
  const take = (steps: unknown, where: string, defShell: string): void => {
    if (!Array.isArray(steps)) return;
    steps.forEach((s: Step, i) => {
      if (typeof s?.run !== 'string') return;
      const label = typeof s.name === 'string' ? s.name : typeof s.id === 'string' ? s.id : `step ${i + 1}`;
      out.push({
        file,
        where: `${where} › ${label}`,
        shell: typeof s.shell === 'string' ? s.shell : defShell,
        script: s.run,
      });
    });
  };
  const jobs = doc.jobs as Record<string, { steps?: unknown; defaults?: { run?: { shell?: string } } }> | undefined;
  const topShell = (doc.defaults as { run?: { shell?: string } } | undefined)?.run?.shell ?? 'bash';
  for (const [name, job] of Object.entries(jobs ?? {}))
    take(job.steps, `job ${name}`, job.defaults?.run?.shell ?? topShell);
  return out;
}

function main(): number {
  const files = process.argv.slice(2).length ? process.argv.slice(2) : defaultFiles();
  const tmp = mkdtempSync(join(tmpdir(), 'shellcheck-runs-'));
  let failed = 0;
  let checked = 0;
  try {
    for (const file of files) {
      for (const b of blocks(file)) {
        if (!/^(bash|sh)\b/.test(b.shell)) continue;
        checked++;
        const script = join(tmp, `block-${checked}.sh`);
        // GitHub runs bash blocks with `bash -e {0}`; expressions are substituted before the shell sees them.
        writeFileSync(script, `#!/usr/bin/env bash\nset -e\n${b.script.replace(/\$\{\{[\s\S]*?\}\}/g, '_EXPR_')}\n`);
        const r = spawnSync('shellcheck', ['--shell=bash', '--format=gcc', script], { encoding: 'utf8' });
        if (r.error) {
          console.error(`shellcheck is not installed (${r.error.message}); on Debian: apt-get install -y shellcheck`);
          return 2;
        }
        if (r.status !== 0) {
          failed++;
          console.error(`${relative(ROOT, b.file)}: ${b.where}\n${r.stdout.replaceAll(script, 'run')}`);
        }
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`shellcheck: ${checked} run blocks in ${files.length} files, ${failed} with findings`);
  return failed ? 1 : 0;
}

process.exit(main());
