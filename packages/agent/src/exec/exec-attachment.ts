// One channel attached to a background exec (PROTOCOL.md §9b): sends the exec's output ring from
// its position as exec frames within the credit the control plane granted, passes stdin through
// (credited once written), and sends EXIT once the exec ended and everything was sent. Detaching
// leaves the exec running. The process and its ring are background-exec.ts's.
import {
  encodeChannelFrame,
  MAX_TERMINAL_CHUNK_BYTES,
  type AgentExecExit,
  type ExecSignal,
} from '@rexec/protocol';
import type { ExecLink } from './exec-process.js';
import type { OutputRing } from './output-ring.js';

/** What an attachment needs of its exec. */
export interface AttachableExec {
  readonly ring: OutputRing;
  /** The EXIT to send once all output is out; undefined while the exec runs. */
  readonly exit: Omit<AgentExecExit, 'channel'> | undefined;
  writeStdin(payload: Uint8Array, written: () => void): void;
  endStdin(): void;
  signal(signal: ExecSignal): void;
  /** The attachment read on (or left): the exec may resume paused pipes. */
  readerMoved(): void;
  detach(attachment: ExecAttachment): void;
}

export class ExecAttachment {
  #credit: number;
  #position: number;
  #ended = false;

  constructor(
    readonly channel: number,
    private readonly exec: AttachableExec,
    private readonly link: ExecLink,
    offset: number,
    windowBytes: number,
    /** Called once when the channel ends (EXIT sent or detached). */
    private readonly onEnd: () => void,
  ) {
    this.#position = offset;
    this.#credit = windowBytes;
  }

  /** The next offset this channel will send. */
  get position(): number {
    return this.#position;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Sends what credit allows; EXIT once the exec ended and nothing is left. */
  pump(): void {
    if (this.#ended) return;
    const { ring } = this.exec;
    // Output the ring dropped before this reader got it (a write raced a pause) is skipped.
    if (this.#position < ring.start) this.#position = ring.start;
    while (this.#credit > 0) {
      const piece = ring.read(this.#position, Math.min(this.#credit, MAX_TERMINAL_CHUNK_BYTES));
      if (piece === undefined) break;
      this.link.sendFrame(encodeChannelFrame(this.channel, piece.bytes, piece.kind));
      this.#position += piece.bytes.byteLength;
      this.#credit -= piece.bytes.byteLength;
    }
    const exit = this.exec.exit;
    if (exit !== undefined && this.#position >= ring.end) {
      this.link.send({ ...exit, channel: this.channel });
      this.#end();
      return;
    }
    this.exec.readerMoved();
  }

  credit(bytes: number): void {
    this.#credit += bytes;
    this.pump();
  }

  input(payload: Uint8Array): void {
    if (this.#ended) return;
    this.exec.writeStdin(payload, () => {
      if (!this.#ended) {
        this.link.send({
          type: 'AGENT_EXEC_CREDIT',
          channel: this.channel,
          bytes: payload.byteLength,
        });
      }
    });
  }

  endInput(): void {
    this.exec.endStdin();
  }

  signal(signal: ExecSignal): void {
    this.exec.signal(signal);
  }

  /** The reader left (DETACH, or its socket closed): no message goes out. */
  detach(): void {
    if (this.#ended) return;
    this.#end();
  }

  #end(): void {
    this.#ended = true;
    this.exec.detach(this);
    this.onEnd();
  }
}
