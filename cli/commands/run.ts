import type { Command } from '../command.ts';
import { configFromFlags, configHelp, configOptions } from '../config-flags.ts';
import { trainSummary } from '../summary.ts';
import { trainToFolder } from './train.ts';

export const runCommand: Command = {
  name: 'run',
  summary: 'the main job: train and evaluate on the configured data and write the run folder',
  help: `Usage: mlops run [options]

Trains and evaluates the configured model on the configured data (by default the
embedded credit data set) and writes a run folder under runs/.

${configHelp}
  --out DIR           run folder (default: <runs_dir>/<run id>)
  --workers N         worker threads for tree engines
  --quiet             no progress output
  -h, --help          show this help`,
  options: { ...configOptions, out: { type: 'string', short: 'o' }, workers: { type: 'string' }, quiet: { type: 'boolean' } },
  async run(args, io) {
    const loaded = configFromFlags(args, io.cwd);
    const { result, dir } = await trainToFolder(loaded, args, io, 'run');
    io.out(trainSummary(result, dir));
    return 0;
  },
};
