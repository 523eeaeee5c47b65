// The terminal relay: completes users' terminal upgrades (the route has already authenticated,
// rate-limited and checked the container), runs one TerminalConnection per socket, pings users to
// find dead clients, ends a container's terminals with CONTAINER_STOPPED when it is stopped or
// removed, ends terminals whose token stopped working (credential-watch.ts), and closes every
// terminal on stop(). Sessions and shells live in the agent.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  TERMINAL_SUBPROTOCOL,
  TERMINAL_WINDOW_BYTES,
  type AgentContainerStatus,
} from '@rexec/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import { closeClients } from '../hub/close-clients.js';
import type { CommandListener, Hub, StatusListener } from '../hub/hub.js';
import type { Log } from '../hub/log.js';
import { createCredentialWatch, type LiveTokens } from './credential-watch.js';
import { NO_ACTIVITY, type ActivitySink } from '../activity/activity-tracker.js';
import {
  MAX_TERMINAL_INPUT_FRAME_BYTES,
  TerminalConnection,
  type TerminalTarget,
} from './terminal-connection.js';

/** How often users' sockets are pinged; one missed pong ends the socket (the shell is kept). */
export const TERMINAL_PING_INTERVAL_MS = 30_000;

/** How long stop() lets clients answer the close handshake before cutting their sockets. */
const CLOSE_GRACE_MS = 1_000;

export interface TerminalRelayOptions {
  /** Output window offered to the agent per channel (PROTOCOL.md §9). */
  outputWindowBytes?: number;
  pingIntervalMs?: number;
  credentialCheckIntervalMs?: number;
}

export interface TerminalRelay {
  /** Completes the WebSocket handshake on `socket` and starts relaying to the container's shell. */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, target: TerminalTarget): void;
  /** Terminals currently relayed by this replica. */
  readonly size: number;
  /** False before start() and after stop(): upgrades should be refused with 503. */
  readonly accepting: boolean;
  start(): void;
  /** Closes every terminal with SERVER_SHUTTING_DOWN; shells stay with the agents to resume. */
  stop(): Promise<void>;
}

export interface TerminalRelayDependencies {
  hub: Pick<Hub, 'openTerminal' | 'onCommandSent' | 'onContainerStatus'>;
  log: Log;
  /** Which of the open terminals' tokens still work (tokens.ts's liveTokenIds on the database). */
  liveTokens: LiveTokens;
  options?: TerminalRelayOptions;
  /** Where keystrokes are reported as activity (the idle stop's); nowhere when absent. */
  activity?: ActivitySink;
}

/** Engine states in which a container has no shells any more. */
const GONE_STATES: ReadonlySet<AgentContainerStatus['container']['state']> = new Set([
  'exited',
  'dead',
  'missing',
]);

export function createTerminalRelay({
  hub,
  log,
  liveTokens,
  options = {},
  activity = NO_ACTIVITY,
}: TerminalRelayDependencies): TerminalRelay {
  const windowBytes = options.outputWindowBytes ?? TERMINAL_WINDOW_BYTES;
  const pingIntervalMs = options.pingIntervalMs ?? TERMINAL_PING_INTERVAL_MS;
  const byContainer = new Map<string, Set<TerminalConnection>>();
  let pinger: NodeJS.Timeout | undefined;
  let running = false;
  const wss = new WebSocketServer({
    noServer: true,
    // Twice the limit so an oversized frame reaches the connection and gets `invalid_frame`.
    maxPayload: MAX_TERMINAL_INPUT_FRAME_BYTES * 2,
    // Browsers offer the token as a second subprotocol; the answer is never the token.
    handleProtocols: (offered) =>
      offered.has(TERMINAL_SUBPROTOCOL) ? TERMINAL_SUBPROTOCOL : false,
  });

  const terminalsOf = (containerId: string) => byContainer.get(containerId) ?? new Set();
  function* everyTerminal(): Generator<TerminalConnection> {
    for (const set of byContainer.values()) yield* set;
  }
  const credentials = createCredentialWatch(
    liveTokens,
    everyTerminal,
    log,
    options.credentialCheckIntervalMs,
  );

  function ended(connection: TerminalConnection): void {
    const set = byContainer.get(connection.target.containerId);
    set?.delete(connection);
    if (set?.size === 0) byContainer.delete(connection.target.containerId);
  }

  function attach(ws: WebSocket, target: TerminalTarget): void {
    const connection = new TerminalConnection(ws, target, windowBytes, log, ended, activity);
    let set = byContainer.get(target.containerId);
    if (set === undefined) byContainer.set(target.containerId, (set = new Set()));
    set.add(connection);
    log.info(
      { container_id: target.containerId, user_id: target.userId, session: target.session },
      'terminal connected',
    );
    connection.start((hostId, endpoint) => hub.openTerminal(hostId, endpoint));
  }

  // A stop ends the shells, and the agent may report the PTY's exit before it names the stop.
  const watchStops: CommandListener = ({ containerId, command, result }) => {
    if (command.action !== 'stop' && command.action !== 'remove') return;
    const affected = [...terminalsOf(containerId)];
    if (affected.length === 0) return;
    for (const connection of affected) connection.containerStopping = true;
    result.then(
      (answer) => {
        for (const connection of affected) {
          if (answer.ok) connection.containerStopped();
          else connection.containerStopping = false;
        }
      },
      // Timed out or shutting down: the container's fate is unknown, so the terminals carry on.
      () => {
        for (const connection of affected) connection.containerStopping = false;
      },
    );
  };

  // Only the host that runs the container may say it is gone: another host's report (a rogue or
  // confused agent naming someone else's container id) must not end its terminals.
  const watchExits: StatusListener = (hostId, report) => {
    if (GONE_STATES.has(report.container.state)) {
      for (const connection of [...terminalsOf(report.container.container_id)]) {
        if (connection.target.hostId === hostId) connection.containerStopped();
      }
    }
    return Promise.resolve();
  };

  function ping(): void {
    for (const set of byContainer.values()) {
      for (const connection of set) {
        if (!connection.alive) {
          log.info({ container_id: connection.target.containerId }, 'terminal client went silent');
          connection.terminate();
          continue;
        }
        connection.alive = false;
        connection.ws.ping();
      }
    }
  }

  hub.onCommandSent(watchStops);
  hub.onContainerStatus(watchExits);

  return {
    upgrade(request, socket, head, target) {
      wss.handleUpgrade(request, socket, head, (ws) => attach(ws, target));
    },
    get accepting() {
      return running;
    },
    get size() {
      let total = 0;
      for (const set of byContainer.values()) total += set.size;
      return total;
    },
    start() {
      if (running) return;
      running = true;
      pinger = setInterval(ping, pingIntervalMs);
      credentials.start();
    },
    async stop() {
      running = false;
      clearInterval(pinger);
      credentials.stop();
      for (const set of [...byContainer.values()]) {
        for (const connection of [...set]) connection.shutdown();
      }
      await closeClients(wss, CLOSE_GRACE_MS);
    },
  };
}
