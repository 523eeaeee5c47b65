// The agent hub (PROTOCOL.md §3–§8): the WebSocket server for upgrades to AGENT_CONNECT_PATH
// (who may connect is agent-admission.ts's). Decodes every frame at the edge, runs the handshake,
// heartbeats and watchdog, keeps one session per host, carries commands and their results, and
// opens terminal, exec and file channels on a host's session for the relay, the exec runner and
// the file service. What commands to send and what status reports mean is the lifecycle's; what a
// channel carries, its holder's.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  AGENT_SUBPROTOCOL,
  CloseCode,
  FrameKind,
  HANDSHAKE_TIMEOUT_MS,
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_TIMEOUT_MS,
  HEARTBEAT_WATCHDOG_TICK_MS,
  MAX_AGENT_MESSAGE_BYTES,
  type ContainerCommand,
  type ControlMessage,
} from '@rexec/protocol';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { NO_ACTIVITY } from '../activity/activity-tracker.js';
import { closeClients } from './close-clients.js';
import type { AuthenticatedHost } from '../services/host-enrollment.js';
import { admitAgent } from './agent-admission.js';
import type { ChannelLink } from './channel-table.js';
import { AgentSession } from './agent-session.js';
import { HubStoppedError } from './channel.js';
import {
  markUnreachable,
  reassertServedHosts,
  sweepOrphanedHosts,
  sweepSilentHosts,
  touchHosts,
  type UnreachableReason,
} from './host-presence.js';
import { createHelloThrottle } from './hello-throttle.js';
import { handleAgentMessage, type MessageContext } from './messages.js';
import { PendingCommands } from './pending-commands.js';
import type { FileEndpoint, FileLink } from './file-channels.js';
import { refuseUpgrade } from './upgrade-refusal.js';

/**
 * Silence after which an `online` host served by no replica is swept to unreachable: the
 * heartbeat timeout plus how stale last_seen_at may be on a live session (messages.ts), with room.
 */
const SWEEP_SILENCE_MS = 20_000;
const SWEEP_EVERY_MS = 5_000;

/** How long stop() lets agents answer the close handshake before cutting their sockets. */
const CLOSE_GRACE_MS = 1_000;
/**
 * Said to an agent whose revocation or removal another replica did: that replica cannot reach this
 * socket, and this one learns of it on the host's next last_seen_at write (every 5 s of traffic).
 */
const REVOKED_ELSEWHERE =
  'An administrator revoked or removed this host. Join it again with a new join token.';

import type {
  CommandListener,
  EstablishedListener,
  Hub,
  HubDependencies,
  LateResultListener,
  SentCommand,
  StatusListener,
} from './hub-types.js';
export type {
  CommandListener,
  EstablishedHost,
  EstablishedListener,
  Hub,
  HubDependencies,
  HubOptions,
  LateResultListener,
  SentCommand,
  StatusListener,
} from './hub-types.js';

export function createHub({
  database,
  log,
  options = {},
  presence,
  ipLimits,
  clientAddress,
  activity = NO_ACTIVITY,
}: HubDependencies): Hub {
  const db = database.db;
  const timing = {
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? HEARTBEAT_TIMEOUT_MS,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
  };
  const tickMs = Math.min(options.watchdogTickMs ?? HEARTBEAT_WATCHDOG_TICK_MS, 500);
  const sessions = new Map<string, AgentSession>();
  const pending = new PendingCommands();
  const established: EstablishedListener[] = [];
  const statusListeners: StatusListener[] = [];
  const lateResultListeners: LateResultListener[] = [];
  const commandListeners: CommandListener[] = [];
  const wss = new WebSocketServer({
    noServer: true,
    // Twice the limit so an oversized message reaches us and gets MESSAGE_TOO_LARGE, not ws's 1009.
    maxPayload: MAX_AGENT_MESSAGE_BYTES * 2,
    handleProtocols: (offered) => (offered.has(AGENT_SUBPROTOCOL) ? AGENT_SUBPROTOCOL : false),
  });
  let watchdog: NodeJS.Timeout | undefined;
  let sweeper: NodeJS.Timeout | undefined;
  let running = false;
  /** Database writes still in flight, awaited by stop() so the database can close after it. */
  const inflight = new Set<Promise<unknown>>();

  function track(work: Promise<unknown>, what: string): void {
    const guarded = work.catch((error: unknown) => log.error({ err: error }, what));
    inflight.add(guarded);
    void guarded.finally(() => inflight.delete(guarded));
  }

  function lose(session: AgentSession, reason: UnreachableReason): void {
    session.terminals.endAll(running ? 'closed' : 'stopping');
    session.execs.endAll(running ? 'closed' : 'stopping');
    session.files.endAll(running ? 'closed' : 'stopping');
    session.inventoryQueries.failAll('the agent session ended');
    if (sessions.get(session.hostId) !== session) return;
    sessions.delete(session.hostId);
    log.info({ host_id: session.hostId, reason }, 'agent session ended');
    track(markUnreachable(db, session.hostId, reason), 'could not mark a host unreachable');
  }

  function disconnectRevoked(hostId: string, message: string): void {
    const session = sessions.get(hostId);
    if (session === undefined) return;
    log.warn({ host_id: hostId }, 'host credential revoked; closing its agent session');
    session.refuse('credential_revoked', message, CloseCode.CREDENTIAL_REVOKED);
    lose(session, 'credential_revoked');
  }

  // Hosts whose last_seen_at is due, written together on the next watchdog tick: with hundreds of
  // hosts, one UPDATE per heartbeat was a steady stream of round trips competing with placements.
  const seen = new Set<string>();
  function flushSeen(): void {
    if (seen.size === 0) return;
    const hostIds = [...seen];
    seen.clear();
    track(
      touchHosts(db, hostIds).then((gone) => {
        for (const hostId of gone) disconnectRevoked(hostId, REVOKED_ELSEWHERE);
      }),
      'cannot refresh last_seen_at',
    );
  }

  const helloThrottle = createHelloThrottle(options.helloBurst, options.helloRefillMs);
  const context: MessageContext = {
    db,
    activity,
    replicaId: presence?.replicaId ?? null,
    log,
    timing,
    pending,
    isCurrent: (session) => sessions.get(session.hostId) === session,
    establishedListeners: established,
    statusListeners,
    lateResultListeners,
    lose,
    track,
    noteSeen: (hostId) => seen.add(hostId),
    helloThrottle,
  };

  function adopt(ws: WebSocket, host: AuthenticatedHost): void {
    const session = new AgentSession(ws, host.hostId, host.hostName);
    const previous = sessions.get(host.hostId);
    sessions.set(host.hostId, session);
    if (previous !== undefined) {
      log.warn({ host_id: host.hostId }, 'a newer connection replaces the agent session');
      previous.terminals.endAll('replaced');
      previous.execs.endAll('replaced');
      previous.files.endAll('replaced');
      previous.refuse(
        'replaced',
        'A newer connection for this host replaced this one.',
        CloseCode.REPLACED,
      );
    }
    ws.on('message', (data: RawData, isBinary: boolean) => {
      handleAgentMessage(context, session, data, isBinary);
    });
    ws.on('close', () => {
      session.phase = 'ended';
      lose(session, session.saidGoodbye ? 'agent_shutdown' : 'connection_closed');
    });
    ws.on('error', (error) => log.warn({ err: error, host_id: host.hostId }, 'agent socket error'));
  }

  async function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (!running) {
      refuseUpgrade(socket, 503, 'unavailable', 'The control plane is shutting down.');
      return;
    }
    const host = await admitAgent(request, socket, { db, log, ipLimits, clientAddress });
    if (host === null) return;
    if (socket.destroyed) return;
    wss.handleUpgrade(request, socket, head, (ws) => adopt(ws, host));
  }

  /**
   * A channel of one kind on the host's established session, with the way to the agent for it:
   * messages and frames for a session that ended meanwhile are dropped (the endpoint was told).
   */
  function openLink<Control extends ControlMessage, Endpoint>(
    hostId: string,
    tableOf: (session: AgentSession) => {
      open(endpoint: Endpoint): number | undefined;
      release(channel: number): void;
    },
    endpoint: Endpoint,
    kind: FrameKind,
  ): ChannelLink<Control> | undefined {
    const session = sessions.get(hostId);
    if (session?.phase !== 'established') return undefined;
    const table = tableOf(session);
    const channel = table.open(endpoint);
    if (channel === undefined) return undefined;
    return {
      channel,
      hostId,
      send: (message) => {
        if (session.phase === 'established') session.send(message);
      },
      sendData: (payload) => {
        if (session.phase === 'established') session.sendData(channel, payload, kind);
      },
      release: () => table.release(channel),
    };
  }

  function openFile(hostId: string, endpoint: FileEndpoint): FileLink | 'unsupported' | undefined {
    const session = sessions.get(hostId);
    if (session?.phase === 'established' && !session.capabilities.has('files')) {
      return 'unsupported';
    }
    return openLink(hostId, (s) => s.files, endpoint, FrameKind.FILE_DATA);
  }

  function notifyCommandSent(sent: SentCommand): void {
    for (const listener of commandListeners) {
      try {
        listener(sent);
      } catch (error) {
        // A listener's bug must not fail the command the lifecycle is waiting for.
        log.error({ err: error, container_id: sent.containerId }, 'command listener failed');
      }
    }
  }

  function routeUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (error) => log.debug({ err: error }, 'agent upgrade socket error'));
    upgrade(request, socket, head).catch((error: unknown) => {
      log.error({ err: error }, 'agent upgrade failed');
      socket.destroy();
    });
  }

  function tick(): void {
    flushSeen();
    const now = Date.now();
    helloThrottle.prune(now);
    for (const session of sessions.values()) {
      if (
        session.phase === 'awaiting_hello' &&
        now - session.openedAt > timing.handshakeTimeoutMs
      ) {
        session.close(CloseCode.HANDSHAKE_TIMEOUT, 'no AGENT_HELLO in time');
        lose(session, 'connection_closed');
      } else if (
        session.phase === 'established' &&
        now - session.lastHeardAt > timing.heartbeatTimeoutMs
      ) {
        lose(session, 'heartbeat_timeout');
        session.close(CloseCode.HEARTBEAT_TIMEOUT, 'heartbeat timeout');
      }
    }
  }

  async function sweepHosts(): Promise<void> {
    if (presence !== undefined) {
      const wasHolding = presence.holding;
      await presence.claim();
      // Another replica may have swept our hosts while our lock was gone.
      if (!wasHolding) await reassertServedHosts(db, presence.replicaId, [...sessions.keys()]);
      await sweepOrphanedHosts(db, presence, [...sessions.keys()]);
    }
    await sweepSilentHosts(db, new Date(Date.now() - SWEEP_SILENCE_MS), [...sessions.keys()]);
  }

  return {
    handleUpgrade: routeUpgrade,
    sweepNow: sweepHosts,
    start() {
      if (running) return;
      running = true;
      watchdog = setInterval(tick, tickMs);
      const sweep = () => track(sweepHosts(), 'cannot sweep silent hosts');
      sweep();
      sweeper = setInterval(sweep, SWEEP_EVERY_MS);
    },
    async stop() {
      running = false;
      clearInterval(watchdog);
      clearInterval(sweeper);
      flushSeen();
      for (const session of [...sessions.values()]) {
        session.close(CloseCode.SERVER_SHUTTING_DOWN, 'control plane shutting down');
        lose(session, 'connection_closed');
      }
      pending.rejectAll(new HubStoppedError('the control plane is shutting down'));
      await closeClients(wss, CLOSE_GRACE_MS);
      await Promise.all([...inflight]);
    },
    onEstablished: (listener) => established.push(listener),
    onContainerStatus: (listener) => statusListeners.push(listener),
    onLateResult: (listener) => lateResultListeners.push(listener),
    connectedHostIds: () =>
      [...sessions.values()].filter((s) => s.phase === 'established').map((s) => s.hostId),
    queryInventory(hostId, timeoutMs) {
      const session = sessions.get(hostId);
      if (session?.phase !== 'established' || !session.capabilities.has('inventory')) {
        return undefined;
      }
      const { queryId, answer } = session.inventoryQueries.open(timeoutMs);
      const sentAt = Date.now();
      session.send({ type: 'CONTROL_INVENTORY_QUERY', query_id: queryId });
      return answer.then((inventory) => ({ inventory, sentAt }));
    },
    acknowledge(hostId, commandId) {
      const session = sessions.get(hostId);
      if (session?.phase === 'established' && session.capabilities.has('result_ack')) {
        session.send({ type: 'CONTROL_RESULT_ACK', command_id: commandId });
      }
    },
    onCommandSent: (listener) => commandListeners.push(listener),
    openTerminal: (hostId, endpoint) =>
      openLink(hostId, (session) => session.terminals, endpoint, FrameKind.TERMINAL_DATA),
    openExec: (hostId, endpoint) =>
      openLink(hostId, (session) => session.execs, endpoint, FrameKind.EXEC_STDIN),
    openFile,
    isConnected: (hostId) => sessions.get(hostId)?.phase === 'established',
    hasPendingCommand: (containerId, sinceMs) => pending.hasContainer(containerId, sinceMs),
    sendCommand(hostId: string, containerId: string, command: ContainerCommand, timeoutMs: number) {
      if (!running) return Promise.reject(new HubStoppedError());
      const { entry, result } = pending.add(hostId, containerId, command, timeoutMs);
      const session = sessions.get(hostId);
      if (session?.phase === 'established') {
        session.send(entry.message);
        entry.sent = true;
      }
      notifyCommandSent({ hostId, containerId, command, result });
      return result;
    },
    disconnectRevoked,
  };
}
