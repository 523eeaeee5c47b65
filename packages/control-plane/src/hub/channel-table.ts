// The bookkeeping every kind of channel on an agent session shares (terminals §9, execs §9a/§9b,
// files §9c): numbers 1, 2, … in a number space of the kind's own, never reused on the session;
// messages routed to whoever opened the channel, and dropped once it ended (they can cross the
// end); every open channel told once when the session ends. Each kind says which of its messages
// end a channel and how its binary frames reach the endpoint.
import { MAX_CHANNEL_ID } from '@rexec/protocol';

/** Why a session's channels ended: its socket closed or timed out, a newer one replaced it, or
 * this control plane is stopping. In every case what ran behind them is out of reach from here. */
export type SessionEndReason = 'closed' | 'replaced' | 'stopping';

/** What the relay, runner or file service holds for one open channel: the way to the agent. */
export interface ChannelLink<Control> {
  readonly channel: number;
  readonly hostId: string;
  /** Sends a control message; dropped when the session has ended (the endpoint was told). */
  send(message: Control): void;
  /** Sends bytes (1 … MAX_TERMINAL_CHUNK_BYTES) as a frame of the channel's kind. */
  sendData(payload: Uint8Array): void;
  /** Forgets the channel here: nothing more is delivered to its endpoint. */
  release(): void;
}

export interface ChannelEndpoint<Message> {
  message(message: Message): void;
  sessionEnded(reason: SessionEndReason): void;
}

export class ChannelTable<
  Message extends { channel: number },
  Endpoint extends ChannelEndpoint<Message>,
> {
  #next = 1;
  readonly #open = new Map<number, Endpoint>();

  /** `endsChannel`: whether a message is the agent's last on its channel. */
  constructor(private readonly endsChannel: (message: Message) => boolean) {}

  /** A fresh channel id for `endpoint`, or undefined once the 32-bit id space is used up. */
  open(endpoint: Endpoint): number | undefined {
    if (this.#next > MAX_CHANNEL_ID) return undefined;
    const channel = this.#next++;
    this.#open.set(channel, endpoint);
    return channel;
  }

  release(channel: number): void {
    this.#open.delete(channel);
  }

  get size(): number {
    return this.#open.size;
  }

  /** The endpoint of an open channel, for the kind's binary frames. */
  protected endpoint(channel: number): Endpoint | undefined {
    return this.#open.get(channel);
  }

  /** Messages for a channel that has ended are dropped: they can cross the end. */
  deliver(message: Message): void {
    const endpoint = this.#open.get(message.channel);
    if (endpoint === undefined) return;
    if (this.endsChannel(message)) this.#open.delete(message.channel);
    endpoint.message(message);
  }

  /** Ends every channel once; the session can carry no more. */
  endAll(reason: SessionEndReason): void {
    const endpoints = [...this.#open.values()];
    this.#open.clear();
    this.#next = MAX_CHANNEL_ID + 1;
    for (const endpoint of endpoints) endpoint.sessionEnded(reason);
  }
}
