// Terminals (and background execs' stream sockets) whose host's agent socket another replica
// holds: the replica the user reached checks the user and the container as for any such socket,
// then opens a WebSocket to the holder's FORWARD_PATH (FORWARD_EXEC_STREAM_PATH) with the target
// signed (forward-signature.ts) and, once the holder accepted it, completes the user's handshake
// and pipes frames both ways untouched. The holder relays it as one of its own, so flow control,
// resume, revocation and stop notices are all its; this side adds backpressure between the two
// sockets, liveness pings to the user and the closing. Which replica holds a host, and at what
// URL, is replica-registry.ts's.
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  CloseCode,
  closeCodeName,
  EXEC_STREAM_SUBPROTOCOL,
  TERMINAL_SUBPROTOCOL,
} from '@rexec/protocol';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { closeClients } from '../hub/close-clients.js';
import type { Log } from '../hub/log.js';
import { refuseUpgrade } from '../hub/upgrade-refusal.js';
import type { ExecStreamRelay } from '../exec/exec-stream-relay.js';
import type { ExecStreamTarget } from '../exec/exec-stream-connection.js';
import {
  FORWARD_HEADER,
  createReplayGuard,
  ExecStreamForwardTarget,
  FORWARD_EXEC_STREAM_PATH,
  FORWARD_PATH,
  forwardKey,
  signForward,
  TerminalForwardTarget,
  verifyForward,
} from './forward-signature.js';
import type { TerminalTarget } from './terminal-connection.js';
import { TERMINAL_PING_INTERVAL_MS, type TerminalRelay } from './relay.js';

/** Bytes a socket may have queued before the other one stops being read. */
const HIGH_WATER_BYTES = 1024 * 1024;
/** How long the holder has to accept a forwarded terminal. */
const HANDSHAKE_TIMEOUT_MS = 5_000;
/** The largest refusal body passed on from the holder. */
const MAX_REFUSAL_BYTES = 16 * 1024;
const CLOSE_GRACE_MS = 1_000;

export interface TerminalForwarder {
  /** Opens the terminal on the replica at `peerUrl` and pipes the user's socket to it. */
  forward(
    peerUrl: string,
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    target: TerminalTarget,
  ): void;
  /** The same for a background exec's stream socket. */
  forwardExecStream(
    peerUrl: string,
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    target: ExecStreamTarget,
  ): void;
  /** Sockets this replica forwards now. */
  readonly size: number;
  /** Closes every forwarded terminal (the shells stay with their agents to resume). */
  stop(): Promise<void>;
}

/** What differs between the sockets forwarded: where they go and how they are named. */
interface SocketKind {
  path: string;
  subprotocol: string;
  /** For logs: "terminal", "exec stream". */
  what: string;
  users: WebSocketServer;
}

function socketKind(path: string, subprotocol: string, what: string): SocketKind {
  const users = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => (offered.has(subprotocol) ? subprotocol : false),
  });
  return { path, subprotocol, what, users };
}

export function createTerminalForwarder(clusterSecret: string, log: Log): TerminalForwarder {
  const key = forwardKey(clusterSecret);
  const terminals = socketKind(FORWARD_PATH, TERMINAL_SUBPROTOCOL, 'terminal');
  const streams = socketKind(FORWARD_EXEC_STREAM_PATH, EXEC_STREAM_SUBPROTOCOL, 'exec stream');
  const pipes = new Set<() => void>();
  let stopping = false;

  function forward(
    kind: SocketKind,
    peerUrl: string,
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    target: TerminalTarget | ExecStreamTarget,
  ): void {
    if (stopping) {
      refuseUpgrade(socket, 503, 'unavailable', 'The control plane is shutting down.');
      return;
    }
    const peer = new WebSocket(`${peerUrl.replace(/^http/, 'ws')}${kind.path}`, kind.subprotocol, {
      headers: { [FORWARD_HEADER]: signForward(key, target) },
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      perMessageDeflate: false,
    });
    let settled = false;
    // The user may leave while the holder is still answering.
    const userGone = () => {
      if (!settled) peer.terminate();
    };
    socket.once('close', userGone);
    peer.once('unexpected-response', (_request, response) => {
      settled = true;
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.byteLength;
        if (size <= MAX_REFUSAL_BYTES) chunks.push(chunk);
      });
      response.on('end', () => {
        const status = response.statusCode ?? 502;
        const body = Buffer.concat(chunks);
        socket.end(
          `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
            'Content-Type: application/json; charset=utf-8\r\n' +
            `Content-Length: ${body.byteLength}\r\nConnection: close\r\n\r\n${body.toString('utf8')}`,
        );
      });
      response.on('error', () => socket.destroy());
    });
    peer.once('error', (error) => {
      if (settled) return;
      settled = true;
      log.warn({ err: error, peer: peerUrl }, `could not forward a ${kind.what} to its replica`);
      refuseUpgrade(
        socket,
        503,
        'host_unavailable',
        'The replica holding the container’s host could not be reached; try again.',
      );
    });
    peer.once('open', () => {
      settled = true;
      socket.off('close', userGone);
      kind.users.handleUpgrade(request, socket, head, (user) => pipe(kind, user, peer, target));
    });
  }

  function pipe(
    kind: SocketKind,
    user: WebSocket,
    peer: WebSocket,
    target: TerminalTarget | ExecStreamTarget,
  ): void {
    let alive = true;
    const pinger = setInterval(() => {
      if (!alive) {
        user.terminate();
        return;
      }
      alive = false;
      user.ping();
    }, TERMINAL_PING_INTERVAL_MS);
    pinger.unref();
    user.on('pong', () => (alive = true));
    const relay = (from: WebSocket, to: WebSocket) => (data: RawData, isBinary: boolean) => {
      if (to.readyState !== WebSocket.OPEN) return;
      to.send(data, { binary: isBinary }, () => {
        if (from.isPaused && to.bufferedAmount < HIGH_WATER_BYTES / 4) from.resume();
      });
      if (to.bufferedAmount > HIGH_WATER_BYTES && !from.isPaused) from.pause();
    };
    user.on('message', relay(user, peer));
    peer.on('message', relay(peer, user));
    user.on('error', (error) => log.debug({ err: error }, `forwarded ${kind.what}: user socket`));
    peer.on('error', (error) =>
      log.debug({ err: error }, `forwarded ${kind.what}: replica socket`),
    );
    const end = () => {
      clearInterval(pinger);
      pipes.delete(shutdown);
    };
    user.on('close', (code, reason) => {
      end();
      close(peer, sendable(code) ? code : CloseCode.NORMAL, reason.toString('utf8'));
    });
    peer.on('close', (code, reason) => {
      end();
      if (user.readyState !== WebSocket.OPEN) return;
      if (sendable(code)) {
        close(user, code, reason.toString('utf8'));
        return;
      }
      // The holder went away without a closing handshake: as when an agent session is lost. Both
      // sockets' error frames have this shape (PROTOCOL.md §10, §10b).
      user.send(
        JSON.stringify({
          type: 'error',
          code: 'session_lost',
          message: `The replica serving this ${kind.what} went away; reconnect to resume.`,
        }),
      );
      close(user, CloseCode.SESSION_LOST, 'session_lost');
    });
    const shutdown = () => {
      close(user, CloseCode.SERVER_SHUTTING_DOWN, 'server_shutting_down');
      close(peer, CloseCode.NORMAL, '');
    };
    pipes.add(shutdown);
    log.info(
      {
        container_id: target.containerId,
        ...('session' in target
          ? { user_id: target.userId, session: target.session }
          : { exec_id: target.execId }),
      },
      `${kind.what} forwarded to the replica holding its host`,
    );
  }

  return {
    forward: (peerUrl, request, socket, head, target) =>
      forward(terminals, peerUrl, request, socket, head, target),
    forwardExecStream: (peerUrl, request, socket, head, target) =>
      forward(streams, peerUrl, request, socket, head, target),
    get size() {
      return pipes.size;
    },
    async stop() {
      stopping = true;
      for (const shutdown of [...pipes]) shutdown();
      await Promise.all([
        closeClients(terminals.users, CLOSE_GRACE_MS),
        closeClients(streams.users, CLOSE_GRACE_MS),
      ]);
    },
  };
}

/** Codes a close frame may carry (1005, 1006 and 1015 only describe what happened). */
function sendable(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) ||
    (code >= 3000 && code <= 4999)
  );
}

function close(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState === WebSocket.OPEN) {
    ws.close(code, reason || (closeCodeName(code)?.toLowerCase() ?? ''));
  }
}

/** An upgrade handler for FORWARD_PATH and FORWARD_EXEC_STREAM_PATH: a raw socket, before any handshake. */
export type ForwardedUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** The paths a ForwardedUpgrade takes. */
export const FORWARDED_UPGRADE_PATHS: readonly string[] = [FORWARD_PATH, FORWARD_EXEC_STREAM_PATH];

/**
 * Takes terminals and exec streams other replicas forward here: the signature must hold under this
 * replica's cluster secret, be of the path's own kind and unseen, and the host's agent socket must
 * be here; the socket is then relayed as one of this replica's own.
 */
export function acceptForwarded(deps: {
  clusterSecret: string | undefined;
  isConnected: (hostId: string) => boolean;
  terminals: TerminalRelay;
  execStreams: ExecStreamRelay;
  log: Log;
}): ForwardedUpgrade {
  const key = deps.clusterSecret === undefined ? undefined : forwardKey(deps.clusterSecret);
  const replays = createReplayGuard();
  return (request, socket, head) => {
    const stream =
      new URL(request.url ?? '/', 'http://rexec').pathname === FORWARD_EXEC_STREAM_PATH;
    const what = stream ? 'exec stream' : 'terminal';
    if (key === undefined) {
      refuseUpgrade(
        socket,
        503,
        'unavailable',
        `This replica takes no forwarded ${what}s: REXEC_CLUSTER_SECRET is not set here.`,
      );
      return;
    }
    const raw = request.headers[FORWARD_HEADER];
    const header = typeof raw === 'string' ? raw : undefined;
    const check = stream
      ? verifyForward(key, header, ExecStreamForwardTarget)
      : verifyForward(key, header, TerminalForwardTarget);
    if (!check.ok) {
      deps.log.warn(
        { from: request.socket.remoteAddress, reason: check.reason },
        `refused a forwarded ${what}`,
      );
      refuseUpgrade(socket, 401, 'unauthorized', `Forwarded ${what} refused: ${check.reason}.`);
      return;
    }
    if (header === undefined || !replays.firstUse(header)) {
      refuseUpgrade(
        socket,
        401,
        'unauthorized',
        `Forwarded ${what} refused: a replayed signature.`,
      );
      return;
    }
    const relay = stream ? deps.execStreams : deps.terminals;
    if (!relay.accepting) {
      refuseUpgrade(socket, 503, 'unavailable', 'The control plane is shutting down.');
      return;
    }
    if (!deps.isConnected(check.target.hostId)) {
      refuseUpgrade(
        socket,
        503,
        'host_unavailable',
        'The container’s host is not connected to the replica it was forwarded to; try again.',
      );
      return;
    }
    if ('execId' in check.target) deps.execStreams.upgrade(request, socket, head, check.target);
    else deps.terminals.upgrade(request, socket, head, check.target);
  };
}
