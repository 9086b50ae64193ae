/**
 * The engine registry (pipeline/core/engines/index.ts) is the one list of engines. Code
 * asks it; the files that cannot — the workflows' engine choices and the actions' input
 * descriptions — are held to it here, so a new engine that is registered but not offered
 * (or a removed one still offered) fails this test.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { AUTO_ENGINE, ENGINES, ENGINE_CHOICES, ENGINE_NAMES } from '../../pipeline/core/engines/index.ts';
import { runAction } from '../actions/run-action.ts';
import { tempProject } from '../helpers/cli.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const yamlFiles = (dir: string, name?: string): string[] =>
  existsSync(join(ROOT, dir))
    ? readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
        .filter((f) => (name ? f.endsWith(name) : /\.ya?ml$/.test(f)))
        .map((f) => join(dir, f))
    : [];
const parse = (file: string): Record<string, unknown> =>
  YAML.parse(readFileSync(join(ROOT, file), 'utf8')) as Record<string, unknown>;

type Input = { type?: string; options?: unknown[]; description?: string };
/** Inputs named `engine` of workflow_dispatch / workflow_call triggers. */
function workflowEngineInputs(): { file: string; input: Input }[] {
  return yamlFiles('.github/workflows').flatMap((file) => {
    const on = (parse(file).on ?? {}) as Record<string, { inputs?: Record<string, Input> } | null>;
    return ['workflow_dispatch', 'workflow_call']
      .map((trigger) => on[trigger]?.inputs?.engine)
      .filter((input): input is Input => input !== undefined)
      .map((input) => ({ file, input }));
  });
}

describe('engine registry', () => {
  it('names each factory once, under the name its engines report', () => {
    expect(new Set(ENGINE_NAMES).size).toBe(ENGINE_NAMES.length);
    for (const [name, factory] of ENGINES) expect(factory.create({}).name).toBe(name);
  });

  it("workflow engine choices are registry names, and the one that may keep the config's engine offers all of them", () => {
    const choices = workflowEngineInputs().filter(({ input }) => input.type === 'choice');
    const complete = choices.filter(({ input }) => input.options?.includes('config'));
    expect(complete.length, 'a workflow offering every engine (with "config")').toBeGreaterThan(0);
    for (const { file, input } of choices) {
      const offered = (input.options ?? []).filter((o) => o !== 'config');
      for (const name of offered) expect(ENGINE_CHOICES, `${file}: engine choice "${name}"`).toContain(name);
      // A choice without "config" (the tune workflow) runs without a search-space file: each
      // engine it offers has its own space, and auto searches the engines' spaces.
      if (!input.options?.includes('config'))
        for (const name of offered)
          if (name !== AUTO_ENGINE) expect(ENGINES.get(String(name))?.searchSpace, `${file}: ${name}`).toBeDefined();
    }
    for (const { file, input } of complete)
      expect([...input.options!].sort(), file).toEqual(['config', ...ENGINE_CHOICES].sort());
  });

  it('"auto" is a choice, not an engine: it names no factory', () => {
    expect(ENGINE_CHOICES).toContain(AUTO_ENGINE);
    expect(ENGINES.has(AUTO_ENGINE)).toBe(false);
  });

  it("actions' engine inputs list exactly the registry's engines and auto", () => {
    const described = yamlFiles('actions', 'action.yml').flatMap((file) => {
      const inputs = (parse(file).inputs ?? {}) as Record<string, Input>;
      return inputs.engine ? [{ file, description: inputs.engine.description ?? '' }] : [];
    });
    expect(described.length).toBeGreaterThan(0);
    for (const { file, description } of described) {
      const listed = /\(([^)]*)\)/
        .exec(description)?.[1]
        .split(',')
        .map((s) => s.trim());
      expect(listed?.sort(), `${file}: the engines in parentheses`).toEqual([...ENGINE_CHOICES].sort());
    }
  });

  it('the train action refuses an engine the registry lacks, naming the input and the choices', async () => {
    const r = await runAction('train', {
      event: 'workflow_dispatch',
      payload: { inputs: {} },
      cwd: tempProject(),
      inputs: { engine: 'xgboost' },
    });
    expect(r.code).toBe(1);
    expect(r.errors.join('\n')).toContain(`input "engine" must be one of ${ENGINE_CHOICES.join(', ')} (got "xgboost")`);
  });
});
