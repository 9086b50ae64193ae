/**
 * Names that are also members of Object.prototype (constructor, toString, __proto__…) are
 * names like any other wherever a user or a data file chooses them: config keys, engine
 * parameters, column names (so schema, JSON Schema and scoring), categories and metrics.
 * The service's routes are fuzzed with them in test/service/fuzz.test.ts; the `in`
 * operator with such a key is refused by the lint rule in eslint.config.js.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../pipeline/core/config/load.ts';
import { defaultConfig } from '../../pipeline/core/config/defaults.ts';
import { parseParamPairs, resolveParams } from '../../pipeline/core/engines/params.ts';
import { parseCsvBytes } from '../../pipeline/core/data/csv.ts';
import { inferSchema } from '../../pipeline/core/data/schema.ts';
import { applicantJsonSchema } from '../../pipeline/core/data/json-schema.ts';
import { CreditModel } from '../../pipeline/core/model/credit-model.ts';
import { compileValidator } from '../../service/http/validation.ts';
import { isHigherBetter } from '../../pipeline/gitops/tracking/store.ts';
import { runCli, tempProject } from '../helpers/cli.ts';

const PROTO = Object.getOwnPropertyNames(Object.prototype);

describe('config keys', () => {
  it('a "__proto__" key stays an inert own key: nothing inherits from it', () => {
    const raw = JSON.parse(
      '{"data": {"path": "d.csv", "target": "y", "positive": "1"}, "__proto__": {"runs_dir": "/elsewhere", "polluted": true}}',
    );
    const c = resolveConfig(raw);
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
    expect((c as unknown as { polluted?: boolean }).polluted).toBeUndefined();
    expect(c.runs_dir).toBe(defaultConfig().runs_dir);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('column_types only forces the columns it names, whatever they are called', () => {
    const rows = ['y,constructor,toString'];
    for (let i = 0; i < 40; i++) rows.push(`${i % 2},${i},${i % 3}`);
    const table = parseCsvBytes(Buffer.from(rows.join('\n')), 'd.csv');
    const inferred = inferSchema(table, { target: 'y', positive: '1', keep: ['constructor'] });
    expect(inferred.features.map((f) => [f.name, f.kind])).toEqual([
      ['constructor', 'numeric'],
      ['toString', 'numeric'],
    ]);
    const forced = inferSchema(table, {
      target: 'y',
      positive: '1',
      keep: ['constructor'],
      column_types: { toString: 'categorical' as const },
    });
    expect(forced.features.map((f) => [f.name, f.kind])).toEqual([
      ['constructor', 'numeric'],
      ['toString', 'categorical'],
    ]);
  });

  it('engine parameters named like Object.prototype are unknown parameters', () => {
    for (const name of PROTO) {
      const given = parseParamPairs([`${name}=1`]);
      expect(Object.keys(given), name).toEqual([name]);
      expect(
        () => resolveParams('gbdt', { nRounds: { type: 'integer', default: 100, description: 'rounds' } }, given),
        name,
      ).toThrow(new RegExp(`has no parameter "${name.replace(/[$_]/g, '\\$&')}"`));
    }
  });

  it('a metric named like Object.prototype is not a known metric', () => {
    for (const name of PROTO) expect(isHigherBetter(name), name).toBe(true);
    expect(isHigherBetter('brier')).toBe(false);
    expect(isHigherBetter('toString_sd')).toBe(false);
  });
});

describe('columns and categories named like Object.prototype', () => {
  it('train, describe and score a model whose columns and categories are called so', async () => {
    const dir = tempProject();
    const lines = readFileSync(join(dir, 'data/credit_data.csv'), 'utf8').trim().split('\n');
    // Rename three columns and two categories of the embedded data.
    const header = lines[0].replace('Home', 'constructor').replace('Marital', '__proto__').replace('Age', 'toString');
    const body = lines.slice(1).map((l) => l.replace(',rent,', ',hasOwnProperty,').replace(',owner,', ',__proto__,'));
    writeFileSync(join(dir, 'data/protos.csv'), [header, ...body].join('\n') + '\n');
    const r = await runCli(
      ['train', '--data', 'data/protos.csv', '--engine', 'logistic', '--quiet', '--out', 'runs/p'],
      dir,
    );
    expect(r.code, r.err).toBe(0);
    const model = CreditModel.load(join(dir, 'runs/p/model.json'));
    const names = model.bundle.schema.features.map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(['constructor', '__proto__', 'toString']));
    const home = model.bundle.schema.features.find((f) => f.name === 'constructor');
    expect(home?.kind === 'categorical' && home.categories).toEqual(
      expect.arrayContaining(['hasOwnProperty', '__proto__']),
    );

    // The applicant schema has every column as an own property, required.
    const js = applicantJsonSchema(model.bundle.schema) as { properties: Record<string, unknown>; required: string[] };
    for (const n of ['constructor', '__proto__', 'toString']) {
      expect(Object.hasOwn(js.properties, n), n).toBe(true);
      expect(js.required).toContain(n);
    }
    // A valid applicant is accepted and scored as the CLI scores its row; one without the columns is refused.
    const validator = compileValidator(model.bundle.schema, 'reject');
    const table = parseCsvBytes(Buffer.from([header, body[0]].join('\n')), 'row');
    const applicant: Record<string, unknown> = {};
    for (const f of model.bundle.schema.features) {
      const v = table.columns.get(f.name)!.get(0);
      Object.defineProperty(applicant, f.name, {
        value: v === null ? null : f.kind === 'numeric' ? Number(v) : v,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    expect(validator.check(applicant)).toBe(true);
    const scored = await runCli(
      ['predict', '--model', 'runs/p/model.json', '--data', 'data/protos.csv', '--out', 'p.csv'],
      dir,
    );
    expect(scored.code, scored.err).toBe(0);
    const expected = readFileSync(join(dir, 'p.csv'), 'utf8').split('\n')[1].split(',')[0];
    expect(model.scoreRecords([applicant])[0].toFixed(6)).toBe(expected);
    expect(validator.check({})).toBe(false);
    expect(validator.errors({}).map((e) => e.field)).toEqual(
      expect.arrayContaining(['constructor', '__proto__', 'toString']),
    );
  }, 120_000);
});
