// Keeps one terminal session connected to an xterm: opens it at the terminal's size, pipes bytes
// both ways, follows resizes, and after a drop reconnects with backoff to the same session id so
// the server resumes the shell and replays its scrollback. Ends for good on the shell's exit or a
// close that retrying cannot fix. Knows nothing about the page around it.
import { CloseCode } from '@rexec/protocol';
import type { RexecClient, Terminal as RemoteTerminal, TerminalEnd } from '@rexec/sdk';
import type { Terminal as Xterm } from '@xterm/xterm';

export type ConnectionState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'connected'; resumed: boolean }
  | { kind: 'reconnecting'; attempt: number; inMs: number; why: string }
  | { kind: 'exited'; code: number }
  | { kind: 'ended'; why: string };

/** Closes after which reconnecting to the same session cannot help. */
const FINAL = new Map<number, string>([
  [CloseCode.CONTAINER_STOPPED, 'The container stopped.'],
  [CloseCode.TOO_MANY_SESSIONS, 'The container already has the most shells it may have.'],
  [CloseCode.TERMINAL_FAILED, 'The shell could not be started in this container.'],
  [CloseCode.UNAUTHORIZED, 'The token was refused; sign in again.'],
  [CloseCode.REPLACED, 'This shell was opened in another tab or window.'],
  [CloseCode.PROTOCOL_VIOLATION, 'The terminal broke the protocol; reload the page.'],
]);

const MAX_BACKOFF_MS = 10_000;

/**
 * The most handed to xterm in one write. xterm parses a write whole before it yields to the page,
 * and the agent sends a busy shell's output in frames of up to 64 KiB: one such frame of short
 * lines kept the main thread busy past 100 ms. In slices it yields between them when its time
 * slice is up, so the page keeps drawing.
 */
const WRITE_SLICE_BYTES = 8 * 1024;
/**
 * Output handed to xterm and not yet drawn. A browser takes bytes off its WebSocket whether or not
 * the page keeps up, so past HIGH the server is asked to pause the shell, and past LOW (drawn down)
 * to resume: without it a busy shell on a starved page filled xterm's buffer until xterm dropped
 * output ("write data discarded") at 50 MB.
 */
const HIGH_WATER_BYTES = 1024 * 1024;
const LOW_WATER_BYTES = 256 * 1024;

/** Writes output into xterm in slices, asking `remote` to pause while xterm has a backlog. */
export function outputFlow(xterm: Pick<Xterm, 'write'>) {
  let pending = 0;
  let paused: RemoteTerminal | null = null;
  return {
    write(chunk: Uint8Array, remote: RemoteTerminal): void {
      for (let at = 0; at < chunk.length; at += WRITE_SLICE_BYTES) {
        const slice = chunk.subarray(at, at + WRITE_SLICE_BYTES);
        pending += slice.length;
        xterm.write(slice, () => {
          pending -= slice.length;
          if (paused !== null && pending <= LOW_WATER_BYTES) {
            paused.resume();
            paused = null;
          }
        });
      }
      if (paused === null && pending > HIGH_WATER_BYTES) {
        paused = remote;
        remote.pause();
      }
    },
    /** A new socket starts unpaused on the server. */
    reconnected(): void {
      paused = null;
    },
  };
}

export interface TerminalConnection {
  stop(): void;
}

export function keepConnected(options: {
  client: RexecClient;
  container: string;
  session: string;
  xterm: Xterm;
  onState: (state: ConnectionState) => void;
  /** Asked after a drop before the socket opened: a reason to stop (container not running). */
  whyNotReachable: () => Promise<string | null>;
}): TerminalConnection {
  const { client, container, session, xterm, onState } = options;
  let current: RemoteTerminal | null = null;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;

  const output = outputFlow(xterm);
  const input = xterm.onData((data) => current?.write(data));
  const binaryInput = xterm.onBinary((data) =>
    current?.write(Uint8Array.from(data, (char) => char.charCodeAt(0))),
  );
  const resize = xterm.onResize(({ cols, rows }) => current?.resize(cols, rows));

  const finish = (state: ConnectionState) => {
    stopped = true;
    onState(state);
  };

  const afterClose = async (end: TerminalEnd, wasReady: boolean) => {
    if (stopped) return;
    if (end.exitCode !== undefined || end.closeCode === CloseCode.SHELL_EXITED) {
      finish({ kind: 'exited', code: end.exitCode ?? 0 });
      return;
    }
    const final = FINAL.get(end.closeCode);
    if (final !== undefined) {
      finish({ kind: 'ended', why: end.error?.message ?? final });
      return;
    }
    if (!wasReady) {
      // A browser cannot see why an upgrade was refused; ask the API whether retrying can work.
      const why = await options.whyNotReachable().catch(() => null);
      if (why !== null) {
        finish({ kind: 'ended', why });
        return;
      }
    }
    attempt += 1;
    const inMs = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(attempt, 5));
    onState({
      kind: 'reconnecting',
      attempt,
      inMs,
      why: end.error?.message ?? 'The connection dropped.',
    });
    timer = setTimeout(open, inMs);
  };

  function open(): void {
    if (stopped) return;
    onState({ kind: 'connecting', attempt });
    // A resumed shell replays its recent output: start from a clean screen so it is not doubled.
    if (attempt > 0) xterm.reset();
    const terminal = client.terminal.connect(container, {
      session,
      cols: xterm.cols,
      rows: xterm.rows,
    });
    current = terminal;
    let wasReady = false;
    output.reconnected();
    terminal.onData((chunk) => output.write(chunk, terminal));
    terminal.ready.then(
      (info) => {
        wasReady = true;
        attempt = 0;
        onState({ kind: 'connected', resumed: info.resumed });
        // The window may have changed size while the socket was opening.
        terminal.resize(xterm.cols, xterm.rows);
      },
      () => undefined,
    );
    void terminal.closed.then((end) => {
      if (current === terminal) current = null;
      return afterClose(end, wasReady);
    });
  }

  open();
  return {
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      input.dispose();
      binaryInput.dispose();
      resize.dispose();
      current?.close();
    },
  };
}
