/**
 * `mlops`: the command-line adapter over pipeline/. Parses flags, calls the core,
 * prints results. Exit codes: 0 ok, 1 failure, 2 usage error.
 */
import { parseArgs } from 'node:util';
import type { CliIO } from './command.ts';
import { COMMANDS } from './commands/index.ts';

export function mainHelp(): string {
  const width = COMMANDS.reduce((w, c) => Math.max(w, c.name.length), 0);
  return `Usage: mlops <command> [options]

Credit-default model, the GitOps way.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run "mlops <command> --help" for a command's options.`;
}

export async function main(argv: string[], io: CliIO = defaultIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(mainHelp());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    const { projectVersion } = await import('../pipeline/core/common/provenance.ts');
    io.out(projectVersion());
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.err(`mlops: unknown command "${name}"\n\n${mainHelp()}`);
    return 2;
  }
  const cmd = { ...(await entry.load()), name: entry.name };
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(cmd.help);
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: cmd.options, allowPositionals: Boolean(cmd.positionals), strict: true });
  } catch (e) {
    io.err(
      `mlops ${cmd.name}: ${(e as Error).message.replace(/\. To specify a positional argument.*$/s, '')}\nRun "mlops ${cmd.name} --help" for usage.`,
    );
    return 2;
  }
  try {
    return await cmd.run(
      {
        values: parsed.values as Record<string, string | boolean | string[] | boolean[] | undefined>,
        positionals: parsed.positionals,
      },
      io,
    );
  } catch (e) {
    // Imported only here, so that the listing and --version do not load the whole core.
    const { isMlopsError } = await import('../pipeline/core/index.ts');
    if (isMlopsError(e)) {
      io.err(`mlops ${cmd.name}: ${e.message}`);
      return e.kind === 'usage' ? 2 : 1;
    }
    const err = e as NodeJS.ErrnoException;
    io.err(`mlops ${cmd.name}: ${err.code && !err.message.startsWith(err.code) ? `${err.code}: ` : ''}${err.message}`);
    if (process.env.MLOPS_DEBUG) io.err(err.stack ?? '');
    return 1;
  }
}

function defaultIO(): CliIO {
  return {
    out: (t) => process.stdout.write(t + '\n'),
    err: (t) => process.stderr.write(t + '\n'),
    cwd: process.cwd(),
    tty: Boolean(process.stderr.isTTY),
  };
}
