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

/** What a command's module exports; its name and summary are listed in commands/index.ts. */
export interface Command {
  /** Full `--help` text. */
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  positionals?: boolean;
  run(args: ParsedArgs, io: CliIO): Promise<number>;
}
