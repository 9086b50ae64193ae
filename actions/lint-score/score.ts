/**
 * A lint score out of 10 computed the way pylint does:
 *
 *   score = max(0, 10 − 10 × (5 · errors + warnings) / statements)
 *
 * from ESLint results (errors = severity 2, warnings = severity 1) and a count of
 * statements taken from the TypeScript syntax tree. Pure: the caller runs ESLint, reads
 * the files and hands over the TypeScript compiler (the linted project's own, see
 * eslint-runner.ts); this module only counts and does arithmetic, so the same numbers
 * come out of the GitHub action, a test or a saved base-branch artifact.
 */
import type * as TS from 'typescript';

/** The part of an ESLint `LintResult` the score needs (structurally compatible with ESLint's type). */
export interface LintResultLike {
  filePath: string;
  messages: { ruleId: string | null; severity: number; fatal?: boolean }[];
  /** Source text when ESLint kept it (fatal parse errors); otherwise read by the caller. */
  source?: string;
}

export interface RuleCount {
  rule: string;
  errors: number;
  warnings: number;
}

export interface LintScore {
  /** Out of 10, rounded to 2 decimals as pylint prints it. */
  score: number;
  errors: number;
  warnings: number;
  statements: number;
  files: number;
  /** Problems per rule, most frequent first; parse errors count under `fatal`. */
  rules: RuleCount[];
  /** Per file: statements and problems, so a reviewer can find where the score went. */
  by_file: { file: string; statements: number; errors: number; warnings: number }[];
}

export interface LintScoreDelta {
  base: number | null;
  /** head − base, rounded to 2 decimals; null without a base score. */
  delta: number | null;
  dropped: boolean;
}

/**
 * Syntax kinds counted as one statement each. Mirrors what pylint counts for Python
 * (every statement node, including `def`, `class` and imports, but not the blocks that
 * hold them): every TypeScript statement kind except blocks and empty statements, plus
 * declarations, and class members that hold code (methods, accessors, constructors,
 * property initialisers) since pylint counts methods as statements too.
 */
const STATEMENT_KIND_NAMES = [
  'VariableStatement',
  'ExpressionStatement',
  'IfStatement',
  'DoStatement',
  'WhileStatement',
  'ForStatement',
  'ForInStatement',
  'ForOfStatement',
  'ContinueStatement',
  'BreakStatement',
  'ReturnStatement',
  'WithStatement',
  'SwitchStatement',
  'LabeledStatement',
  'ThrowStatement',
  'TryStatement',
  'DebuggerStatement',
  'FunctionDeclaration',
  'ClassDeclaration',
  'InterfaceDeclaration',
  'TypeAliasDeclaration',
  'EnumDeclaration',
  'ModuleDeclaration',
  'ImportDeclaration',
  'ImportEqualsDeclaration',
  'ExportDeclaration',
  'ExportAssignment',
  'MethodDeclaration',
  'Constructor',
  'GetAccessor',
  'SetAccessor',
  'PropertyDeclaration',
] as const;

/** Counts statements in one source file (TypeScript or JavaScript; JSX by extension) with the compiler `ts`. */
export function countStatements(ts: typeof TS, source: string, fileName = 'file.ts'): number {
  const kinds = new Set<TS.SyntaxKind>(STATEMENT_KIND_NAMES.map((k) => ts.SyntaxKind[k]));
  const kind = /\.[cm]?jsx?$/.test(fileName)
    ? fileName.endsWith('x')
      ? ts.ScriptKind.JSX
      : ts.ScriptKind.JS
    : fileName.endsWith('x')
      ? ts.ScriptKind.TSX
      : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false, kind);
  let n = 0;
  const visit = (node: TS.Node): void => {
    if (kinds.has(node.kind)) n++;
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return n;
}

export function scoreFormula(errors: number, warnings: number, statements: number): number {
  // pylint scores an empty project 10 (nothing to criticise); so do we.
  if (statements <= 0) return errors + warnings > 0 ? 0 : 10;
  const raw = 10 - (10 * (5 * errors + warnings)) / statements;
  return round2(Math.max(0, raw));
}

/**
 * Scores ESLint results. `statementsOf(filePath)` returns the file's statement count
 * (the caller reads the file and calls `countStatements`).
 */
export function lintScore(
  results: readonly LintResultLike[],
  statementsOf: (filePath: string) => number,
  root = '',
): LintScore {
  const rules = new Map<string, RuleCount>();
  let errors = 0;
  let warnings = 0;
  let statements = 0;
  const byFile: LintScore['by_file'] = [];
  for (const r of results) {
    const st = statementsOf(r.filePath);
    statements += st;
    let fe = 0;
    let fw = 0;
    for (const m of r.messages) {
      // severity 0 ("off") never reaches results; anything else is a warning or an error.
      if (m.severity !== 1 && m.severity !== 2) continue;
      const id = m.ruleId ?? (m.fatal ? 'fatal' : 'unknown');
      const rc = rules.get(id) ?? { rule: id, errors: 0, warnings: 0 };
      if (m.severity === 2) {
        rc.errors++;
        fe++;
      } else {
        rc.warnings++;
        fw++;
      }
      rules.set(id, rc);
    }
    errors += fe;
    warnings += fw;
    byFile.push({ file: relativeTo(root, r.filePath), statements: st, errors: fe, warnings: fw });
  }
  byFile.sort((a, b) => a.file.localeCompare(b.file));
  return {
    score: scoreFormula(errors, warnings, statements),
    errors,
    warnings,
    statements,
    files: results.length,
    rules: [...rules.values()].sort(
      (a, b) => b.errors * 5 + b.warnings - (a.errors * 5 + a.warnings) || a.rule.localeCompare(b.rule),
    ),
    by_file: byFile,
  };
}

export function scoreDelta(head: number, base: number | null): LintScoreDelta {
  if (base === null) return { base: null, delta: null, dropped: false };
  const delta = round2(head - base);
  return { base, delta, dropped: delta < 0 };
}

/** "8.75/10 (−0.25 vs base)" — the form the comment and the annotation use. */
export function describeScore(score: number, delta: LintScoreDelta): string {
  const head = `${score.toFixed(2)}/10`;
  if (delta.delta === null) return `${head} (no base score)`;
  if (delta.delta === 0) return `${head} (unchanged vs base ${delta.base!.toFixed(2)})`;
  const sign = delta.delta > 0 ? '+' : '−';
  return `${head} (${sign}${Math.abs(delta.delta).toFixed(2)} vs base ${delta.base!.toFixed(2)})`;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function relativeTo(root: string, file: string): string {
  if (root && file.startsWith(root)) return file.slice(root.length).replace(/^[\\/]+/, '');
  return file;
}
