// The control side of terminals for the agent's terminal suites: a real WebSocket server on
// 127.0.0.1 port 0 speaking the agent socket (WELCOME on HELLO, heartbeat acks) that also decodes
// binary channel frames, collects each channel's output, and grants output credit automatically or
// only when told. The agent runs in-process through the real connect loop; the relay to users is
// the control plane's and not exercised here.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import {
  AGENT_CONNECT_PATH,
  AGENT_SUBPROTOCOL,
  decodeAgentMessage,
  decodeChannelFrame,
  encodeChannelFrame,
  encodeControlMessage,
} from '@rexec/protocol';
import type { AgentMessage, ControlMessage } from '@rexec/protocol';
import type { Test } from 'tap';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';
import { serveOnLoopback } from '../../helpers/net.js';

export type Received<T extends AgentMessage['type']> = Extract<AgentMessage, { type: T }>;

interface ChannelOutput {
  /** latin1, one char per byte, so byte counts can be checked on the text. */
  text: string;
  total: number;
}

export interface TerminalPeerConnection {
  readonly socket: WebSocket;
  readonly messages: AgentMessage[];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Grant credit for every output byte as it arrives (default true). */
  autoCredit: boolean;
  send(message: ControlMessage): void;
  type(channel: number, text: string): void;
  output(channel: number): string;
  outputBytes(channel: number): number;
  next<T extends AgentMessage['type']>(
    type: T,
    match?: (message: Received<T>) => boolean,
    timeoutMs?: number,
  ): Promise<Received<T>>;
  /** Resolves once the channel's output matches; rejects with the output seen on timeout. */
  waitOutput(channel: number, pattern: RegExp, timeoutMs?: number): Promise<string>;
}

export interface TerminalPeer {
  readonly url: URL;
  /** The host id WELCOME names. */
  readonly hostId: string;
  readonly credential: string;
  nextConnection(timeoutMs?: number): Promise<TerminalPeerConnection>;
}

function rawBytes(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? Buffer.from(data) : data;
}

function poll<T>(check: () => T | undefined, timeoutMs: number, what: () => string): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      const value = check();
      if (value !== undefined) return resolve(value);
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out: ${what()}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

function accept(socket: WebSocket, hostId: string): TerminalPeerConnection {
  const messages: AgentMessage[] = [];
  const outputs = new Map<number, ChannelOutput>();
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
  });
  const connection: TerminalPeerConnection = {
    socket,
    messages,
    closed,
    autoCredit: true,
    send(message) {
      socket.send(encodeControlMessage(message));
    },
    type(channel, text) {
      socket.send(encodeChannelFrame(channel, Buffer.from(text, 'utf8')), { binary: true });
    },
    output(channel) {
      return outputs.get(channel)?.text ?? '';
    },
    outputBytes(channel) {
      return outputs.get(channel)?.total ?? 0;
    },
    next(type, match, timeoutMs = 30_000) {
      return poll(
        () =>
          messages.find(
            (message): message is Received<typeof type> =>
              message.type === type && (match?.(message as Received<typeof type>) ?? true),
          ),
        timeoutMs,
        () => `${type} (got ${messages.map((message) => message.type).join(', ')})`,
      );
    },
    waitOutput(channel, pattern, timeoutMs = 30_000) {
      return poll(
        () => {
          const text = connection.output(channel);
          return pattern.test(text) ? text : undefined;
        },
        timeoutMs,
        () =>
          `${String(pattern)} in output ${JSON.stringify(connection.output(channel).slice(-400))}`,
      );
    },
  };
  socket.on('message', (data, isBinary) => {
    if (isBinary) {
      const frame = decodeChannelFrame(rawBytes(data));
      if (!frame.ok) {
        socket.close(4001, 'bad frame');
        return;
      }
      const { channel, payload } = frame.value;
      const output = outputs.get(channel) ?? { text: '', total: 0 };
      output.text += Buffer.from(payload).toString('latin1');
      output.total += payload.byteLength;
      outputs.set(channel, output);
      if (connection.autoCredit) {
        connection.send({ type: 'CONTROL_TERMINAL_CREDIT', channel, bytes: payload.byteLength });
      }
      return;
    }
    const decoded = decodeAgentMessage(data);
    if (!decoded.ok) {
      socket.close(4001, decoded.error.message.slice(0, 100));
      return;
    }
    const message = decoded.value;
    messages.push(message);
    if (message.type === 'AGENT_HELLO') {
      connection.send({
        type: 'CONTROL_WELCOME',
        protocol_version: 1,
        host_id: hostId,
        host_name: message.host_name,
        connection_id: `conn-${randomBytes(6).toString('hex')}`,
        heartbeat_interval_ms: 3_000,
        heartbeat_timeout_ms: 9_000,
        server_time: new Date().toISOString(),
      });
    }
    if (message.type === 'AGENT_HEARTBEAT') {
      connection.send({
        type: 'CONTROL_HEARTBEAT_ACK',
        seq: message.seq,
        server_time: new Date().toISOString(),
      });
    }
  });
  return connection;
}

export async function startTerminalPeer(t: Test): Promise<TerminalPeer> {
  const credential = `cred_${randomBytes(24).toString('hex')}`;
  const hostId = `hst_${randomBytes(16).toString('hex')}`;
  const connections: TerminalPeerConnection[] = [];
  let taken = 0;
  const server = createServer((_request, response) => response.writeHead(404).end());
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has(AGENT_SUBPROTOCOL) ? AGENT_SUBPROTOCOL : false),
  });
  server.on('upgrade', (request, socket, head) => {
    if (
      request.url !== AGENT_CONNECT_PATH ||
      request.headers.authorization !== `Bearer ${credential}`
    ) {
      socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => connections.push(accept(ws, hostId)));
  });
  const port = await serveOnLoopback(t, server, wss);
  return {
    url: new URL(`http://127.0.0.1:${port}`),
    hostId,
    credential,
    nextConnection(timeoutMs = 30_000) {
      const index = taken;
      taken += 1;
      return poll(
        () => connections[index],
        timeoutMs,
        () => `agent connection #${index + 1}`,
      );
    },
  };
}
