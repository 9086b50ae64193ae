/** Every `mlops` command, in the order `mlops --help` lists them. */
import type { Command } from '../command.ts';
import { runCommand } from './run.ts';
import { trainCommand } from './train.ts';
import { evaluateCommand } from './evaluate.ts';
import { predictCommand } from './predict.ts';
import { registryCommand } from './registry.ts';
import { compareCommand } from './compare.ts';
import { promoteCommand } from './promote.ts';
import { rollbackCommand } from './rollback.ts';
import { tuneCommand } from './tune.ts';
import { deployCommand } from './deploy.ts';
import { releaseCommand } from './release.ts';
import { ingestCommand } from './ingest.ts';
import { dataCommand } from './data.ts';
import { driftCommand } from './drift.ts';
import { serveCommand } from './serve.ts';
import { runsCommand } from './runs.ts';
import { reportCommand } from './report.ts';

export const COMMANDS: Command[] = [
  runCommand,
  trainCommand,
  evaluateCommand,
  predictCommand,
  compareCommand,
  promoteCommand,
  rollbackCommand,
  registryCommand,
  tuneCommand,
  ingestCommand,
  dataCommand,
  driftCommand,
  releaseCommand,
  deployCommand,
  serveCommand,
  runsCommand,
  reportCommand,
];
