/** Runs the mlops CLI in-process with captured output, for tests. */
import { cpSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/main.ts';

export const ROOT = join(import.meta.dirname, '..', '..');

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export async function runCli(args: string[], cwd: string): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t), cwd, tty: false });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A temporary project folder with the config and the embedded data sets. */
export function tempProject(config?: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-test-'));
  mkdirSync(join(dir, 'data'), { recursive: true });
  cpSync(join(ROOT, 'data'), join(dir, 'data'), { recursive: true });
  cpSync(join(ROOT, 'mlops.config.json'), join(dir, 'mlops.config.json'));
  if (config) writeFileSync(join(dir, 'mlops.config.json'), JSON.stringify(config, null, 2));
  return dir;
}
