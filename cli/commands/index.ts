/**
 * Every `mlops` command, in the order `mlops --help` lists them. A command's module (and
 * all it imports) is loaded only when that command runs or shows its own help: the listing
 * needs no more than the names and summaries here.
 */
import type { Command } from '../command.ts';

export interface CommandEntry {
  name: string;
  /** One line in `mlops --help`. */
  summary: string;
  load: () => Promise<Command>;
}

export const COMMANDS: CommandEntry[] = [
  {
    name: 'run',
    summary: 'the main job: train and evaluate, compare with the champion, promote when the gate passes',
    load: async () => (await import('./run.ts')).runCommand,
  },
  {
    name: 'train',
    summary: 'train and evaluate a model; write model.json, metrics.json, run.json, report.md',
    load: async () => (await import('./train.ts')).trainCommand,
  },
  {
    name: 'evaluate',
    summary: 'score a labelled CSV with a model and print its metrics as JSON',
    load: async () => (await import('./evaluate.ts')).evaluateCommand,
  },
  {
    name: 'predict',
    summary: 'score a CSV: ID columns, probability and decision per row (streamed)',
    load: async () => (await import('./predict.ts')).predictCommand,
  },
  {
    name: 'compare',
    summary: 'score a run against the registry champion on the same rows and print the promotion verdict',
    load: async () => (await import('./compare.ts')).compareCommand,
  },
  {
    name: 'promote',
    summary: 'register a run in the model registry when it passes the promotion gate (optionally commit and push)',
    load: async () => (await import('./promote.ts')).promoteCommand,
  },
  {
    name: 'rollback',
    summary: 'move the champion alias back to an earlier version (recorded in the history)',
    load: async () => (await import('./rollback.ts')).rollbackCommand,
  },
  {
    name: 'registry',
    summary: 'inspect the model registry: list, show, history, verify',
    load: async () => (await import('./registry.ts')).registryCommand,
  },
  {
    name: 'tune',
    summary: 'search engine parameters with stratified k-fold cross-validation (shardable)',
    load: async () => (await import('./tune.ts')).tuneCommand,
  },
  {
    name: 'ingest',
    summary: 'append new rows (CSV files in data/incoming/, or a database above its watermark) to the training data',
    load: async () => (await import('./ingest.ts')).ingestCommand,
  },
  {
    name: 'data',
    summary: 'snapshot the training rows to Parquet and write the pointer file committed in their place',
    load: async () => (await import('./data.ts')).dataCommand,
  },
  {
    name: 'drift',
    summary: 'data, score and model drift between reference data and new data or a scoring log',
    load: async () => (await import('./drift.ts')).driftCommand,
  },
  {
    name: 'release',
    summary: 'reconcile the scoring images with the registry: status, publish what is missing, pin the cluster',
    load: async () => (await import('./release.ts')).releaseCommand,
  },
  {
    name: 'deploy',
    summary: 'pin the scoring image by digest in a Kubernetes overlay (deploy render)',
    load: async () => (await import('./deploy.ts')).deployCommand,
  },
  {
    name: 'serve',
    summary: 'run the scoring service (HTTP API, OpenAPI docs, metrics) on the champion or --model',
    load: async () => (await import('./serve.ts')).serveCommand,
  },
  {
    name: 'runs',
    summary: 'list, show, compare, reproduce and prune recorded runs; log them to MLflow',
    load: async () => (await import('./runs.ts')).runsCommand,
  },
  {
    name: 'report',
    summary: 'model card, HTML report, charts, explanations, fairness and diagnostics for a run',
    load: async () => (await import('./report.ts')).reportCommand,
  },
];
