/**
 * The committed action bundles (actions/<name>/dist/) are what GitHub runs: each must be
 * exactly what `npm run build:actions` makes from the sources today, must import nothing
 * but Node's own modules (there is no node_modules where the runner unpacks an action),
 * and the tree engines' worker bundle must train the same forest as the sources do.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { actionNames, bundleAction, ROOT } from '../../scripts/build-actions.ts';
import { forestFactory, type ForestEngine } from '../../pipeline/core/engines/forest.ts';
import { FOREST_WORKER, WorkerPool } from '../../pipeline/core/engines/tree/worker-pool.ts';
import { synthetic } from '../engines/helpers.ts';

const NODE = new Set(builtinModules);
/**
 * vega-canvas tries `import('canvas')` inside a try and draws without it (SVG only); pg requires
 * `pg-native` only when `pg.native` is read or NODE_PG_FORCE_NATIVE is set, which the readers never do.
 */
const OPTIONAL = new Set(['canvas', 'pg-native']);

describe('action bundles', () => {
  const names = actionNames();

  it('cover every action, each a node24 JavaScript action', () => {
    expect(names).toEqual(['lint-score', 'pr-report', 'register', 'retrain', 'sign-off', 'train']);
    for (const name of names) {
      const doc = YAML.parse(readFileSync(join(ROOT, 'actions', name, 'action.yml'), 'utf8')) as {
        runs: Record<string, string>;
      };
      expect(doc.runs, name).toEqual({ using: 'node24', main: 'dist/index.js' });
    }
  });

  it('only the actions that train or score carry the tree engines (their worker thread is the sign)', () => {
    // The others compare or report; pulling in an engine through a shared import would add
    // a third of a megabyte each.
    const withEngines = names.filter((name) => existsSync(join(ROOT, 'actions', name, 'dist', 'forest-worker.cjs')));
    expect(withEngines).toEqual(['register', 'retrain', 'train']);
  });

  it.each(names)('%s: dist/ is what npm run build:actions makes today, importing only Node modules', async (name) => {
    const { files, imports } = await bundleAction(name);
    const dist = join(ROOT, 'actions', name, 'dist');
    expect(readdirSync(dist).sort(), `run npm run build:actions`).toEqual([...files.keys()].sort());
    for (const [file, text] of files) {
      // Compared as booleans: a multi-megabyte diff helps nobody; the message says what to run.
      expect(
        readFileSync(join(dist, file), 'utf8') === text,
        `${name}/dist/${file} is stale: run npm run build:actions`,
      ).toBe(true);
    }
    const foreign = imports.filter((m) => !m.startsWith('node:') && !NODE.has(m) && !OPTIONAL.has(m));
    expect(foreign, `${name} imports packages at run time`).toEqual([]);
    expect(files.get('licenses.txt')).toContain('@actions/core');
  });

  it('train with the committed worker bundle: same forest as one thread, every tree grown by threads', async () => {
    const data = synthetic(2000, 8);
    const fit = async (workers: number, pool?: WorkerPool): Promise<{ json: string; threadTrees: number }> => {
      const engine = forestFactory.create({ nTrees: 12 }) as ForestEngine;
      await engine.fit(data.X, data.y, { seed: 4, workers, threading: pool ? { pool, mainThreadGrows: false } : {} });
      return { json: JSON.stringify(engine.toJSON()), threadTrees: engine.threadTrees };
    };
    const single = await fit(1);
    const pool = new WorkerPool({
      entry: pathToFileURL(join(ROOT, 'actions', 'train', 'dist', 'forest-worker.cjs')),
      bootstrap: FOREST_WORKER.bootstrap,
    });
    try {
      expect(await fit(2, pool)).toEqual({ json: single.json, threadTrees: 12 });
    } finally {
      await pool.closeIdle();
    }
    expect(pool.lastStart).toBe('bundled');
  }, 30_000);
});
