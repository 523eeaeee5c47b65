// `rexec shell <name|id> [--session <id>]`: an interactive shell in the container. Raw mode while
// attached (Ctrl-C and Ctrl-D go to the remote shell; Ctrl-D on an empty line ends it), SIGWINCH
// becomes a resize, and the CLI exits with the shell's exit code.
import { TerminalSessionId } from '@rexec/protocol';
import type { Command } from '../command.js';
import { stringFlag } from '../command.js';
import { ExitCode, UsageError } from '../exit-codes.js';

/** End of transmission: what a terminal sends for Ctrl-D, so piped input ends like typed input. */
const EOT = '\u0004';

export const shell: Command = {
  name: 'shell',
  usage: 'rexec shell <name|id> [--session <id>]',
  summary: 'open an interactive shell (resume one with --session)',
  options: { session: { type: 'string' } },
  positionals: { min: 1, max: 1, names: '<name|id>' },
  async run(context) {
    const [target] = context.positionals;
    if (target === undefined) throw new UsageError('give a container name or id');
    const session = stringFlag(context, 'session');
    if (session !== undefined && !TerminalSessionId.safeParse(session).success) {
      throw new UsageError('--session must be 1-64 characters of A-Z, a-z, 0-9, _ and -');
    }
    const { stdin, stdout, stderr } = context.io;
    const client = await context.client();
    const size =
      stdout.isTTY === true && stdout.columns !== undefined && stdout.rows !== undefined
        ? { cols: stdout.columns, rows: stdout.rows }
        : {};
    const terminal = client.terminal.connect(target, {
      ...(session === undefined ? {} : { session }),
      ...size,
    });
    terminal.onData((chunk) => stdout.write(chunk));
    const info = await terminal.ready;
    if (info.resumed && stderr.isTTY === true) {
      stderr.write(`[rexec: resumed session ${info.session}]\r\n`);
    }

    const raw = stdin.isTTY === true && typeof stdin.setRawMode === 'function';
    if (raw) stdin.setRawMode?.(true);
    const onInput = (chunk: Buffer | string): void =>
      terminal.write(chunk instanceof Buffer ? new Uint8Array(chunk) : chunk);
    const onEnd = (): void => terminal.write(EOT);
    stdin.on('data', onInput);
    stdin.on('end', onEnd);
    stdin.resume();
    const stopResize = context.io.onResize(() => {
      if (stdout.columns !== undefined && stdout.rows !== undefined) {
        terminal.resize(stdout.columns, stdout.rows);
      }
    });
    try {
      const end = await terminal.closed;
      if (end.exitCode !== undefined) return end.exitCode;
      if (end.error !== undefined) throw end.error;
      return ExitCode.OK;
    } finally {
      stopResize();
      stdin.off('data', onInput);
      stdin.off('end', onEnd);
      if (raw) stdin.setRawMode?.(false);
      stdin.pause();
    }
  },
};
