/**
 * Row-level reading and checking of an incoming CSV. Unlike the training reader (which
 * refuses a whole file on the first problem), ingestion must account for every row:
 * each one is either accepted, rejected with a reason, or a duplicate.
 */
import {
  forEachCsvRecord,
  isMissingText,
  type CsvOptions,
  type CsvRecord,
  type DataSchema,
  parseNumber,
} from '../../core/index.ts';

/** One data record of the incoming file, as written (fields untrimmed), and the line it starts on. */
export type IncomingRow = CsvRecord;

export interface IncomingFile {
  header: string[];
  rows: IncomingRow[];
}

/**
 * Reads the file under the CSV contract (UTF-8 unless the data set is Latin-1, a header
 * with every column named once); a file that breaks it throws. A row with too few or too
 * many fields is kept here: ingestion accounts for it as a rejected row.
 */
export function parseIncoming(bytes: Buffer, file: string, csv: CsvOptions): IncomingFile {
  const rows: IncomingRow[] = [];
  const header = forEachCsvRecord(bytes, file, csv, (record) => rows.push(record));
  return { header: header ?? [], rows };
}

/** How the data set's columns map onto the incoming file's columns. */
export interface ColumnMap {
  /** For each data-set column, its index in the incoming header, or -1 when absent. */
  index: number[];
  missing: string[];
  /** Incoming columns the data set does not have; their values are not appended. */
  ignored: string[];
}

export function mapColumns(dataHeader: string[], incomingHeader: string[]): ColumnMap {
  const pos = new Map(incomingHeader.map((h, i) => [h, i]));
  const index = dataHeader.map((h) => pos.get(h) ?? -1);
  const missing = dataHeader.filter((_, i) => index[i] < 0);
  const known = new Set(dataHeader);
  const ignored = incomingHeader.filter((h) => !known.has(h));
  return { index, missing, ignored };
}

/** A field as stored: trimmed, and any missing-value token written as an empty field. */
export function normalizeField(v: string | undefined): string {
  if (v === undefined || isMissingText(v)) return '';
  return v.trim();
}

export interface RowRules {
  schema: DataSchema;
  dataHeader: string[];
  /** Columns that must be present and non-empty (configured ID columns). */
  idColumns: string[];
  unknownCategories: 'reject' | 'accept';
}

/** A reason a row was rejected: `kind` is countable ("Income: not a number"), `message` names the value. */
export interface RowProblem {
  kind: string;
  message: string;
}

/**
 * Checks one row (already laid out in data-set column order) and returns every
 * problem found, so a data owner can fix a quarantined row in one pass.
 */
export function rowProblems(values: string[], rules: RowRules): RowProblem[] {
  const { schema, dataHeader } = rules;
  const at = new Map(dataHeader.map((h, i) => [h, i]));
  const problems: RowProblem[] = [];
  const target = values[at.get(schema.target)!];
  if (target === '')
    problems.push({ kind: `${schema.target}: missing label`, message: `target "${schema.target}" is missing` });
  else if (target !== schema.positive && target !== schema.negative) {
    problems.push({
      kind: `${schema.target}: unknown label`,
      message: `target "${schema.target}" is ${JSON.stringify(target)}, expected ${JSON.stringify(schema.positive)} or ${JSON.stringify(schema.negative)}`,
    });
  }
  for (const id of rules.idColumns) {
    if (values[at.get(id)!] === '') problems.push({ kind: `${id}: missing ID`, message: `ID column "${id}" is empty` });
  }
  for (const f of schema.features) {
    const v = values[at.get(f.name)!];
    if (v === '') continue; // missing values are allowed: the training data has them too
    if (f.kind === 'numeric') {
      if (!Number.isFinite(parseNumber(v)))
        problems.push({
          kind: `${f.name}: not a number`,
          message: `column "${f.name}": ${JSON.stringify(v)} is not a number`,
        });
    } else if (rules.unknownCategories === 'reject' && !f.categories.includes(v)) {
      const known = f.categories.slice(0, 8).join(', ') + (f.categories.length > 8 ? ', …' : '');
      problems.push({
        kind: `${f.name}: unknown category`,
        message: `column "${f.name}": ${JSON.stringify(v)} is not a known category (known: ${known})`,
      });
    }
  }
  return problems;
}

/**
 * The identity of a row for duplicate detection: the configured ID columns when there
 * are any, else the whole content with numbers normalised ("1.0" equals "1").
 */
export function rowKey(
  values: string[],
  dataHeader: string[],
  numericColumns: ReadonlySet<string>,
  idColumns: string[],
): string {
  if (idColumns.length > 0) {
    const at = new Map(dataHeader.map((h, i) => [h, i]));
    return 'id:' + JSON.stringify(idColumns.map((c) => values[at.get(c)!]));
  }
  return (
    'row:' +
    JSON.stringify(
      values.map((v, i) => {
        if (v === '' || !numericColumns.has(dataHeader[i])) return v;
        const n = parseNumber(v);
        return Number.isFinite(n) ? String(n) : v;
      }),
    )
  );
}
