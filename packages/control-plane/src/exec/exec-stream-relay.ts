// The exec stream relay: completes users' exec stream upgrades (the route has already
// authenticated, rate-limited and checked the container), runs one ExecStreamConnection per
// socket, pings users to find dead clients (a dead one is detached, its command carries on), and
// closes every stream on stop(). Background execs themselves live in the agent.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { EXEC_STREAM_SUBPROTOCOL, TERMINAL_WINDOW_BYTES } from '@rexec/protocol';
import { WebSocketServer } from 'ws';
import { closeClients } from '../hub/close-clients.js';
import type { Hub } from '../hub/hub.js';
import type { Log } from '../hub/log.js';
import { TERMINAL_PING_INTERVAL_MS } from '../terminal/relay.js';
import { NO_ACTIVITY, type ActivitySink } from '../activity/activity-tracker.js';
import {
  ExecStreamConnection,
  MAX_EXEC_INPUT_FRAME_BYTES,
  type ExecStreamTarget,
} from './exec-stream-connection.js';

const CLOSE_GRACE_MS = 1_000;

export interface ExecStreamRelay {
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, target: ExecStreamTarget): void;
  readonly accepting: boolean;
  readonly size: number;
  start(): void;
  stop(): Promise<void>;
}

export function createExecStreamRelay(deps: {
  hub: Pick<Hub, 'openExec'>;
  log: Log;
  options?: { outputWindowBytes?: number; pingIntervalMs?: number };
  /** Where attached streams are reported as activity (the idle stop's); nowhere when absent. */
  activity?: ActivitySink;
}): ExecStreamRelay {
  const { hub, log, options = {} } = deps;
  const activity = deps.activity ?? NO_ACTIVITY;
  const windowBytes = options.outputWindowBytes ?? TERMINAL_WINDOW_BYTES;
  const open = new Set<ExecStreamConnection>();
  let pinger: NodeJS.Timeout | undefined;
  let running = false;
  const wss = new WebSocketServer({
    noServer: true,
    // Twice the limit so an oversized frame reaches the connection and gets `invalid_frame`.
    maxPayload: MAX_EXEC_INPUT_FRAME_BYTES * 2,
    handleProtocols: (offered) =>
      offered.has(EXEC_STREAM_SUBPROTOCOL) ? EXEC_STREAM_SUBPROTOCOL : false,
  });

  function ping(): void {
    for (const connection of open) {
      if (!connection.alive) {
        connection.terminate();
        continue;
      }
      connection.alive = false;
      connection.ws.ping();
    }
  }

  return {
    upgrade(request, socket, head, target) {
      wss.handleUpgrade(request, socket, head, (ws) => {
        // Someone watching a command run is using the container until the stream ends.
        const release = activity.hold(target.containerId);
        const connection = new ExecStreamConnection(ws, target, windowBytes, log, (ended) => {
          release();
          open.delete(ended);
        });
        open.add(connection);
        connection.start(hub);
      });
    },
    get accepting() {
      return running;
    },
    get size() {
      return open.size;
    },
    start() {
      if (running) return;
      running = true;
      pinger = setInterval(ping, options.pingIntervalMs ?? TERMINAL_PING_INTERVAL_MS);
    },
    async stop() {
      running = false;
      clearInterval(pinger);
      for (const connection of [...open]) connection.shutdown();
      await closeClients(wss, CLOSE_GRACE_MS);
    },
  };
}
