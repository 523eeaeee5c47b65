// Handling of each frame from an agent: size check and decode at the edge (a bad frame closes that
// socket only), the handshake (version check, host row, WELCOME, re-sending commands still wanted),
// heartbeat ACKs and the container usage and storage space they carry, command results (awaited or
// late), inventories answering a query, status reports, GOODBYE, and
// terminal and exec messages and binary frames handed to the session's channels (the terminal
// relay and the exec runner read them). The hub owns the session map.
import {
  CloseCode,
  CONTROL_CAPABILITIES,
  decodeAgentMessage,
  decodeChannelFrame,
  FrameKind,
  MAX_AGENT_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  type AgentHeartbeat,
  type AgentHello,
  type AgentMessage,
} from '@rexec/protocol';
import type { RawData } from 'ws';
import type { ActivitySink } from '../activity/activity-tracker.js';
import type { Db } from '../db/open.js';
import type { AgentSession } from './agent-session.js';
import { measuredDisk, recordContainerUsage } from './container-usage.js';
import { recordContainerStats, sampledStats } from './container-stats.js';
import { markOnline, type UnreachableReason } from './host-presence.js';
import { recordHostStorage, storageRecordDue } from './host-storage.js';
import type { EstablishedListener, LateResultListener, StatusListener } from './hub-types.js';
import type { Log } from './log.js';
import type { PendingCommands } from './pending-commands.js';
import type { HelloThrottle } from './hello-throttle.js';
import { checkInventorySize } from './inventory-check.js';
import { rawBytes } from './raw-bytes.js';

/** last_seen_at is refreshed at most this often per host, so heartbeats do not flood Postgres. */
const TOUCH_EVERY_MS = 5_000;

export interface MessageContext {
  db: Db;
  /** Told each container's CPU use from heartbeats (activity for the idle stop). */
  activity: ActivitySink;
  /** This process's replica id, recorded on the host at HELLO; null when presence is not kept. */
  replicaId: string | null;
  log: Log;
  timing: { heartbeatIntervalMs: number; heartbeatTimeoutMs: number };
  pending: PendingCommands;
  isCurrent(session: AgentSession): boolean;
  establishedListeners: readonly EstablishedListener[];
  statusListeners: readonly StatusListener[];
  lateResultListeners: readonly LateResultListener[];
  lose(session: AgentSession, reason: UnreachableReason): void;
  /** Queues a last_seen_at refresh; the hub writes the queued hosts in one statement per tick. */
  noteSeen(hostId: string): void;
  helloThrottle: HelloThrottle;
  track(work: Promise<unknown>, what: string): void;
}

export function handleAgentMessage(
  context: MessageContext,
  session: AgentSession,
  data: RawData,
  isBinary: boolean,
): void {
  if (session.phase === 'ended') return;
  session.lastHeardAt = Date.now();
  const raw = rawBytes(data);
  if (isBinary) {
    terminalData(context, session, raw);
    return;
  }
  if (raw.byteLength > MAX_AGENT_MESSAGE_BYTES) {
    context.log.warn({ host_id: session.hostId, bytes: raw.byteLength }, 'agent message too large');
    session.refuse(
      'message_too_large',
      `Messages are limited to ${MAX_AGENT_MESSAGE_BYTES} bytes.`,
      CloseCode.MESSAGE_TOO_LARGE,
    );
    return;
  }
  const decoded = decodeAgentMessage(raw);
  if (!decoded.ok) {
    violation(context, session, `undecodable message: ${decoded.error.message}`);
    return;
  }
  dispatch(context, session, decoded.value);
}

/** Output for a channel; data for one that has ended is dropped (it can cross the end). */
function terminalData(context: MessageContext, session: AgentSession, raw: Buffer): void {
  if (session.phase !== 'established') {
    violation(context, session, 'binary frame before WELCOME');
    return;
  }
  const frame = decodeChannelFrame(raw);
  if (!frame.ok) {
    violation(context, session, `undecodable binary frame: ${frame.error.message}`);
    return;
  }
  const { kind, channel, payload } = frame.value;
  switch (kind) {
    case FrameKind.TERMINAL_DATA:
      session.terminals.deliverData(channel, payload);
      return;
    case FrameKind.EXEC_STDOUT:
      session.execs.deliverData(channel, 'stdout', payload);
      return;
    case FrameKind.EXEC_STDERR:
      session.execs.deliverData(channel, 'stderr', payload);
      return;
    case FrameKind.FILE_DATA:
      session.files.deliverData(channel, payload);
      return;
    case FrameKind.EXEC_STDIN:
      violation(context, session, 'an agent sent an exec stdin frame');
      return;
  }
}

function violation(context: MessageContext, session: AgentSession, why: string): void {
  context.log.warn({ host_id: session.hostId, why }, 'agent protocol violation');
  session.refuse('protocol_violation', why, CloseCode.PROTOCOL_VIOLATION);
}

function dispatch(context: MessageContext, session: AgentSession, message: AgentMessage): void {
  if (message.type === 'AGENT_HELLO') {
    if (session.phase !== 'awaiting_hello') violation(context, session, 'a second AGENT_HELLO');
    else context.track(handshake(context, session, message), 'agent handshake failed');
    return;
  }
  if (session.phase !== 'established') {
    violation(context, session, `${message.type} before CONTROL_WELCOME`);
    return;
  }
  switch (message.type) {
    case 'AGENT_HEARTBEAT':
      session.send({
        type: 'CONTROL_HEARTBEAT_ACK',
        seq: message.seq,
        server_time: new Date().toISOString(),
      });
      touch(context, session);
      usage(context, session, message.containers);
      storage(context, session, message.storage);
      return;
    case 'AGENT_COMMAND_RESULT':
      if (!context.pending.settle(session.hostId, message)) {
        // Timed out here, or re-sent after a reconnect (a restarted control plane forgot it).
        context.log.info(
          { host_id: session.hostId, command_id: message.command_id },
          'result for a command no longer awaited',
        );
        for (const listener of context.lateResultListeners) {
          context.track(listener(session.hostId, message), 'late command result failed');
        }
      }
      return;
    case 'AGENT_INVENTORY':
      if (!session.inventoryQueries.settle(message.query_id, message.inventory)) {
        context.log.info(
          { host_id: session.hostId, query_id: message.query_id },
          'inventory for a query no longer awaited',
        );
      }
      return;
    case 'AGENT_CONTAINER_STATUS':
      for (const listener of context.statusListeners) {
        context.track(listener(session.hostId, message), 'container status report failed');
      }
      return;
    case 'AGENT_GOODBYE':
      context.log.info({ host_id: session.hostId, reason: message.reason }, 'agent said goodbye');
      session.saidGoodbye = true;
      context.lose(session, 'agent_shutdown');
      return;
    case 'AGENT_TERMINAL_OPENED':
    case 'AGENT_TERMINAL_EXIT':
    case 'AGENT_TERMINAL_ERROR':
    case 'AGENT_TERMINAL_CREDIT':
      session.terminals.deliver(message);
      return;
    case 'AGENT_EXEC_STARTED':
    case 'AGENT_EXEC_EXIT':
    case 'AGENT_EXEC_ERROR':
    case 'AGENT_EXEC_CREDIT':
    case 'AGENT_EXEC_ATTACHED':
    case 'AGENT_EXEC_STATUS':
      session.execs.deliver(message);
      return;
    case 'AGENT_FILE_READY':
    case 'AGENT_FILE_CREDIT':
    case 'AGENT_FILE_DONE':
    case 'AGENT_FILE_ERROR':
      session.files.deliver(message);
      return;
  }
}

async function handshake(
  context: MessageContext,
  session: AgentSession,
  hello: AgentHello,
): Promise<void> {
  session.phase = 'handshaking';
  session.capabilities = new Set(hello.capabilities ?? []);
  if (!SUPPORTED_PROTOCOL_VERSIONS.includes(hello.protocol_version)) {
    session.refuse(
      'unsupported_protocol_version',
      `Protocol version ${hello.protocol_version} is not supported by this control plane.`,
      CloseCode.UNSUPPORTED_PROTOCOL_VERSION,
      { supported_protocol_versions: [...SUPPORTED_PROTOCOL_VERSIONS] },
    );
    return;
  }
  const waitMs = context.helloThrottle.take(session.hostId);
  if (waitMs > 0) {
    context.log.warn({ host_id: session.hostId, wait_ms: waitMs }, 'agent HELLOs throttled');
    session.refuse(
      'hello_throttled',
      `Too many HELLOs from this host; reconnect in ${Math.ceil(waitMs / 1000)} s or later.`,
      CloseCode.HELLO_THROTTLED,
      { retry_after_ms: waitMs },
    );
    return;
  }
  try {
    const inventory = await checkInventorySize(context.db, session.hostId, hello.inventory.length);
    if (!inventory.ok) {
      context.log.warn(
        { host_id: session.hostId, ...inventory },
        'agent HELLO refused: its inventory lists far more containers than were placed on it',
      );
      session.refuse(
        'inventory_refused',
        `The inventory lists ${inventory.listed} containers; this host may list at most ` +
          `${inventory.allowed} (the ${inventory.placed} placed on it, and a few unknown).`,
        CloseCode.INVENTORY_REFUSED,
      );
      return;
    }
    const claim = await markOnline(context.db, session.hostId, hello, context.replicaId);
    if (claim.capped.length > 0) {
      context.log.warn(
        {
          host_id: session.hostId,
          resources: claim.capped,
          claimed: hello.capacity,
          measured: hello.measured_capacity,
        },
        'host claimed more capacity than it measured; capped to the measurement',
      );
    }
  } catch (error) {
    context.log.error({ err: error, host_id: session.hostId }, 'cannot record an agent HELLO');
    session.refuse(
      'internal_error',
      'The control plane cannot record this host now.',
      CloseCode.INTERNAL_ERROR,
    );
    return;
  }
  // Replaced or closed while the row was written: the newer session does its own handshake.
  if (!context.isCurrent(session) || session.phase !== 'handshaking') return;
  session.send({
    type: 'CONTROL_WELCOME',
    protocol_version: PROTOCOL_VERSION,
    host_id: session.hostId,
    host_name: hello.host_name,
    connection_id: session.connectionId,
    heartbeat_interval_ms: context.timing.heartbeatIntervalMs,
    heartbeat_timeout_ms: context.timing.heartbeatTimeoutMs,
    server_time: new Date().toISOString(),
    capabilities: [...CONTROL_CAPABILITIES],
  });
  session.phase = 'established';
  session.lastHeardAt = Date.now();
  context.log.info(
    {
      host_id: session.hostId,
      connection_id: session.connectionId,
      instance_id: hello.instance_id,
    },
    'agent session established',
  );
  // Commands still wanted go out again with their original ids; the agent answers replays once.
  const inFlight = new Set<string>();
  for (const command of context.pending.forHost(session.hostId)) {
    session.send(command.message);
    command.sent = true;
    inFlight.add(command.message.container_id);
  }
  const host = { hostId: session.hostId, hostName: hello.host_name, hello, inFlight };
  for (const listener of context.establishedListeners) {
    context.track(listener(host), 'reconciliation after HELLO failed');
  }
}

/**
 * Most heartbeats carry no measurement (disk and stats are measured less often): no query then.
 * CPU use goes to the activity tracker, which writes it coalesced with other activity.
 */
function usage(
  context: MessageContext,
  session: AgentSession,
  containers: AgentHeartbeat['containers'],
): void {
  for (const entry of containers ?? []) {
    if (entry.cpu_millicores !== undefined) {
      context.activity.cpu(session.hostId, entry.container_id, entry.cpu_millicores);
    }
  }
  const measured = measuredDisk(containers);
  if (measured.size > 0) {
    context.track(
      recordContainerUsage(context.db, session.hostId, measured),
      'cannot record container usage',
    );
  }
  const samples = sampledStats(containers);
  if (samples.length > 0) {
    context.track(
      recordContainerStats(context.db, session.hostId, samples),
      'cannot record container stats',
    );
  }
}

function storage(
  context: MessageContext,
  session: AgentSession,
  reported: AgentHeartbeat['storage'],
): void {
  const now = Date.now();
  if (reported === undefined || !storageRecordDue(session.storageRecorded, reported, now)) return;
  if (session.storageRecorded?.low !== reported.low && reported.low) {
    context.log.warn(
      { host_id: session.hostId, free_mb: reported.free_mb },
      'host storage is low; no new containers are placed there',
    );
  }
  session.storageRecorded = { low: reported.low, at: now };
  context.track(
    recordHostStorage(context.db, session.hostId, reported),
    'cannot record host storage',
  );
}

function touch(context: MessageContext, session: AgentSession): void {
  const now = Date.now();
  if (now - session.lastTouchedAt < TOUCH_EVERY_MS) return;
  session.lastTouchedAt = now;
  context.noteSeen(session.hostId);
}
