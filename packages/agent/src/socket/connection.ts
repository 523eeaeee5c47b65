// Dials the agent socket (PROTOCOL.md §3): ws(s)://<base>/api/v1/agent/connect with subprotocol
// rexec.agent.v1 and the host credential as a bearer token. Tells a refused credential (HTTP 401,
// fatal) from any other failure (retried). What happens on the open socket is session.ts's.
import { AGENT_CONNECT_PATH, AGENT_SUBPROTOCOL, MAX_AGENT_MESSAGE_BYTES } from '@rexec/protocol';
import { WebSocket } from 'ws';

export type DialResult =
  | { ok: true; socket: WebSocket }
  | {
      ok: false;
      unauthorized: boolean;
      /** The control plane answered (an HTTP refusal); false: it could not be reached at all. */
      answered: boolean;
      message: string;
    };

const HANDSHAKE_TIMEOUT_MS = 10_000;

export function agentSocketUrl(base: URL): URL {
  const url = new URL(AGENT_CONNECT_PATH, base);
  url.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  return url;
}

/** Opens the socket; resolves (never rejects) with it or with why it could not be opened. */
export function dial(base: URL, credential: string): Promise<DialResult> {
  const target = agentSocketUrl(base);
  return new Promise((resolve) => {
    const socket = new WebSocket(target, AGENT_SUBPROTOCOL, {
      headers: { authorization: `Bearer ${credential}` },
      maxPayload: MAX_AGENT_MESSAGE_BYTES,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      perMessageDeflate: false,
    });
    let settled = false;
    const settle = (result: DialResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    socket.once('unexpected-response', (_request, response) => {
      const status = response.statusCode ?? 0;
      response.resume();
      socket.terminate();
      settle({
        ok: false,
        unauthorized: status === 401,
        answered: true,
        message: `the control plane answered the upgrade with HTTP ${status}`,
      });
    });
    socket.once('error', (error) => {
      settle({
        ok: false,
        unauthorized: false,
        answered: false,
        message: `cannot connect: ${error.message}`,
      });
    });
    socket.once('open', () => {
      if (socket.protocol !== AGENT_SUBPROTOCOL) {
        socket.terminate();
        settle({
          ok: false,
          unauthorized: false,
          answered: true,
          message: `the server did not accept subprotocol ${AGENT_SUBPROTOCOL} (got "${socket.protocol}")`,
        });
        return;
      }
      settle({ ok: true, socket });
    });
  });
}
