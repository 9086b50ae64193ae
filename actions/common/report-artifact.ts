/**
 * The report artifact: the folder CI uploads after training and the privileged comment
 * workflow downloads. Everything in it came from a run that may have executed a fork's
 * code, so every file is size-capped and validated against a JSON Schema before a
 * single field is used; errors name the file and the JSON pointer of the bad value.
 *
 * Layout (file names fixed):
 *   context.json       event, repository, pull request number, head sha, run URL
 *   run.json           the run record (pipeline/gitops/run/run-folder.ts)
 *   verdict.json       the promotion verdict (pipeline/gitops/registry/verdict.ts)
 *   comparison.json    champion vs challenger on the same rows (comparison.ts)
 *   lint-score.json    optional: actions/lint-score/score.ts result with its delta
 *   test-results.json  optional: a vitest `--reporter=json` report
 *   model.json, metrics.json, report.md  the rest of the run folder, for people
 * The lint score and test results may instead come from the checks workflow's own artifact
 * (readChecksResults), which is as untrusted and validated the same way.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { METRIC_NAMES, MlopsError, describeAjvError } from '../../pipeline/core/index.ts';
import type { AutoRunSummary, Verdict, ComparisonFile } from '../../pipeline/gitops/index.ts';
import type { LintScore, LintScoreDelta } from '../lint-score/score.ts';

export const CONTEXT_FORMAT = 'credit-risk-gitops/report-context';
/** A JSON file larger than this is refused unread: nothing legitimate in the artifact comes close. */
export const MAX_ARTIFACT_FILE_BYTES = 4 * 1024 * 1024;

export const ARTIFACT_FILES = {
  context: 'context.json',
  run: 'run.json',
  verdict: 'verdict.json',
  comparison: 'comparison.json',
  lint: 'lint-score.json',
  tests: 'test-results.json',
} as const;

export interface ReportContext {
  format: typeof CONTEXT_FORMAT;
  repository: string;
  event: string;
  pull_request: number | null;
  head_sha: string;
  ref: string;
  run_id: number;
  run_url: string;
  dry_run: boolean;
}

export interface RunSummary {
  id: string;
  created_at: string;
  model: { name: string; digest: string; engine: string; params: Record<string, number | string | boolean> };
  seed: number;
  data: { path: string; sha256: string; rows: number };
  git: { commit: string | null; dirty: boolean | null };
  threshold: number;
  /** `engine: auto`: the leaderboard. */
  auto?: AutoRunSummary;
}

export type LintScoreFile = LintScore & { delta: LintScoreDelta };

/** The subset of vitest's JSON reporter output the comment shows. */
export interface TestResultsFile {
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests?: number;
  numTodoTests?: number;
  success: boolean;
  startTime?: number;
  testResults: {
    name: string;
    status: string;
    assertionResults?: { fullName?: string; title: string; status: string; duration?: number | null }[];
    startTime?: number;
    endTime?: number;
  }[];
}

export interface ReportArtifact {
  dir: string;
  context: ReportContext;
  run: RunSummary;
  verdict: Verdict;
  comparison: ComparisonFile;
  lint: LintScoreFile | null;
  tests: TestResultsFile | null;
  /** The checks workflow run (typecheck, tests, lint score) of the same commit, when the comment reports it. */
  checks: ChecksRun | null;
}

/** A job of the checks run as GitHub reports it (GET /actions/runs/{id}/jobs). */
export interface ChecksJob {
  name: string;
  status: string;
  conclusion: string | null;
}

export interface ChecksRun {
  /** Still running: its results are not in yet. */
  running: boolean;
  url: string;
  jobs: ChecksJob[];
}

const str = (max = 200) => ({ type: 'string', maxLength: max });
const num = { type: 'number' };
const nnum = { type: ['number', 'null'] };
const int = (min = 0) => ({ type: 'integer', minimum: min });
const hex40 = { type: 'string', pattern: '^[0-9a-f]{40}$' };
const digest = { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' };

const contextSchema = {
  type: 'object',
  required: ['format', 'repository', 'event', 'pull_request', 'head_sha', 'ref', 'run_id', 'run_url', 'dry_run'],
  properties: {
    format: { const: CONTEXT_FORMAT },
    repository: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$' },
    event: { type: 'string', pattern: '^[a-z_]{1,40}$' },
    // GitHub issue numbers are positive 32-bit integers; anything else is forged.
    pull_request: { anyOf: [{ type: 'integer', minimum: 1, maximum: 2147483647 }, { type: 'null' }] },
    head_sha: hex40,
    ref: str(255),
    run_id: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    run_url: { type: 'string', maxLength: 500, pattern: '^https://' },
    dry_run: { type: 'boolean' },
  },
};

const runSchema = {
  type: 'object',
  required: ['id', 'created_at', 'model', 'seed', 'data', 'git', 'threshold'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,100}$' },
    created_at: str(40),
    model: {
      type: 'object',
      required: ['name', 'digest', 'engine', 'params'],
      properties: {
        name: str(100),
        digest,
        engine: str(60),
        params: {
          type: 'object',
          maxProperties: 100,
          additionalProperties: { type: ['number', 'string', 'boolean'], maxLength: 200 },
        },
      },
    },
    seed: int(),
    data: {
      type: 'object',
      required: ['path', 'sha256', 'rows'],
      properties: { path: str(500), sha256: str(64), rows: int() },
    },
    git: {
      type: 'object',
      required: ['commit', 'dirty'],
      properties: { commit: { anyOf: [hex40, { type: 'null' }] }, dirty: { type: ['boolean', 'null'] } },
    },
    threshold: num,
    auto: {
      type: 'object',
      required: ['winner', 'reason', 'metric', 'folds', 'budget_seconds', 'select_s', 'leaderboard'],
      properties: {
        winner: str(100),
        reason: str(2000),
        metric: { enum: ['roc_auc', 'expected_cost'] },
        folds: int(2),
        repeats: int(1),
        budget_seconds: num,
        select_s: num,
        leaderboard: {
          type: 'array',
          maxItems: 500,
          items: {
            type: 'object',
            required: ['rank', 'candidate', 'mean', 'sd', 'folds', 'outcome', 'estimated_fit_s', 'fit_s'],
            properties: {
              rank: int(1),
              candidate: str(100),
              engine: str(100),
              mean: nnum,
              sd: nnum,
              folds: int(),
              outcome: { enum: ['winner', 'finalist', 'dropped', 'failed'] },
              estimated_fit_s: num,
              fit_s: num,
            },
          },
        },
      },
    },
  },
};

const metricValues = { type: 'object', maxProperties: 50, additionalProperties: nnum };

const verdictSchema = {
  type: 'object',
  required: ['decision', 'summary', 'model', 'champion', 'challenger', 'evaluated_on', 'metrics', 'rules', 'forced'],
  properties: {
    decision: { enum: ['promote', 'keep'] },
    summary: str(1000),
    model: str(100),
    champion: {
      anyOf: [
        { type: 'null' },
        { type: 'object', required: ['version', 'digest'], properties: { version: int(1), digest: str(80) } },
      ],
    },
    challenger: {
      type: 'object',
      required: ['digest', 'run_id'],
      properties: { digest: str(80), run_id: { type: ['string', 'null'], maxLength: 100 } },
    },
    evaluated_on: {
      type: 'array',
      maxItems: 20,
      items: {
        type: 'object',
        required: ['name', 'rows'],
        properties: { name: str(200), rows: int(), sha256: { type: ['string', 'null'], maxLength: 64 } },
      },
    },
    metrics: {
      type: 'object',
      required: ['champion', 'challenger'],
      properties: { champion: { anyOf: [{ type: 'null' }, metricValues] }, challenger: metricValues },
    },
    rules: {
      type: 'array',
      maxItems: 100,
      items: {
        type: 'object',
        required: ['id', 'kind', 'metric', 'champion', 'challenger', 'required', 'passed', 'detail'],
        properties: {
          id: str(100),
          kind: { enum: ['primary', 'guardrail', 'overfitting', 'first-model', 'forced', 'validity'] },
          metric: { type: ['string', 'null'], maxLength: 60 },
          champion: nnum,
          challenger: nnum,
          required: str(200),
          passed: { type: 'boolean' },
          detail: str(500),
        },
      },
    },
    forced: { anyOf: [{ type: 'null' }, { type: 'object', required: ['reason'], properties: { reason: str(500) } }] },
  },
};

const confusion = {
  type: 'object',
  required: ['tp', 'fp', 'tn', 'fn'],
  properties: { tp: int(), fp: int(), tn: int(), fn: int() },
};
// Every metric the core computes (any of them may be undefined, null, on degenerate rows),
// from the core's own list so the schema cannot fall behind it.
const splitMetrics = {
  type: 'object',
  required: [...METRIC_NAMES, 'threshold', 'confusion_matrix'],
  properties: {
    ...Object.fromEntries(METRIC_NAMES.map((m) => [m, nnum])),
    threshold: num,
    confusion_matrix: confusion,
  },
};
const sideProps = {
  digest,
  engine: str(60),
  threshold: num,
  metrics: splitMetrics,
  roc_tpr: { type: 'array', maxItems: 201, items: { type: 'number', minimum: 0, maximum: 1 } },
  feature_importance: {
    type: 'array',
    maxItems: 1000,
    items: { type: 'object', required: ['feature', 'importance'], properties: { feature: str(200), importance: num } },
  },
  data: {
    type: 'object',
    required: ['path', 'sha256', 'rows', 'positive_rate'],
    properties: { path: str(500), sha256: str(64), rows: int(), positive_rate: num },
  },
};
const sideRequired = ['digest', 'engine', 'threshold', 'metrics', 'roc_tpr', 'feature_importance', 'data'];

const comparisonSchema = {
  type: 'object',
  required: [
    'format',
    'format_version',
    'model',
    'positive',
    'negative',
    'evaluated_on',
    'roc_grid',
    'challenger',
    'champion',
    'champion_error',
    'schema_changes',
  ],
  properties: {
    format: { const: 'credit-risk-gitops/comparison' },
    format_version: { const: 1 },
    model: str(100),
    positive: str(100),
    negative: str(100),
    evaluated_on: {
      type: 'object',
      required: ['name', 'rows', 'positive_rate'],
      properties: { name: str(200), rows: int(), positive_rate: num },
    },
    roc_grid: { type: 'array', minItems: 2, maxItems: 201, items: { type: 'number', minimum: 0, maximum: 1 } },
    challenger: {
      type: 'object',
      required: [...sideRequired, 'overfitting', 'timings', 'rows'],
      properties: {
        ...sideProps,
        overfitting: {
          type: 'object',
          required: ['metric', 'gap', 'max_gap', 'flagged'],
          properties: { metric: str(60), gap: nnum, max_gap: num, flagged: { type: 'boolean' } },
        },
        timings: {
          type: 'object',
          required: ['load_s', 'preprocess_s', 'fit_s', 'evaluate_s', 'total_s'],
          properties: {
            load_s: num,
            preprocess_s: num,
            fit_s: num,
            evaluate_s: num,
            total_s: num,
            score_us_per_row: num,
          },
        },
        rows: {
          type: 'object',
          required: ['train', 'validation', 'test', 'positive_rate'],
          properties: {
            train: int(),
            validation: int(),
            test: int(),
            positive_rate: {
              type: 'object',
              required: ['train', 'validation', 'test'],
              properties: { train: num, validation: num, test: num },
            },
          },
        },
      },
    },
    champion: {
      anyOf: [
        { type: 'null' },
        { type: 'object', required: [...sideRequired, 'version'], properties: { ...sideProps, version: int(1) } },
      ],
    },
    champion_error: { type: ['string', 'null'], maxLength: 1000 },
    schema_changes: { type: 'array', maxItems: 500, items: str(500) },
  },
};

const lintSchema = {
  type: 'object',
  required: ['score', 'errors', 'warnings', 'statements', 'files', 'rules', 'delta'],
  properties: {
    score: { type: 'number', minimum: 0, maximum: 10 },
    errors: int(),
    warnings: int(),
    statements: int(),
    files: int(),
    rules: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['rule', 'errors', 'warnings'],
        properties: { rule: str(200), errors: int(), warnings: int() },
      },
    },
    delta: {
      type: 'object',
      required: ['base', 'delta', 'dropped'],
      properties: {
        base: { type: ['number', 'null'], minimum: 0, maximum: 10 },
        delta: nnum,
        dropped: { type: 'boolean' },
      },
    },
  },
};

const testsSchema = {
  type: 'object',
  required: ['numTotalTests', 'numPassedTests', 'numFailedTests', 'success', 'testResults'],
  properties: {
    numTotalTests: int(),
    numPassedTests: int(),
    numFailedTests: int(),
    numPendingTests: int(),
    numTodoTests: int(),
    success: { type: 'boolean' },
    startTime: num,
    testResults: {
      type: 'array',
      maxItems: 5000,
      items: {
        type: 'object',
        required: ['name', 'status'],
        properties: {
          name: str(1000),
          status: str(40),
          startTime: num,
          endTime: num,
          assertionResults: {
            type: 'array',
            maxItems: 10000,
            items: {
              type: 'object',
              required: ['title', 'status'],
              properties: { fullName: str(2000), title: str(1000), status: str(40) },
            },
          },
        },
      },
    },
  },
};

const ajv = new Ajv({ allErrors: true, strict: false });
const validators: Record<keyof typeof ARTIFACT_FILES, ValidateFunction> = {
  context: ajv.compile(contextSchema),
  run: ajv.compile(runSchema),
  verdict: ajv.compile(verdictSchema),
  comparison: ajv.compile(comparisonSchema),
  lint: ajv.compile(lintSchema),
  tests: ajv.compile(testsSchema),
};

/** Validates one parsed file; throws an input error listing every problem with its JSON pointer. */
export function validateArtifactFile<K extends keyof typeof ARTIFACT_FILES>(
  kind: K,
  value: unknown,
  where: string = ARTIFACT_FILES[kind],
): void {
  const v = validators[kind];
  if (!v(value)) {
    const problems = (v.errors ?? []).slice(0, 20).map((e: ErrorObject) => describeAjvError(e));
    throw new MlopsError('input', `report artifact ${where} is invalid:\n  - ${problems.join('\n  - ')}`, problems);
  }
}

function readJson(dir: string, kind: keyof typeof ARTIFACT_FILES, optional: boolean): unknown {
  const name = ARTIFACT_FILES[kind];
  const path = join(dir, name);
  if (!existsSync(path)) {
    if (optional) return null;
    throw new MlopsError(
      'input',
      `report artifact ${dir} has no ${name}; was it produced by the train action of this repository?`,
    );
  }
  const size = statSync(path).size;
  if (size > MAX_ARTIFACT_FILE_BYTES) {
    throw new MlopsError(
      'input',
      `report artifact ${name} is ${size} bytes, over the ${MAX_ARTIFACT_FILE_BYTES}-byte limit; refusing to read it`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new MlopsError('input', `report artifact ${name}: malformed JSON: ${(e as Error).message}`);
  }
  validateArtifactFile(kind, value, name);
  return value;
}

/** Reads and validates the artifact folder. Optional files (lint score, tests) may be absent. */
export function readReportArtifact(dir: string): ReportArtifact {
  if (!existsSync(dir))
    throw new MlopsError('input', `report artifact folder ${dir} does not exist; did the download step run?`);
  const artifact: ReportArtifact = {
    dir,
    context: readJson(dir, 'context', false) as ReportContext,
    run: readJson(dir, 'run', false) as RunSummary,
    verdict: readJson(dir, 'verdict', false) as Verdict,
    comparison: readJson(dir, 'comparison', false) as ComparisonFile,
    lint: readJson(dir, 'lint', true) as LintScoreFile | null,
    tests: readJson(dir, 'tests', true) as TestResultsFile | null,
    checks: null,
  };
  // Cross-checks a forged artifact would likely get wrong.
  if (artifact.verdict.challenger.digest !== artifact.run.model.digest) {
    throw new MlopsError(
      'input',
      `report artifact verdict.json is for model ${artifact.verdict.challenger.digest} but run.json is for ${artifact.run.model.digest}`,
    );
  }
  if (artifact.comparison.challenger.digest !== artifact.run.model.digest) {
    throw new MlopsError(
      'input',
      `report artifact comparison.json is for model ${artifact.comparison.challenger.digest} but run.json is for ${artifact.run.model.digest}`,
    );
  }
  if (artifact.comparison.challenger.roc_tpr.length !== artifact.comparison.roc_grid.length) {
    throw new MlopsError(
      'input',
      'report artifact comparison.json: /challenger/roc_tpr must have one value per /roc_grid point',
    );
  }
  if (
    artifact.comparison.champion &&
    artifact.comparison.champion.roc_tpr.length !== artifact.comparison.roc_grid.length
  ) {
    throw new MlopsError(
      'input',
      'report artifact comparison.json: /champion/roc_tpr must have one value per /roc_grid point',
    );
  }
  return artifact;
}

/** The lint score and test results from the checks workflow's downloaded artifact (either may be missing). */
export function readChecksResults(dir: string): Pick<ReportArtifact, 'lint' | 'tests'> {
  if (!existsSync(dir)) return { lint: null, tests: null };
  return {
    lint: readJson(dir, 'lint', true) as LintScoreFile | null,
    tests: readJson(dir, 'tests', true) as TestResultsFile | null,
  };
}
