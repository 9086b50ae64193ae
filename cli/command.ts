/** The shape of a CLI command; each lives in its own file under cli/commands/. */
import type { ParseArgsConfig } from 'node:util';

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  cwd: string;
  /** True when stderr is a terminal: progress may redraw one line. */
  tty: boolean;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export interface Command {
  name: string;
  summary: string;
  /** Full `--help` text. */
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  positionals?: boolean;
  run(args: ParsedArgs, io: CliIO): Promise<number>;
}
