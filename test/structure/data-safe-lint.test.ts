/**
 * The lint rules behind two of issue 20's defects, checked with the project's own ESLint
 * config so that dropping either rule fails here and not only in review: spreading an array
 * into a call (the stratified split's push(...) overflowed the stack above about 250,000
 * rows) and `in` with a key from data (it finds constructor, toString, __proto__ on
 * Object.prototype).
 */
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';

async function restricted(code: string, file: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message);
}

describe('lint rules against data-sized spreads and `in` with a data key', () => {
  it('refuse both in product code, tests and tools alike', async () => {
    const code = [
      'export function f(rows: number[], out: number[], key: string, o: object): boolean {',
      '  out.push(...rows);',
      '  Math.max(...rows);',
      '  new Set(...[rows]);',
      '  return key in o;',
      '}',
      '',
    ].join('\n');
    for (const file of [
      'pipeline/core/training/example.ts',
      'service/http/example.ts',
      'test/example.test.ts',
      'bench/example.ts',
    ]) {
      const messages = await restricted(code, file);
      expect(
        messages.filter((m) => /Spreading an array into a call/.test(m)),
        file,
      ).toHaveLength(3);
      expect(
        messages.filter((m) => /`key in object`/.test(m)),
        file,
      ).toHaveLength(1);
    }
  });

  it('leave loops, array literals, concat and literal keys alone', async () => {
    const code = [
      'export function f(rows: number[], out: number[], o: object): number[] {',
      '  for (const r of rows) out.push(r);',
      '  const all = [...rows, ...out];',
      "  if ('a' in o) return out.concat(rows);",
      '  return all;',
      '}',
      '',
    ].join('\n');
    expect(await restricted(code, 'pipeline/core/training/example.ts')).toEqual([]);
  });
});
