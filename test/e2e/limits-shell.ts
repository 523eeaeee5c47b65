// A command runner over the SDK's terminal for the limits suite: a shell in a container with echo
// off, commands that end in a unique marker carrying `$?`, and waits on the output. The terminal
// transport and the PTY are the SDK's and the agent's; this only frames commands and reads output.
import type { RexecClient, Terminal } from '@rexec/sdk/node';
import { collect, type Output } from '../sdk/terminal-output.js';

export interface CommandResult {
  /** What the command printed, without the marker line (PTY line endings kept). */
  output: string;
  /** The command's exit status, as `$?` printed it. */
  code: number;
}

export interface Shell {
  readonly terminal: Terminal;
  /** Runs `command` and waits for its marker; rejects with the output so far after timeoutMs. */
  run(command: string, timeoutMs?: number): Promise<CommandResult>;
  /** Types `command` and returns at once; `finished` waits for its marker. */
  start(command: string): { finished: (timeoutMs?: number) => Promise<CommandResult> };
  /** Resolves once the output since the shell opened matches `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  text(): string;
  close(): Promise<void>;
}

let serial = 0;

/** A marker nobody types by accident; its regex needs digits where `$?` was, so the echo never matches. */
function marker(): { suffix: string; pattern: RegExp } {
  serial += 1;
  const tag = `__limits_${process.pid}_${serial}_`;
  return { suffix: `; echo "${tag}$?__"`, pattern: new RegExp(`${tag}(\\d+)__`) };
}

async function finish(
  out: Output,
  from: number,
  pattern: RegExp,
  timeoutMs: number,
): Promise<CommandResult> {
  await out.waitFor(pattern, timeoutMs, from);
  const after = out.text().slice(from);
  const match = pattern.exec(after);
  if (match?.[1] === undefined) throw new Error(`marker ${pattern} vanished from the output`);
  return { output: after.slice(0, match.index), code: Number(match[1]) };
}

export async function openShell(client: RexecClient, containerId: string, session: string) {
  const terminal = client.terminal.connect(containerId, { session, cols: 200, rows: 50 });
  const out = collect(terminal);
  await terminal.ready;
  const start: Shell['start'] = (command) => {
    const { suffix, pattern } = marker();
    const from = out.text().length;
    terminal.write(`${command}${suffix}\n`);
    return { finished: (timeoutMs = 30_000) => finish(out, from, pattern, timeoutMs) };
  };
  const shell: Shell = {
    terminal,
    start,
    run: (command, timeoutMs) => start(command).finished(timeoutMs),
    waitFor: (pattern, timeoutMs = 20_000) => out.waitFor(pattern, timeoutMs),
    text: () => out.text(),
    async close() {
      terminal.close();
      await terminal.closed;
    },
  };
  // Echo off, so command lines (with the addresses they name) never look like their output.
  const quiet = await shell.run('stty -echo');
  if (quiet.code !== 0) throw new Error(`stty -echo failed in ${containerId}: ${quiet.output}`);
  return shell;
}

/** The default gateway (the host's address on the container's network) read from the routes. */
export async function gatewayOf(shell: Shell): Promise<string> {
  const result = await shell.run(`route -n | awk '$1 == "0.0.0.0" { print "gw=" $2 }'`);
  const gateway = /gw=(\d+\.\d+\.\d+\.\d+)/.exec(result.output)?.[1];
  if (result.code !== 0 || gateway === undefined) {
    throw new Error(`no default route in the container: ${result.output}`);
  }
  return gateway;
}

/** The container's IPv4 address on eth0. */
export async function addressOf(shell: Shell): Promise<string> {
  const result = await shell.run(`ip -4 addr show eth0 | awk '/inet / { print "ip=" $2 }'`);
  const address = /ip=(\d+\.\d+\.\d+\.\d+)\//.exec(result.output)?.[1];
  if (result.code !== 0 || address === undefined) {
    throw new Error(`no IPv4 address on eth0: ${result.output}`);
  }
  return address;
}
