/**
 * Entry point of the `champion-change` action: did this push move the champion alias
 * (a merged retraining pull request, a rollback committed by hand)? Then the image for
 * the new champion must be published even though this run's own training was not
 * promoted. Reads the registry at the pushed commit and at the commit before it.
 */
import { resolve } from 'node:path';
import * as core from '@actions/core';
import { loadConfig, usageError } from '../../pipeline/core/index.ts';
import {
  checkoutState,
  fileAt,
  loadRegistry,
  modelEntry,
  registryDir,
  trackedPath,
} from '../../pipeline/gitops/index.ts';
import { stringInput } from '../common/inputs.ts';
import { runAction } from '../common/run.ts';
import { imageTags, metadataTags } from '../common/image-tags.ts';

/** The champion version of `name` in a registry.json text (null when absent or unreadable). */
export function championIn(text: string | null, name: string): number | null {
  if (!text) return null;
  try {
    const reg = JSON.parse(text) as { models?: Record<string, { aliases?: { champion?: number | null } }> };
    return reg.models?.[name]?.aliases?.champion ?? null;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const cwd = resolve(stringInput('working-directory', '.'));
  const before = stringInput('before', '');
  if (before !== '' && !/^[0-9a-f]{40}$/.test(before))
    throw usageError(`input "before" must be a full commit sha (got ${JSON.stringify(before)})`);
  const loaded = loadConfig(null, cwd);
  const dir = registryDir(loaded.config, loaded.baseDir);
  const name = loaded.config.model_name;
  const now = modelEntry(loadRegistry(dir), name)?.aliases.champion ?? null;
  const rel = trackedPath(cwd, `${dir}/registry.json`) ?? 'models/registry.json';
  // An all-zero "before" is a new branch: nothing to compare with.
  const was =
    before === '' || /^0+$/.test(before) ? null : championIn(fileAt(cwd, before, rel)?.toString('utf8') ?? null, name);
  const changed = now !== null && now !== was;
  const head = checkoutState(cwd).commit ?? '';
  const tags = changed ? imageTags(now, head) : [];
  core.setOutput('changed', String(changed));
  core.setOutput('version', changed ? String(now) : '');
  core.setOutput('commit', head);
  core.setOutput('tags', tags.join('\n'));
  core.setOutput('metadata-tags', metadataTags(tags));
  core.info(
    changed
      ? `champion of ${name} moved from ${was === null ? 'none' : `v${was}`} to v${now}: publish its image`
      : `champion of ${name} unchanged (${now === null ? 'none' : `v${now}`})`,
  );
}

/** The entry point (dist/index.js runs it; `npx local-action` calls it too). */
export const run = (): Promise<void> => runAction(main);
