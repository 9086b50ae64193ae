/**
 * One model card per version: a promoted version's card is the registry's card.md, the full
 * card once the report exists, with its chart and report links resolving from the card's
 * folder and its sign-offs rendered from the history (so a re-rendered card keeps them);
 * reports/<model>/v<N>/ holds the report and only a pointer to the card. Registries written
 * before, with a second card under reports/, still verify.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../pipeline/core/index.ts';
import { recordSignOff } from '../../pipeline/gitops/registry/index.ts';
import { writeVersionCard } from '../../pipeline/gitops/index.ts';
import { runCli, tempProject } from '../helpers/cli.ts';

let dir: string;
const card = (): string => readFileSync(join(dir, 'models/credit-default/v1/card.md'), 'utf8');

/** Every markdown file under `sub` whose first line makes it a model card of a version (`# Model card: …` or the short `# name vN`). */
function modelCards(sub: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.md') && /^# (Model card: )?credit-default v\d+\b/.test(readFileSync(p, 'utf8')))
        out.push(relative(dir, p));
    }
  };
  walk(join(dir, sub));
  return out;
}

beforeAll(async () => {
  dir = tempProject();
  const config = JSON.parse(readFileSync(join(dir, 'mlops.config.json'), 'utf8'));
  config.engine = { name: 'logistic', params: {} };
  writeFileSync(join(dir, 'mlops.config.json'), JSON.stringify(config, null, 2));
  const r = await runCli(['run', '--quiet', '--out', 'runs/first', '--actor', 'dev'], dir);
  expect(r.code, r.err).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('one model card per version', () => {
  it('a promoted version has exactly one card, card.md, holding its sign-off and charts that resolve', async () => {
    recordSignOff({
      dir: join(dir, 'models'),
      name: 'credit-default',
      environment: 'production',
      reviews: [{ login: 'alice', state: 'approved', comment: 'fine for Q3', environments: ['production'] }],
      runId: 7,
      actor: 'alice',
      ciRunUrl: null,
      gitCommit: null,
    });
    // Re-rendering the card from the report must keep the sign-off: it comes from the history.
    await writeVersionCard(loadConfig(null, dir), join(dir, 'runs/first'), 1);

    expect([...modelCards('models'), ...modelCards('reports')]).toEqual(['models/credit-default/v1/card.md']);
    const text = card();
    expect(text.split('\n')[0]).toBe('# Model card: credit-default v1 (logistic)');
    expect(text.match(/^## Sign-off$/gm)).toHaveLength(1);
    expect(text).toMatch(/\n## Sign-off\n\n- [\d-]+T[\d:.]+Z: approved by alice \("fine for Q3"\) in production\.\n$/);
    // What only the registry holds stays in the card: the gate's verdict, the split, how to reproduce.
    expect(text).toContain('- Promotion verdict: promote: first model for credit-default (no champion yet)');
    expect(text).toMatch(
      /- Split 0\.\d+\/0\.\d+\/0\.\d+ \(train\/validation\/test\), stratified, seed \d+: \d+\/\d+\/891 rows\./,
    );
    expect(text).toContain('- Reproduce: `mlops registry verify credit-default@v1`.');

    const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/.test(l));
    expect(links).toEqual(
      expect.arrayContaining([
        '../../../reports/credit-default/v1/report.html',
        '../../../reports/credit-default/v1/charts/roc.svg',
      ]),
    );
    expect(links.filter((l) => l.includes('/charts/')).length).toBeGreaterThanOrEqual(6);
    for (const l of links) expect(existsSync(resolve(dir, 'models/credit-default/v1', l)), l).toBe(true);

    const pointer = readFileSync(join(dir, 'reports/credit-default/v1/README.md'), 'utf8');
    expect(pointer).toBe('The model card of this report is [card.md](../../../models/credit-default/v1/card.md).\n');
    expect(existsSync(resolve(dir, 'reports/credit-default/v1', '../../../models/credit-default/v1/card.md'))).toBe(
      true,
    );
    expect((await runCli(['registry', 'verify'], dir)).code).toBe(0);
  });

  it('a registry written before, with a short card.md and a second card under reports/, verifies; re-rendering leaves one card', async () => {
    const full = card();
    writeFileSync(
      join(dir, 'reports/credit-default/v1/README.md'),
      full.replace(/\.\.\/\.\.\/\.\.\/reports\/credit-default\/v1\//g, ''),
    );
    writeFileSync(join(dir, 'models/credit-default/v1/card.md'), '# credit-default v1\n\nEngine **logistic**.\n');
    const verify = await runCli(['registry', 'verify'], dir);
    expect(verify.code, verify.out + verify.err).toBe(0);
    const show = await runCli(['registry', 'show', 'credit-default@v1'], dir);
    expect(show.code, show.err).toBe(0);
    expect(modelCards('reports')).toEqual(['reports/credit-default/v1/README.md']);

    await writeVersionCard(loadConfig(null, dir), join(dir, 'runs/first'), 1);
    expect([...modelCards('models'), ...modelCards('reports')]).toEqual(['models/credit-default/v1/card.md']);
    expect(card()).toContain('approved by alice');
  });
});
