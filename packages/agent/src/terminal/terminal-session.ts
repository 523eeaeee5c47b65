// One shell (PROTOCOL.md §9): the PTY running `<engine> exec -it`, its scrollback, the channel it is
// attached to, its output on the way there and the grace timer. Output leaves only within the
// credit the control plane granted; without credit the PTY is paused rather than buffered, and
// while detached output only feeds the scrollback. Batching and credit are terminal-output.ts's;
// which channel may attach, limits and probing are terminal-manager.ts's.
import { encodeChannelFrame, TERMINAL_WINDOW_BYTES } from '@rexec/protocol';
import type { IPty } from 'node-pty';
import type { Logger } from 'pino';
import { Scrollback } from './scrollback.js';
import { TerminalOutput } from './terminal-output.js';
import type { TerminalAttachment } from './terminal-link.js';

export interface TerminalSessionOptions {
  containerId: string;
  engineId: string;
  sessionId: string;
  pty: IPty;
  scrollbackBytes: number;
  graceMs: number;
  log: Logger;
  /** Kills the shell inside the container (the exec client alone does not). */
  killShell: () => Promise<void>;
  /** Whether the container still runs; tells a shell that exited from one whose container stopped. */
  containerRunning: () => Promise<boolean>;
  /** Called once when the session is over, so the manager drops it. */
  onGone: () => void;
}

type Phase = 'live' | 'exited' | 'gone';

/** Input is written to the PTY as it arrives and credited at once, so one window is plenty. */
export const INPUT_WINDOW_BYTES = TERMINAL_WINDOW_BYTES;

export class TerminalSession {
  readonly containerId: string;
  readonly engineId: string;
  readonly sessionId: string;
  readonly #options: TerminalSessionOptions;
  readonly #scrollback: Scrollback;
  #phase: Phase = 'live';
  #attachment: TerminalAttachment | null = null;
  /** The attached channel's output; null while detached. */
  #output: TerminalOutput | null = null;
  #paused = false;
  #exitCode: number | null = null;
  #graceTimer: NodeJS.Timeout | null = null;

  constructor(options: TerminalSessionOptions) {
    this.containerId = options.containerId;
    this.engineId = options.engineId;
    this.sessionId = options.sessionId;
    this.#options = options;
    this.#scrollback = new Scrollback(options.scrollbackBytes);
    options.pty.onData((data) => this.#onOutput(data as unknown as Buffer));
    options.pty.onExit(({ exitCode, signal }) => void this.#onExit(exitCode, signal));
  }

  get attachedChannel(): number | null {
    return this.#attachment?.channel ?? null;
  }

  /** Moves the session to `attachment`; an older channel gets `session_replaced`. */
  attach(attachment: TerminalAttachment, cols: number, rows: number, resumed: boolean): void {
    this.#clearGrace();
    const previous = this.#attachment;
    if (previous !== null) {
      previous.link.send({
        type: 'AGENT_TERMINAL_ERROR',
        channel: previous.channel,
        code: 'session_replaced',
        message: `session "${this.sessionId}" was opened on another connection`,
      });
      previous.onEnd();
    }
    this.#output?.clear();
    this.#attachment = attachment;
    const output = new TerminalOutput(
      attachment.outputWindowBytes,
      (payload) => attachment.link.sendFrame(encodeChannelFrame(attachment.channel, payload)),
      () => this.#settle(),
    );
    this.#output = output;
    this.resize(cols, rows);
    attachment.link.send({
      type: 'AGENT_TERMINAL_OPENED',
      channel: attachment.channel,
      session: this.sessionId,
      resumed,
      input_window_bytes: INPUT_WINDOW_BYTES,
    });
    if (resumed && this.#scrollback.length > 0) output.push(this.#scrollback.snapshot());
    this.#flush();
  }

  /** The channel left; the shell lives on for the grace period, reading into the scrollback. */
  detach(channel: number): void {
    if (this.#attachment?.channel !== channel) return;
    this.#attachment = null;
    this.#output?.clear();
    this.#output = null;
    this.#setPaused(false);
    if (this.#phase === 'exited') {
      this.#gone();
      return;
    }
    this.startGrace();
  }

  /** Starts the grace timer of a session nobody is attached to. */
  startGrace(): void {
    if (this.#phase !== 'live' || this.#attachment !== null || this.#graceTimer !== null) return;
    this.#graceTimer = setTimeout(() => {
      this.#graceTimer = null;
      this.#options.log.info({ session: this.sessionId }, 'terminal grace period over');
      void this.terminate();
    }, this.#options.graceMs);
  }

  resize(cols: number, rows: number): void {
    if (this.#phase !== 'live') return;
    try {
      this.#options.pty.resize(cols, rows);
    } catch (error) {
      // The PTY closed between the exit and its event; the exit path reports what happened.
      this.#options.log.debug({ err: error }, 'resize of a closing PTY ignored');
    }
  }

  credit(bytes: number): void {
    if (this.#output === null) return;
    this.#output.grant(bytes);
    this.#settle();
  }

  /** Writes keyboard input; returns the bytes taken (0 once the shell is gone). */
  input(payload: Uint8Array): number {
    if (this.#phase !== 'live') return 0;
    // node-pty writes Buffers as they are; its typing only names strings.
    this.#options.pty.write(Buffer.from(payload) as unknown as string);
    return payload.byteLength;
  }

  /** Kills the shell and its session; no message goes to the channel (its owner asked). */
  async terminate(): Promise<void> {
    if (this.#phase === 'gone') return;
    const wasLive = this.#phase === 'live';
    this.#gone();
    if (wasLive) await this.#kill();
  }

  /** Ends the session with an error to the attached channel (e.g. `container_stopped`). */
  fail(code: string, message: string): void {
    if (this.#phase === 'gone') return;
    const attachment = this.#attachment;
    const wasLive = this.#phase === 'live';
    this.#gone();
    attachment?.link.send({
      type: 'AGENT_TERMINAL_ERROR',
      channel: attachment.channel,
      code,
      message,
    });
    if (wasLive) this.#options.pty.kill('SIGKILL');
  }

  #onOutput(data: Buffer): void {
    if (this.#phase === 'gone') return;
    this.#scrollback.append(data);
    if (this.#output === null) return;
    this.#output.push(data);
    this.#settle();
  }

  /** Sends all the credit allows, held output included, then settles. */
  #flush(): void {
    this.#output?.flush();
    this.#settle();
  }

  /** After output moved: pause the PTY while output waits for credit; end an exited shell. */
  #settle(): void {
    const attachment = this.#attachment;
    const output = this.#output;
    if (attachment === null || output === null) return;
    this.#setPaused(output.blocked);
    if (output.queuedBytes === 0 && this.#phase === 'exited' && this.#exitCode !== null) {
      attachment.link.send({
        type: 'AGENT_TERMINAL_EXIT',
        channel: attachment.channel,
        exit_code: this.#exitCode,
      });
      this.#gone();
    }
  }

  #setPaused(paused: boolean): void {
    if (paused === this.#paused || this.#phase !== 'live') return;
    this.#paused = paused;
    if (paused) this.#options.pty.pause();
    else this.#options.pty.resume();
  }

  async #onExit(exitCode: number, signal: number | undefined): Promise<void> {
    if (this.#phase !== 'live') return;
    const code = signal !== undefined && signal > 0 ? 128 + signal : exitCode;
    let running = true;
    try {
      running = await this.#options.containerRunning();
    } catch (error) {
      // Cannot tell: report the shell's own exit, which is what the user saw last.
      this.#options.log.warn({ err: error }, 'could not inspect the container of an ended shell');
    }
    if (this.#phase !== 'live') return;
    if (!running) {
      this.fail('container_stopped', 'the container stopped');
      return;
    }
    this.#phase = 'exited';
    this.#exitCode = Math.max(0, Math.min(255, code));
    this.#paused = false;
    this.#clearGrace();
    if (this.#attachment === null) this.#gone();
    else this.#flush();
  }

  async #kill(): Promise<void> {
    try {
      await this.#options.killShell();
    } catch (error) {
      // The container may be stopping; killing the client below still frees the PTY.
      this.#options.log.warn({ err: error, session: this.sessionId }, 'could not kill the shell');
    }
    this.#options.pty.kill('SIGKILL');
  }

  #clearGrace(): void {
    if (this.#graceTimer !== null) clearTimeout(this.#graceTimer);
    this.#graceTimer = null;
  }

  #gone(): void {
    if (this.#phase === 'gone') return;
    this.#phase = 'gone';
    this.#clearGrace();
    const attachment = this.#attachment;
    this.#attachment = null;
    this.#output?.clear();
    this.#output = null;
    attachment?.onEnd();
    this.#options.onGone();
  }
}
