/** What a model report says, as data (report.json): the card, report.html and the dashboard render it. */
import type {
  Bundle,
  FairnessReport,
  FileRef,
  FeatureImportance,
  MetricsFile,
  Selection,
  SplitMetrics,
} from '../../core/index.ts';
import type { MetricInterval } from './bootstrap.ts';
import type { ColumnSummary, DependencyReport, Environment, TimingRow } from './diagnostics.ts';

export interface ExampleExplanation {
  label: string;
  probability: number;
  decision: string;
  reasons: string[];
  contributions: { feature: string; value: number | string | null; contribution: number }[];
}

export interface ReportData {
  format: 'credit-risk-gitops/report';
  model: {
    name: string;
    engine: string;
    digest: string;
    params: Record<string, number | string | boolean>;
    version: number | null;
    threshold: number;
    costs: Bundle['costs'];
    risk_bands: Bundle['risk_bands'];
    /** The bundle's time: the commit time, so rebuilt bundles stay byte-identical (not when it was trained). */
    created_at: string | null;
    /** Wall-clock time of the training run (run.json's `trained_at`), null when the run is unknown. */
    trained_at: string | null;
    git: Bundle['provenance']['git'];
    seed: number;
    /** Where the rows were read from (the run's record), with the rows' count. */
    data: FileRef;
    test_data: FileRef | null;
  };
  /** `engine: auto`: the leaderboard and why the winner won (the bundle's). */
  selection: Selection | null;
  run: { id: string; created_at: string; trained_at: string; command: string } | null;
  target: { column: string; positive: string; negative: string; rows: number; positive_rate: number };
  evaluation: { source: string; rows: number; positive_rate: number };
  metrics: { train: SplitMetrics; validation: SplitMetrics; test: SplitMetrics };
  intervals: MetricInterval[];
  champion: { name: string; digest: string; engine: string; test: SplitMetrics | null; note: string | null } | null;
  overfitting: MetricsFile['overfitting'] | null;
  calibration: { max_gap: number | null };
  importance: (FeatureImportance & { engine: number | null })[];
  explanations: {
    output: 'log_odds' | 'probability';
    method: string;
    rows: number;
    base_value: number;
    examples: ExampleExplanation[];
  } | null;
  fairness: FairnessReport;
  data_summary: ColumnSummary[];
  timings: {
    rows: TimingRow[];
    score_us_per_row: number | null;
    report_s: number | null;
    report_cpu_s: number | null;
    report_stages: Record<string, number>;
  };
  environment: Environment;
  dependencies: DependencyReport;
  charts: { file: string; title: string }[];
  limitations: string[];
  warnings: string[];
}
