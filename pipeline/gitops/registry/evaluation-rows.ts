/**
 * The rows champion and challenger are both scored on: the challenger's own test rows,
 * re-created exactly as training made them (same data file — checked by sha256 — same
 * split fractions, same seed), plus the fixed golden holdout file when the config names
 * one. Rows are kept as raw text so each model builds its own features from them with
 * its own schema, which lets a champion with different columns still be compared.
 */
import { existsSync, readFileSync } from 'node:fs';
import {
  readCsvFile,
  type RawTable,
  toDataset,
  stratifiedSplit,
  sha256Hex,
  resolvePath,
  MlopsError,
  type Bundle,
} from '../../core/index.ts';

export interface EvaluationPart {
  name: 'test' | 'golden';
  /** The file the rows come from, as configured. */
  path: string;
  rows: number;
  /** sha256 of the selected rows' values, so two verdicts can be checked to use the same rows. */
  sha256: string;
  table: RawTable;
}

interface TrainingConfig {
  data: { path: string; test_path: string | null };
  split: { train: number; validation: number; test: number };
  seed: number;
}

export function evaluationRows(bundle: Bundle, baseDir: string, goldenPath: string | null): EvaluationPart[] {
  const parts = [testRows(bundle, baseDir)];
  if (goldenPath) {
    const file = resolvePath(baseDir, goldenPath);
    if (!existsSync(file))
      throw new MlopsError('config', `promotion.golden_path: golden holdout file not found: ${file}`);
    const table = readCsvFile(file);
    parts.push({ name: 'golden', path: goldenPath, rows: table.rows, sha256: rowsSha(table), table });
  }
  return parts;
}

function testRows(bundle: Bundle, baseDir: string): EvaluationPart {
  const cfg = bundle.provenance.config as TrainingConfig;
  const prov = bundle.provenance;
  if (cfg.data.test_path) {
    const table = readChecked(resolvePath(baseDir, cfg.data.test_path), prov.test_data?.sha256 ?? null, 'test');
    return { name: 'test', path: cfg.data.test_path, rows: table.rows, sha256: rowsSha(table), table };
  }
  const table = readChecked(resolvePath(baseDir, cfg.data.path), prov.data.sha256, 'training');
  const all = toDataset(table, bundle.schema, { requireTarget: true });
  const split = stratifiedSplit(all.y!, cfg.split, cfg.seed);
  const picked = pickRows(table, split.test);
  return { name: 'test', path: cfg.data.path, rows: picked.rows, sha256: rowsSha(picked), table: picked };
}

function readChecked(file: string, expected: string | null, what: string): RawTable {
  if (!existsSync(file)) {
    throw new MlopsError(
      'input',
      `cannot re-create the challenger's test rows: its ${what} data file ${file} is not here; compare in the checkout the run was trained in`,
    );
  }
  const actual = sha256Hex(readFileSync(file));
  if (expected && actual !== expected) {
    throw new MlopsError(
      'input',
      `cannot re-create the challenger's test rows: ${file} has sha256 ${actual} but the model was trained on ${expected}; the data changed since training`,
    );
  }
  return readCsvFile(file);
}

/** Rows `index` of a raw table, in that order. */
export function pickRows(table: RawTable, index: ArrayLike<number>): RawTable {
  const columns = new Map<string, (string | null)[]>();
  for (const [k, v] of table.columns)
    columns.set(
      k,
      Array.from(index, (i) => v[i]),
    );
  return { file: `${table.file} (test rows)`, header: table.header, rows: index.length, columns };
}

function rowsSha(table: RawTable): string {
  const cols = table.header.map((h) => table.columns.get(h)!);
  const lines = [table.header.join('\u001f')];
  for (let i = 0; i < table.rows; i++) lines.push(cols.map((c) => c[i] ?? '\u0000').join('\u001f'));
  return sha256Hex(lines.join('\n'));
}
