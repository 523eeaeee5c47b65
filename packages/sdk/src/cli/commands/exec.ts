// `rexec exec <name|id> [--cwd DIR] [--user U] [--env K=V]… [--timeout S] -- <cmd> [args…]`: runs
// one command in the container (argv as given, no shell) with piped stdin passed through, writes
// its stdout and stderr byte-exact when it ends, and exits with its exit code. Output is written
// once the command ends, not live: live streaming needs the exec stream socket, not built yet.
import type { ExecResult } from '@rexec/protocol';
import type { Readable } from 'node:stream';
import type { Command } from '../command.js';
import { stringFlag } from '../command.js';
import { ExitCode, UsageError } from '../exit-codes.js';

/** What timeout(1) exits with when it killed the command. */
const EXIT_TIMED_OUT = 124;

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseEnv(entries: unknown): Record<string, string> {
  const list = Array.isArray(entries) ? entries : entries === undefined ? [] : [entries];
  const env: Record<string, string> = {};
  for (const entry of list) {
    const text = String(entry);
    const at = text.indexOf('=');
    if (at <= 0) throw new UsageError(`--env takes NAME=VALUE, got ${JSON.stringify(text)}`);
    env[text.slice(0, at)] = text.slice(at + 1);
  }
  return env;
}

function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) {
    throw new UsageError('--timeout takes whole seconds from 1 to 3600');
  }
  return seconds;
}

function bytesOf(text: string, base64: string | undefined): Buffer {
  return base64 === undefined ? Buffer.from(text, 'utf8') : Buffer.from(base64, 'base64');
}

export const exec: Command = {
  name: 'exec',
  usage:
    'rexec exec <name|id> [--cwd DIR] [--user USER] [--env K=V]… [--timeout S] -- <command> [args…]',
  summary: 'run a command in a container and exit with its code (output when it ends)',
  options: {
    cwd: { type: 'string' },
    user: { type: 'string' },
    env: { type: 'string', multiple: true },
    timeout: { type: 'string' },
  },
  positionals: { min: 2, max: Number.POSITIVE_INFINITY, names: '<name|id> -- <command> [args…]' },
  async run(context) {
    const [target, ...argv] = context.positionals;
    if (target === undefined || argv.length === 0) {
      throw new UsageError('give a container and a command: rexec exec NAME -- cmd args…');
    }
    const env = parseEnv(context.values['env']);
    const timeoutSeconds = parseTimeout(stringFlag(context, 'timeout'));
    const cwd = stringFlag(context, 'cwd');
    const user = stringFlag(context, 'user');
    const { stdin, stdout, stderr } = context.io;
    // A terminal on stdin means nothing is piped in: the command gets an empty stdin.
    const input = stdin.isTTY === true ? undefined : await readAll(stdin);
    const client = await context.client();
    const result: ExecResult = await client.containers.exec(target, {
      argv,
      ...(cwd === undefined ? {} : { cwd }),
      ...(user === undefined ? {} : { user }),
      ...(Object.keys(env).length === 0 ? {} : { env }),
      ...(input === undefined || input === '' ? {} : { stdin: input }),
      ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
    });
    if (context.json) {
      context.printJson(result);
    } else {
      stdout.write(bytesOf(result.stdout, result.stdout_base64));
      stderr.write(bytesOf(result.stderr, result.stderr_base64));
      for (const stream of ['stdout', 'stderr'] as const) {
        if (result[`${stream}_truncated`]) {
          stderr.write(`[rexec: ${stream} was cut at the server's output limit]\n`);
        }
      }
    }
    if (result.timed_out) {
      stderr.write(`[rexec: the command timed out and was killed]\n`);
      return EXIT_TIMED_OUT;
    }
    return result.exit_code ?? ExitCode.API_ERROR;
  },
};
