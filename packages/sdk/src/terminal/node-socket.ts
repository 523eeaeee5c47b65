// The terminal transport for Node over `ws`: the token goes in the Authorization header, and a
// refused upgrade is read as the REST error it is (401, 404, 409 invalid_state, 429…). Imported
// only by the Node entry (node.ts), so browser bundles never see `ws`.
import { TERMINAL_SUBPROTOCOL, MAX_TERMINAL_CHUNK_BYTES } from '@rexec/protocol';
import WebSocket from 'ws';
import { RexecError } from '../errors.js';
import { errorFromAnswer } from '../http/error-answer.js';
import type { TransportFactory } from './transport.js';

/** Room for a full scrollback replay frame and then some. */
const MAX_PAYLOAD_BYTES = 16 * MAX_TERMINAL_CHUNK_BYTES;

function toBytes(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

export const nodeSocketTransport: TransportFactory = ({ url, token, subprotocol }, events) => {
  let refused = false;
  const socket = new WebSocket(url, [subprotocol ?? TERMINAL_SUBPROTOCOL], {
    headers: { authorization: `Bearer ${token}` },
    maxPayload: MAX_PAYLOAD_BYTES,
  });
  socket.on('unexpected-response', (request, response) => {
    refused = true;
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('error', (error) => {
      // The refusal's body broke off: report what is known so the terminal still ends.
      events.failed(
        new RexecError({
          status: response.statusCode ?? 0,
          code: 'network_error',
          message: `The socket was refused with HTTP ${response.statusCode ?? '?'} and its answer broke off.`,
          cause: error,
        }),
      );
      events.close(1006, '');
    });
    response.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        // Left undefined: errorFromAnswer reports a non-JSON refusal with its text.
        json = undefined;
      }
      const headers = new Headers();
      for (const [name, value] of Object.entries(response.headers)) {
        if (typeof value === 'string') headers.set(name, value);
      }
      events.failed(
        errorFromAnswer(
          {
            status: response.statusCode ?? 0,
            statusText: response.statusMessage ?? '',
            headers,
            json,
            text,
          },
          'terminal connect',
        ),
      );
      request.destroy();
      events.close(1006, '');
    });
  });
  socket.on('open', () => events.open());
  socket.on('message', (data, isBinary) => {
    if (isBinary) events.binary(toBytes(data));
    else events.text(Buffer.from(toBytes(data)).toString('utf8'));
  });
  socket.on('error', (error) => {
    if (refused) return;
    events.failed(
      new RexecError({
        status: 0,
        code: 'network_error',
        message: `Could not open the socket: ${error.message}.`,
        cause: error,
      }),
    );
  });
  socket.on('close', (code, reason) => {
    // After a refusal `close` was already reported with the answer read.
    if (!refused) events.close(code, reason.toString('utf8'));
  });
  return {
    send: (data) => socket.send(data, { binary: typeof data !== 'string' }),
    close: (code, reason) => {
      if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
      else socket.close(code, reason);
    },
  };
};
