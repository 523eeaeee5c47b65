// A small scripted control plane for the agent suites: a real HTTP server on 127.0.0.1 port 0 with
// the enroll route and the agent socket (subprotocol rexec.agent.v1), speaking PROTOCOL.md through
// the protocol package's schemas. The real control plane exists (the e2e suites run it); this peer
// stays for what it cannot be made to do on cue: protocol violations, exact message order, silence,
// refusals and close codes, so these suites pin the agent's side of the contract message by message.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import {
  AGENT_CONNECT_PATH,
  AGENT_ENROLL_PATH,
  AGENT_SUBPROTOCOL,
  AgentEnrollRequest,
  decodeAgentMessage,
  encodeControlMessage,
} from '@rexec/protocol';
import type { AgentHello, AgentMessage, ControlMessage } from '@rexec/protocol';
import type { Test } from 'tap';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { serveOnLoopback } from '../helpers/net.js';

export type Received<T extends AgentMessage['type']> = Extract<AgentMessage, { type: T }>;

export interface PeerConnection {
  readonly id: number;
  readonly socket: WebSocket;
  readonly messages: AgentMessage[];
  /** Close code and reason the agent closed with, once closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  send(message: ControlMessage): void;
  /** The next (or an already received) message of `type` matching `match`. */
  next<T extends AgentMessage['type']>(
    type: T,
    match?: (message: Received<T>) => boolean,
    timeoutMs?: number,
  ): Promise<Received<T>>;
}

export interface PeerOptions {
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  /** Answer HELLO with WELCOME (default true). */
  autoWelcome?: boolean;
  /** Answer heartbeats with CONTROL_HEARTBEAT_ACK (default true); false plays a silent peer. */
  ackHeartbeats?: boolean;
  /** Plays another replica of the same control plane: the same host and credential. */
  replicaOf?: ControlPlanePeer;
}

export interface ControlPlanePeer {
  readonly url: string;
  readonly joinToken: string;
  readonly hostId: string;
  readonly credential: string;
  readonly enrollments: AgentEnrollRequest[];
  /** Every connection that passed the upgrade, in order. */
  readonly connections: PeerConnection[];
  /** Makes the next upgrades answer HTTP 401 (a credential the control plane does not know). */
  refuseUpgrades: boolean;
  nextConnection(timeoutMs?: number): Promise<PeerConnection>;
  /** Plays a replica that died: every agent socket is cut and the port stops listening. */
  halt(): Promise<void>;
}

function id(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString('hex')}`;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function waitFor<T>(
  check: () => T | undefined,
  subscribe: (wake: () => void) => () => void,
  timeoutMs: number,
  what: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const now = check();
    if (now !== undefined) return resolve(now);
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const unsubscribe = subscribe(() => {
      const value = check();
      if (value === undefined) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(value);
    });
  });
}

export async function startPeer(t: Test, options: PeerOptions = {}): Promise<ControlPlanePeer> {
  const joinToken = `join_${randomBytes(16).toString('hex')}`;
  const hostId = options.replicaOf?.hostId ?? id('hst');
  const credential = options.replicaOf?.credential ?? `cred_${randomBytes(24).toString('hex')}`;
  const enrollments: AgentEnrollRequest[] = [];
  const connections: PeerConnection[] = [];
  const connectionWaiters = new Set<() => void>();
  let taken = 0;

  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      if (request.method !== 'POST' || request.url !== AGENT_ENROLL_PATH) {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: 'Not found.', code: 'not_found' }));
        return;
      }
      if (request.headers.authorization !== `Bearer ${joinToken}`) {
        response.writeHead(401, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: 'Unknown join token.', code: 'unauthorized' }));
        return;
      }
      const parsed = AgentEnrollRequest.safeParse(JSON.parse(body));
      if (!parsed.success) {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: 'Bad body.', code: 'invalid_request' }));
        return;
      }
      enrollments.push(parsed.data);
      response.writeHead(201, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ host_id: hostId, host_name: parsed.data.host_name, credential }),
      );
    })();
  });

  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has(AGENT_SUBPROTOCOL) ? AGENT_SUBPROTOCOL : false),
  });
  const peer: ControlPlanePeer = {
    url: '',
    joinToken,
    hostId,
    credential,
    enrollments,
    connections,
    refuseUpgrades: false,
    nextConnection(timeoutMs = 120_000) {
      const index = taken;
      taken += 1;
      return waitFor(
        () => connections[index],
        (wake) => {
          connectionWaiters.add(wake);
          return () => connectionWaiters.delete(wake);
        },
        timeoutMs,
        `agent connection #${index + 1}`,
      );
    },
    async halt() {
      for (const client of wss.clients) client.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  server.on('upgrade', (request, socket, head) => {
    const authorized = request.headers.authorization === `Bearer ${credential}`;
    if (request.url !== AGENT_CONNECT_PATH || !authorized || peer.refuseUpgrades) {
      const body = JSON.stringify({ error: 'Unknown host credential.', code: 'unauthorized' });
      socket.end(
        `HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => accept(ws));
  });

  function accept(socket: WebSocket): void {
    const messages: AgentMessage[] = [];
    const waiters = new Set<() => void>();
    const closed = new Promise<{ code: number; reason: string }>((resolve) => {
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
    });
    const connection: PeerConnection = {
      id: connections.length + 1,
      socket,
      messages,
      closed,
      send(message) {
        socket.send(encodeControlMessage(message));
      },
      next<T extends AgentMessage['type']>(
        type: T,
        match?: (message: Received<T>) => boolean,
        timeoutMs = 120_000,
      ): Promise<Received<T>> {
        let from = 0;
        return waitFor<Received<T>>(
          () => {
            for (; from < messages.length; from += 1) {
              const message = messages[from];
              if (message?.type !== type) continue;
              const typed = message as Received<T>;
              if (match?.(typed) ?? true) {
                from += 1;
                return typed;
              }
            }
            return undefined;
          },
          (wake) => {
            waiters.add(wake);
            return () => waiters.delete(wake);
          },
          timeoutMs,
          `${type} on connection #${connection.id}`,
        );
      },
    };
    socket.on('message', (data) => {
      const decoded = decodeAgentMessage(data);
      if (!decoded.ok) {
        socket.close(4001, decoded.error.message.slice(0, 100));
        return;
      }
      const message = decoded.value;
      messages.push(message);
      if (message.type === 'AGENT_HELLO' && options.autoWelcome !== false) {
        connection.send({
          type: 'CONTROL_WELCOME',
          protocol_version: 1,
          host_id: hostId,
          host_name: message.host_name,
          connection_id: `conn-${randomBytes(6).toString('hex')}`,
          heartbeat_interval_ms: options.heartbeatIntervalMs ?? 3_000,
          heartbeat_timeout_ms: options.heartbeatTimeoutMs ?? 60_000,
          server_time: new Date().toISOString(),
        });
      }
      if (message.type === 'AGENT_HEARTBEAT' && options.ackHeartbeats !== false) {
        connection.send({
          type: 'CONTROL_HEARTBEAT_ACK',
          seq: message.seq,
          server_time: new Date().toISOString(),
        });
      }
      for (const wake of [...waiters]) wake();
    });
    connections.push(connection);
    for (const wake of [...connectionWaiters]) wake();
  }

  const port = await serveOnLoopback(t, server, wss);
  return Object.assign(peer, { url: `http://127.0.0.1:${port}` });
}

/** A plausible AGENT_HELLO for sessions driven by hand against a peer (no real engine behind it). */
export function sampleHello(hostName: string, extra: Partial<AgentHello> = {}): AgentHello {
  return {
    type: 'AGENT_HELLO',
    protocol_version: 1,
    agent_version: '0.1.0',
    instance_id: randomBytes(8).toString('hex'),
    host_name: hostName,
    runtime: { kind: 'podman', version: '4.3.1', disk_enforcement: 'none', network_shaping: false },
    capacity: { cpu_millicores: 2000, memory_mb: 4096, disk_mb: 10_240 },
    inventory: [],
    ...extra,
  };
}
