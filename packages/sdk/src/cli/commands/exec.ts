// `rexec exec <name|id> [--cwd DIR] [--user U] [--env K=V]… [--timeout S] -- <cmd> [args…]`: runs
// one command in the container (argv as given, no shell) as a background exec and streams it:
// stdout and stderr written byte-exact as they arrive, piped stdin passed through as it is read
// (a terminal on stdin means none: the command's stdin ends at once), and the CLI exits with the
// command's code. `--json` waits instead and prints the whole result (the synchronous exec).
import type { ExecResult } from '@rexec/protocol';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import type { ExecStream } from '../../exec/exec-stream.js';
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

/** Writes each chunk as it arrives, waiting for the local stream to drain when it is full. */
async function copy(from: AsyncIterable<Uint8Array>, to: Writable): Promise<void> {
  for await (const chunk of from) {
    if (!to.write(chunk)) await once(to, 'drain');
  }
}

/** Local stdin to the command as it is read; its end is the command's. */
async function pipeStdin(from: Readable, stream: ExecStream): Promise<void> {
  for await (const chunk of from) {
    stream.write(typeof chunk === 'string' ? chunk : (chunk as Uint8Array));
  }
  stream.endStdin();
}

export const exec: Command = {
  name: 'exec',
  usage:
    'rexec exec <name|id> [--cwd DIR] [--user USER] [--env K=V]… [--timeout S] -- <command> [args…]',
  summary: 'run a command in a container, streaming its output, and exit with its code',
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
    const options = {
      argv,
      ...(cwd === undefined ? {} : { cwd }),
      ...(user === undefined ? {} : { user }),
      ...(Object.keys(env).length === 0 ? {} : { env }),
      ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
    };
    const client = await context.client();
    if (!context.json) {
      const stream = await client.containers.execStream(target, options);
      // A terminal on stdin means nothing is piped in: the command's stdin ends at once.
      if (stdin.isTTY === true) stream.endStdin();
      // A local read error ends the command's stdin as an end of input would; the exit says more.
      else void pipeStdin(stdin, stream).catch(() => stream.endStdin());
      const [, , exit] = await Promise.all([
        copy(stream.stdout, stdout),
        copy(stream.stderr, stderr),
        stream.wait(),
      ]);
      if (exit.exitCode === null) {
        stderr.write(`[rexec: the command timed out and was killed]\n`);
        return EXIT_TIMED_OUT;
      }
      return exit.exitCode;
    }
    const input = stdin.isTTY === true ? undefined : await readAll(stdin);
    const result: ExecResult = await client.containers.exec(target, {
      ...options,
      ...(input === undefined || input === '' ? {} : { stdin: input }),
    });
    context.printJson(result);
    if (result.timed_out) {
      stderr.write(`[rexec: the command timed out and was killed]\n`);
      return EXIT_TIMED_OUT;
    }
    return result.exit_code ?? ExitCode.API_ERROR;
  },
};
