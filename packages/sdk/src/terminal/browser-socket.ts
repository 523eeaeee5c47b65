// The terminal transport over a WHATWG WebSocket (browsers, Deno, Node 22+). Browsers cannot set
// headers on a socket, so the token travels as the subprotocol `rexec.token.<token>` beside
// `rexec.terminal.v1`; the server answers only the latter. No DOM types: the shape used is below.
import { TERMINAL_SUBPROTOCOL, TERMINAL_TOKEN_SUBPROTOCOL_PREFIX } from '@rexec/protocol';
import type { TransportFactory } from './transport.js';

interface SocketEvent {
  data?: unknown;
  code?: number;
  reason?: string;
}

/** The part of the standard WebSocket this transport uses. */
export interface StandardWebSocket {
  binaryType: string;
  send(data: string | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  addEventListener(
    type: 'open' | 'message' | 'close' | 'error',
    listener: (event: SocketEvent) => void,
  ): void;
}

export type StandardWebSocketConstructor = new (
  url: string,
  protocols: string[],
) => StandardWebSocket;

/** The global WebSocket constructor, if this runtime has one. */
export function globalWebSocket(): StandardWebSocketConstructor | undefined {
  const candidate = (globalThis as { WebSocket?: unknown }).WebSocket;
  return typeof candidate === 'function' ? (candidate as StandardWebSocketConstructor) : undefined;
}

export function standardSocketTransport(Socket: StandardWebSocketConstructor): TransportFactory {
  return ({ url, token, subprotocol }, events) => {
    const socket = new Socket(url, [
      subprotocol ?? TERMINAL_SUBPROTOCOL,
      `${TERMINAL_TOKEN_SUBPROTOCOL_PREFIX}${token}`,
    ]);
    socket.binaryType = 'arraybuffer';
    socket.addEventListener('open', () => events.open());
    socket.addEventListener('message', ({ data }) => {
      if (typeof data === 'string') events.text(data);
      else if (data instanceof ArrayBuffer) events.binary(new Uint8Array(data));
      else if (ArrayBuffer.isView(data)) {
        events.binary(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      }
    });
    // A browser hides why a handshake failed; `close` (1006) follows `error`, and reports it.
    socket.addEventListener('error', () => undefined);
    socket.addEventListener('close', ({ code, reason }) =>
      events.close(code ?? 1006, reason ?? ''),
    );
    return {
      send: (data) => socket.send(data),
      close: (code, reason) => socket.close(code, reason),
    };
  };
}
