/**
 * Input parsing shared by the entry points, in-process: @actions/core reads
 * `INPUT_<NAME>` at call time (spaces → `_`, upper-cased, hyphens kept), so setting the
 * variable is exactly what the runner does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  booleanInput,
  choiceInput,
  integerInput,
  paramsInput,
  requiredInput,
  stringInput,
} from '../../actions/common/inputs.ts';
import { inputEnvName } from './run-action.ts';

const set: string[] = [];
function input(name: string, value: string): void {
  const k = inputEnvName(name);
  process.env[k] = value;
  set.push(k);
}

afterEach(() => {
  for (const k of set.splice(0)) delete process.env[k];
});

describe('action inputs', () => {
  it('mangle names like the runner', () => {
    expect(inputEnvName('dry-run')).toBe('INPUT_DRY-RUN');
    expect(inputEnvName('my input')).toBe('INPUT_MY_INPUT');
  });

  it('parse params as a JSON object of scalars and name the input when they are not', () => {
    input('params', '{"nTrees": 300, "bootstrap": true, "criterion": "gini"}');
    expect(paramsInput('params')).toEqual({ nTrees: 300, bootstrap: true, criterion: 'gini' });
    input('params', '[1, 2]');
    expect(() => paramsInput('params')).toThrow(
      'input "params" must be a JSON object such as {"nTrees": 300} (got "[1, 2]")',
    );
    input('params', '{"nTrees": ');
    expect(() => paramsInput('params')).toThrow(/input "params" must be a JSON object .*: /);
    input('params', '{"depth": {"max": 3}}');
    expect(() => paramsInput('params')).toThrow(
      'input "params": parameter "depth" must be a number, string or boolean',
    );
    input('params', '');
    expect(paramsInput('params')).toBeNull();
  });

  it('parse booleans, numbers and choices strictly, with defaults for empty values', () => {
    input('dry-run', 'yes');
    expect(() => booleanInput('dry-run', false)).toThrow('input "dry-run" must be true or false (got "yes")');
    input('dry-run', 'True');
    expect(booleanInput('dry-run', false)).toBe(true);
    input('dry-run', '');
    expect(booleanInput('dry-run', true)).toBe(true);
    input('workers', '0');
    expect(() => integerInput('workers', 1, 64)).toThrow(
      'input "workers" must be a whole number from 1 to 64 (got "0")',
    );
    input('mode', 'tweet');
    expect(() => choiceInput('mode', ['comment', 'summary'], 'comment')).toThrow(
      'input "mode" must be one of "comment", "summary" (got "tweet")',
    );
    expect(() => requiredInput('report-dir')).toThrow('input "report-dir" is required');
    expect(stringInput('output', 'lint-score.json')).toBe('lint-score.json');
  });
});
