// The CLI's dispatcher: finds the command, parses its flags strictly (plus --json and --help),
// runs it, and turns every failure into one sentence on stderr (the server's own for API errors),
// a next step for the common ones, and a documented exit code.
import { parseArgs } from 'node:util';
import { RexecError } from '../errors.js';
import { RexecClient } from '../node.js';
import type { CliIo, Command, CommandContext } from './command.js';
import { COMMANDS } from './commands/index.js';
import { credentials } from './config-file.js';
import { CliError, ExitCode, UsageError, exitCodeFor } from './exit-codes.js';
import { nextStep } from './next-step.js';

const GLOBAL_OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: rexec <command> [flags]   (every command takes --json and --help)',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'exit codes: 0 ok, 1 API error, 2 usage, 3 not found, 4 auth, 5 limit, 6 conflict,',
    "            7 unavailable, 8 container failed; shell and exec exit with the command's code",
    '            (exec: 124 when it timed out).',
    'login is read from REXEC_URL/REXEC_TOKEN, else $XDG_CONFIG_HOME/rexec/config.json.',
  ].join('\n');
}

function parse(command: Command, args: string[]): Pick<CommandContext, 'values' | 'positionals'> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...command.options, ...GLOBAL_OPTIONS },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const count = parsed.positionals.length;
  if (
    values['help'] !== true &&
    (count < command.positionals.min || count > command.positionals.max)
  ) {
    throw new UsageError(
      command.positionals.max === 0
        ? `${command.name} takes no arguments`
        : `${command.name} takes ${command.positionals.names}`,
    );
  }
  return { values, positionals: parsed.positionals };
}

function describe(error: unknown): { sentence: string; exitCode: number; next?: string } {
  if (error instanceof UsageError) {
    return { sentence: `${error.message} (see rexec help) [usage]`, exitCode: ExitCode.USAGE };
  }
  if (error instanceof RexecError) {
    const retry = error.retryAfter === undefined ? '' : ` Retry in ${error.retryAfter} s.`;
    const sentence = error.message.replace(/\.?$/, '.');
    return {
      sentence: `${sentence}${retry} [${error.code}]`,
      exitCode: exitCodeFor(error),
      next: nextStep(error),
    };
  }
  if (error instanceof CliError) return { sentence: error.message, exitCode: error.exitCode };
  return {
    sentence: `unexpected failure: ${String(error)} [internal]`,
    exitCode: ExitCode.API_ERROR,
  };
}

/** Runs one CLI invocation; resolves with the exit code, never rejects. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout.write(`${helpText()}\n`);
    return name === undefined ? ExitCode.USAGE : ExitCode.OK;
  }
  try {
    const command = COMMANDS.find((c) => c.name === name);
    if (command === undefined) throw new UsageError(`unknown command "${name}"`);
    const { values, positionals } = parse(command, args);
    if (values['help'] === true) {
      io.stdout.write(`usage: ${command.usage}\n${command.summary}\n`);
      return ExitCode.OK;
    }
    let client: RexecClient | undefined;
    return await command.run({
      io,
      values,
      positionals,
      json: values['json'] === true,
      async client() {
        if (client !== undefined) return client;
        const { url, token } = await credentials(io.env);
        try {
          client = new RexecClient({
            baseUrl: url,
            token,
            retry: { maxRetries: 2, maxDelayMs: 15_000 },
          });
        } catch (error) {
          throw new CliError(
            `The saved login is unusable: ${(error as Error).message}.`,
            ExitCode.USAGE,
            { cause: error },
          );
        }
        return client;
      },
      print: (text) => io.stdout.write(`${text}\n`),
      printJson: (value) => io.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    });
  } catch (error) {
    const { sentence, exitCode, next } = describe(error);
    io.stderr.write(`rexec: ${sentence}\n`);
    if (next !== undefined) io.stderr.write(`rexec: next: ${next}\n`);
    return exitCode;
  }
}
