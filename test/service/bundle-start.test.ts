/**
 * The bundle `npm start` and `mlops serve` run is the current one: the image's build when
 * it was made from the current sources, else one built on demand and reused until a
 * source changes.
 */
import { appendFileSync, cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';
import { buildServiceBundle, sourceKey } from '../../service/bundle/build-bundle.ts';
import { currentBundle } from '../../service/bundle/current-bundle.ts';

let root: string;

beforeAll(() => {
  // A copy of the project's sources, so the test can change one without touching the checkout.
  root = mkdtempSync(join(tmpdir(), 'bundle-start-'));
  for (const d of ['service', 'pipeline']) cpSync(join(ROOT, d), join(root, d), { recursive: true });
  for (const f of ['package.json', 'package-lock.json']) cpSync(join(ROOT, f), join(root, f));
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the bundle npm start and mlops serve run', () => {
  it('is built on first use, reused while the sources are the same, and built again when one changes', async () => {
    const first = await currentBundle(root);
    expect(first.how).toBe('built');
    expect(first.entry).toBe(join(root, 'dist', 'start', sourceKey(root).slice(0, 16), 'service.mjs'));
    expect(await currentBundle(root)).toEqual({ entry: first.entry, how: 'cached' });

    appendFileSync(join(root, 'service', 'public', 'style.css'), '\n/* changed */\n');
    const second = await currentBundle(root);
    expect(second.how).toBe('built');
    expect(second.entry).not.toBe(first.entry);
  });

  it("is the image's build (dist/service) when that was made from the current sources", async () => {
    await buildServiceBundle(join(root, 'dist', 'service'), root);
    expect(await currentBundle(root)).toEqual({
      entry: join(root, 'dist', 'service', 'service.mjs'),
      how: 'image build',
    });
    appendFileSync(join(root, 'pipeline', 'core', 'index.ts'), '\n// changed\n');
    expect((await currentBundle(root)).how).toBe('built');
  });
});
