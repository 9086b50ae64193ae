/**
 * GitHub's own local runner for JavaScript actions (`npx local-action`, the devDependency
 * @github/local-action) runs our actions from their TypeScript sources with a `.env`
 * file, the way docs/actions.md tells a contributor to: here pr-report in summary mode on
 * a real report artifact.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildArtifact } from './fixtures.ts';
import { ROOT } from './run-action.ts';
import { COMMENT_MARKER } from '../../actions/pr-report/comment.ts';

describe('npx local-action', () => {
  it('runs pr-report from main.ts with inputs from a .env file', async () => {
    const report = (await buildArtifact()).dir;
    const dir = mkdtempSync(join(tmpdir(), 'local-action-'));
    const summary = join(dir, 'summary.md');
    writeFileSync(summary, '');
    writeFileSync(
      join(dir, '.env'),
      [
        `INPUT_REPORT-DIR=${report}`,
        'INPUT_MODE=summary',
        `GITHUB_STEP_SUMMARY=${summary}`,
        'GITHUB_REPOSITORY=acme/credit-model',
        'GITHUB_EVENT_NAME=workflow_dispatch',
        'GITHUB_RUN_ID=4242',
        'GITHUB_SERVER_URL=https://github.test',
        '',
      ].join('\n'),
    );
    const r = spawnSync(
      join(ROOT, 'node_modules', '.bin', 'local-action'),
      ['run', join(ROOT, 'actions', 'pr-report'), 'main.ts', join(dir, '.env')],
      { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME }, timeout: 120_000 },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('::set-output name=decision::keep');
    expect(r.stdout).toContain('::set-output name=comment-action::skipped');
    expect(readFileSync(summary, 'utf8')).toContain(COMMENT_MARKER);
  }, 150_000);
});
