// The terminal channels of one agent socket (PROTOCOL.md §9): routes CONTROL_TERMINAL_* messages and
// input frames to sessions by channel number, grants input credit as input reaches the PTY, and on
// socket close detaches every channel so the shells enter their grace period. Returns protocol
// violations to session.ts, which closes the socket; sessions themselves are the manager's.
import type { ControlMessage, ControlTerminalOpen } from '@rexec/protocol';
import type { Logger } from 'pino';
import type { TerminalLink } from './terminal-link.js';
import { TerminalOpenError } from './terminal-open-error.js';
import type { TerminalSession } from './terminal-session.js';

export type ControlTerminalMessage = Extract<
  ControlMessage,
  { type: `CONTROL_TERMINAL_${string}` }
>;

export interface TerminalConnection {
  /** Acts on a message; returns a protocol violation to close the socket with, else null. */
  handle(message: ControlTerminalMessage): string | null;
  /** Input bytes for `channel`; data for an unknown or ended channel is dropped. */
  input(channel: number, payload: Uint8Array): void;
  /** The socket closed: every channel detaches, opens still running end detached. */
  close(): void;
}

interface Channel {
  session: TerminalSession | null;
  /** Set when the channel was closed while its open was still running. */
  closing: 'detach' | 'terminate' | null;
  pendingSize: { cols: number; rows: number } | null;
}

/** The manager's one part a connection uses: open (or resume) the session an open names. */
export interface SessionOpener {
  open(message: ControlTerminalOpen): Promise<{ session: TerminalSession; resumed: boolean }>;
}

export function createTerminalConnection(deps: {
  manager: SessionOpener;
  link: TerminalLink;
  log: Logger;
}): TerminalConnection {
  const { manager, link, log } = deps;
  const channels = new Map<number, Channel>();
  let closed = false;

  function open(message: Extract<ControlTerminalMessage, { type: 'CONTROL_TERMINAL_OPEN' }>) {
    const channel: Channel = { session: null, closing: null, pendingSize: null };
    channels.set(message.channel, channel);
    manager.open(message).then(
      ({ session, resumed }) => {
        if (closed || channel.closing !== null) {
          channels.delete(message.channel);
          if (channel.closing === 'terminate') void session.terminate();
          else session.startGrace();
          return;
        }
        channel.session = session;
        const size = channel.pendingSize ?? { cols: message.cols, rows: message.rows };
        session.attach(
          {
            channel: message.channel,
            link,
            outputWindowBytes: message.output_window_bytes,
            onEnd: () => {
              if (channels.get(message.channel) === channel) channels.delete(message.channel);
            },
          },
          size.cols,
          size.rows,
          resumed,
        );
      },
      (error: unknown) => {
        channels.delete(message.channel);
        const known = error instanceof TerminalOpenError;
        if (!known) log.error({ err: error }, 'terminal open failed unexpectedly');
        else log.info({ code: error.code, reason: error.message }, 'terminal open refused');
        if (closed || channel.closing !== null) return;
        link.send({
          type: 'AGENT_TERMINAL_ERROR',
          channel: message.channel,
          code: known ? error.code : 'internal',
          message: known ? error.message : 'the agent could not open the terminal',
        });
      },
    );
  }

  return {
    handle(message) {
      if (closed) return null;
      const channel = channels.get(message.channel);
      switch (message.type) {
        case 'CONTROL_TERMINAL_OPEN':
          if (channel !== undefined) return `channel ${message.channel} is already open`;
          open(message);
          return null;
        case 'CONTROL_TERMINAL_RESIZE':
          if (channel?.session === null) channel.pendingSize = message;
          channel?.session?.resize(message.cols, message.rows);
          return null;
        case 'CONTROL_TERMINAL_CREDIT':
          channel?.session?.credit(message.bytes);
          return null;
        case 'CONTROL_TERMINAL_CLOSE':
          // A close for an ended channel crossed its end on the wire: nothing to do.
          if (channel === undefined) return null;
          channels.delete(message.channel);
          if (channel.session === null) channel.closing = message.mode;
          else if (message.mode === 'terminate') void channel.session.terminate();
          else channel.session.detach(message.channel);
          return null;
      }
    },
    input(channelId, payload) {
      if (closed) return;
      const channel = channels.get(channelId);
      if (channel === undefined) return;
      // Input is credited as soon as the PTY took it, so the window is only ever one frame deep.
      const written = channel.session?.input(payload) ?? 0;
      if (written > 0)
        link.send({ type: 'AGENT_TERMINAL_CREDIT', channel: channelId, bytes: written });
    },
    close() {
      if (closed) return;
      closed = true;
      for (const [channelId, channel] of channels) {
        if (channel.session === null) channel.closing = 'detach';
        else channel.session.detach(channelId);
      }
      channels.clear();
    },
  };
}
