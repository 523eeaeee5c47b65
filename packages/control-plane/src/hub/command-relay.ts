// Container commands through any replica. A command for a host whose agent socket this process
// holds, or that is connected nowhere, goes to this process's hub as before. One for a host online
// under another replica becomes a relayed_commands row: the holding replica claims it (FOR UPDATE
// SKIP LOCKED, so exactly one claims it), sends it through its own hub (whose replay cache and
// command ids are the agent's usual ones), and writes the agent's result back; this process reads
// the result and records the outcome as for a host of its own, then marks the row acknowledged so
// the holder passes CONTROL_RESULT_ACK on and deletes it. The wait ends at once, as for a host
// gone, when the holder dies after claiming (its presence lock goes) or when an unclaimed row's
// host is online under no live replica any more (the row is cancelled first, so nobody sends it
// later). A new row is announced with NOTIFY on RELAY_CHANNEL, which every replica LISTENs to; a
// one-second sweep finds what a lost notification left. The asker looks for its results every
// RESULT_POLL_MS while it waits for any. With the embedded database there is one process, and
// this is the hub itself.
import { randomBytes } from 'node:crypto';
import type { AgentCommandResult, ContainerCommand } from '@rexec/protocol';
import { and, eq, gt, inArray, isNotNull, isNull, lt, ne, or, sql } from 'drizzle-orm';
import { createCoalescedRun } from '../coalesced-run.js';
import { listenTo, type Listening } from '../db/listen.js';
import type { Database } from '../db/open.js';
import { hosts } from '../db/schema/hosts.js';
import { relayedCommands } from '../db/schema/relayed-commands.js';
import { createPeriodicPass } from '../periodic-pass.js';
import { CommandTimeoutError, HubStoppedError, type CommandChannel } from './channel.js';
import { replicaLockGone } from './replica-presence.js';
import type { Log } from './log.js';

/** Where a new relayed command is announced (the payload is its host id). */
export const RELAY_CHANNEL = 'rexec_relayed_commands';
/** How often, without a notification, the holder looks for commands and hosts are read again. */
const SWEEP_MS = 1_000;
/** How often the asker looks for the results it waits for. */
const RESULT_POLL_MS = 50;
/** Rows nobody acknowledged (an asker that died) are deleted after this. */
const ROW_RETENTION_MS = 3_600_000;
/** Results kept for acknowledgement at most; past it the oldest is forgotten (its row expires). */
const MAX_UNACKNOWLEDGED = 10_000;
/** The asker waits this much past the command's timeout for the holder's own verdict. */
const VERDICT_GRACE_MS = 2_000;

export interface CommandRelay extends CommandChannel {
  start(): void;
  /**
   * Stops the ticks, fails every relayed command still waiting (HubStoppedError), and resolves once
   * the passes in progress have ended and the LISTEN connection is back in the pool.
   */
  stop(): Promise<void>;
}

interface Waiter {
  containerId: string;
  timeoutMs: number;
  resolve(result: AgentCommandResult): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export function createCommandRelay(deps: {
  database: Database;
  /** This process's hub, with the hosts whose sockets it holds. */
  hub: CommandChannel & { connectedHostIds(): string[] };
  replicaId: string;
  /** False on the embedded database: one process, nothing to relay. */
  enabled: boolean;
  log: Log;
}): CommandRelay {
  const { database, hub, replicaId, log } = deps;
  const db = database.db;
  const waiters = new Map<string, Waiter>();
  /** Results this process took from relayed rows, by the agent's command id, until acknowledged. */
  const delivered = new Map<string, string>();
  /** Hosts online under another replica, as last read. */
  let remote = new Set<string>();
  let listening: Listening | null = null;
  let stopped = false;
  let lastCleanup = Date.now();

  /** Whether a host is online under another replica: as last read, or read now when not known. */
  async function elsewhere(hostId: string): Promise<boolean> {
    if (!deps.enabled || hub.isConnected(hostId)) return false;
    if (remote.has(hostId)) return true;
    const [row] = await db
      .select({ id: hosts.id })
      .from(hosts)
      .where(
        and(
          eq(hosts.id, hostId),
          eq(hosts.status, 'online'),
          isNotNull(hosts.connectedReplica),
          ne(hosts.connectedReplica, replicaId),
        ),
      );
    return row !== undefined;
  }

  async function refreshRemote(): Promise<void> {
    const rows = await db
      .select({ id: hosts.id })
      .from(hosts)
      .where(
        and(
          eq(hosts.status, 'online'),
          isNotNull(hosts.connectedReplica),
          ne(hosts.connectedReplica, replicaId),
        ),
      );
    remote = new Set(rows.map((row) => row.id));
  }

  /** Sends what waits for this process's hosts, each once across the fleet. */
  async function claim(): Promise<void> {
    const local = hub.connectedHostIds();
    if (local.length === 0) return;
    const open = db
      .select({ id: relayedCommands.id })
      .from(relayedCommands)
      .where(
        and(
          inArray(relayedCommands.hostId, local),
          isNull(relayedCommands.claimedBy),
          gt(relayedCommands.deadline, sql`now()`),
        ),
      )
      .orderBy(relayedCommands.createdAt)
      .for('update', { skipLocked: true });
    const claimed = await db
      .update(relayedCommands)
      .set({ claimedBy: replicaId })
      .where(inArray(relayedCommands.id, open))
      .returning();
    for (const row of claimed) void deliver(row);
  }

  /** claim(), one at a time: the notifications during one claim are answered by one after it. */
  const claims = createCoalescedRun(claim, (error) =>
    log.warn({ err: error }, 'cannot claim relayed commands'),
  );

  async function deliver(row: typeof relayedCommands.$inferSelect): Promise<void> {
    const remaining = Math.max(row.deadline.getTime() - Date.now(), 1_000);
    let verdict: { result: AgentCommandResult } | { failure: string };
    try {
      verdict = {
        result: await hub.sendCommand(row.hostId, row.containerId, row.command, remaining),
      };
    } catch (error) {
      verdict = { failure: error instanceof CommandTimeoutError ? 'timeout' : 'unavailable' };
      if (!(error instanceof CommandTimeoutError || error instanceof HubStoppedError)) {
        log.error({ err: error, relay_id: row.id }, 'a relayed command could not be sent');
      }
    }
    try {
      await db.update(relayedCommands).set(verdict).where(eq(relayedCommands.id, row.id));
    } catch (error) {
      // The asker times out instead; an agent's result is re-sent after its next reconnect.
      log.error({ err: error, relay_id: row.id }, 'cannot record a relayed command result');
    }
  }

  /** Takes an unclaimed row out of reach of every holder; false when one claimed it first. */
  async function cancel(id: string): Promise<boolean> {
    const cancelled = await db
      .update(relayedCommands)
      .set({ claimedBy: 'cancelled' })
      .where(and(eq(relayedCommands.id, id), isNull(relayedCommands.claimedBy)))
      .returning({ id: relayedCommands.id });
    return cancelled.length > 0;
  }

  /** Hands results to the commands this process waits for. */
  async function collect(): Promise<void> {
    if (stopped || waiters.size === 0) return;
    try {
      // A holder that died after claiming never answers: its lock is gone, so stop waiting.
      const holderGone = and(
        isNotNull(relayedCommands.claimedBy),
        replicaLockGone(relayedCommands.claimedBy),
      );
      // Nor is an unclaimed one sent once its host is online under no live replica: the host is
      // away, as for a host of this process that is not connected.
      const hostAway = and(
        isNull(relayedCommands.claimedBy),
        sql`not exists (select 1 from ${hosts} where ${hosts.id} = ${relayedCommands.hostId}
          and ${hosts.status} = 'online' and ${hosts.connectedReplica} is not null
          and not ${replicaLockGone(hosts.connectedReplica)})`,
      );
      const rows = await db
        .select({
          id: relayedCommands.id,
          claimedBy: relayedCommands.claimedBy,
          result: relayedCommands.result,
          failure: relayedCommands.failure,
        })
        .from(relayedCommands)
        .where(
          and(
            inArray(relayedCommands.id, [...waiters.keys()]),
            or(
              isNotNull(relayedCommands.result),
              isNotNull(relayedCommands.failure),
              holderGone,
              hostAway,
            ),
          ),
        );
      for (const row of rows) {
        const waiter = waiters.get(row.id);
        if (waiter === undefined) continue;
        if (row.claimedBy === null && !(await cancel(row.id))) continue;
        waiters.delete(row.id);
        clearTimeout(waiter.timer);
        if (row.result !== null) {
          delivered.set(row.result.command_id, row.id);
          if (delivered.size > MAX_UNACKNOWLEDGED) {
            const oldest = delivered.keys().next();
            if (oldest.done !== true) delivered.delete(oldest.value);
          }
          waiter.resolve(row.result);
        } else if (row.failure === 'timeout') {
          waiter.reject(new CommandTimeoutError(row.id, waiter.timeoutMs));
        } else if (row.failure === null && row.claimedBy !== null) {
          waiter.reject(new HubStoppedError(`the replica holding relayed command ${row.id} died`));
        } else {
          waiter.reject(new HubStoppedError(`the host of relayed command ${row.id} went away`));
        }
      }
    } catch (error) {
      log.warn({ err: error }, 'cannot read relayed command results; trying again');
    }
  }

  /** Passes on the askers' acknowledgements for what this process delivered, and tidies up. */
  async function acknowledgeDelivered(): Promise<void> {
    const done = await db
      .delete(relayedCommands)
      .where(and(eq(relayedCommands.claimedBy, replicaId), eq(relayedCommands.acknowledged, true)))
      .returning({ hostId: relayedCommands.hostId, result: relayedCommands.result });
    for (const row of done) {
      if (row.result !== null) hub.acknowledge(row.hostId, row.result.command_id);
    }
    if (Date.now() - lastCleanup > ROW_RETENTION_MS / 60) {
      lastCleanup = Date.now();
      await db
        .delete(relayedCommands)
        .where(lt(relayedCommands.createdAt, new Date(Date.now() - ROW_RETENTION_MS)));
    }
  }

  /**
   * The slow sweep: hosts elsewhere, what a lost notification left, acknowledgements, and the
   * LISTEN when it is down. Only ever one at a time (see `sweeps`): two setting up a LISTEN at
   * once would each take a connection, and the one not kept would stay checked out for good.
   */
  async function sweep(): Promise<void> {
    try {
      await refreshRemote();
      claims.request();
      await acknowledgeDelivered();
    } catch (error) {
      log.warn({ err: error }, 'the command relay could not reach the database; trying again');
    }
    if (stopped || database.pool === undefined) return;
    if (listening === null || !listening.alive) {
      const started = await listenTo(database.pool, RELAY_CHANNEL, log, (hostId) => {
        if (hub.isConnected(hostId)) claims.request();
      });
      // stop() may have run while the LISTEN was being set up.
      if (stopped) await started?.stop();
      else listening = started;
    }
  }

  async function relay(
    hostId: string,
    containerId: string,
    command: ContainerCommand,
    timeoutMs: number,
  ): Promise<AgentCommandResult> {
    const id = `rly_${randomBytes(12).toString('hex')}`;
    const insert = db
      .insert(relayedCommands)
      .values({
        id,
        hostId,
        containerId,
        command,
        requestedBy: replicaId,
        deadline: new Date(Date.now() + timeoutMs),
      })
      .returning({ id: relayedCommands.id });
    // One statement: a row written is always announced and waited for. Written and then failing
    // to announce, the caller would hear of a failure while a holder's sweep still sent it.
    // Failing as a whole (the database away), it leaves nothing, and the caller gets the driver's
    // error (in drizzle's wrapper), which the API answers as 503 unavailable.
    await db.execute(
      sql`with inserted as (${insert.getSQL()}) select pg_notify(${RELAY_CHANNEL}, ${hostId}) from inserted`,
    );
    return new Promise<AgentCommandResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(id);
        // Not claimed yet: nobody ever sends it. Claimed: its holder records a late result.
        // The caller hears of the timeout once that is settled either way.
        void cancel(id)
          .catch((error: unknown) =>
            log.warn({ err: error, relay_id: id }, 'cannot cancel a relayed command'),
          )
          .finally(() => reject(new CommandTimeoutError(id, timeoutMs)));
      }, timeoutMs + VERDICT_GRACE_MS);
      waiters.set(id, { containerId, timeoutMs, resolve, reject, timer });
    });
  }

  // Each catches and logs its own failures; onError is for what escapes them, a bug.
  const onError = (error: unknown) => log.error({ err: error }, 'a command relay pass failed');
  const sweeps = createPeriodicPass(sweep, { intervalMs: SWEEP_MS, atStart: true, onError });
  const collects = createPeriodicPass(collect, { intervalMs: RESULT_POLL_MS, onError });

  return {
    isConnected: (hostId) => hub.isConnected(hostId) || (deps.enabled && remote.has(hostId)),
    hasPendingCommand: (containerId, sinceMs) =>
      hub.hasPendingCommand(containerId, sinceMs) ||
      [...waiters.values()].some((waiter) => waiter.containerId === containerId),
    sendCommand: async (hostId, containerId, command, timeoutMs) =>
      (await elsewhere(hostId))
        ? relay(hostId, containerId, command, timeoutMs)
        : hub.sendCommand(hostId, containerId, command, timeoutMs),
    acknowledge(hostId, commandId) {
      const relayId = delivered.get(commandId);
      if (relayId === undefined) {
        hub.acknowledge(hostId, commandId);
        return;
      }
      delivered.delete(commandId);
      void db
        .update(relayedCommands)
        .set({ acknowledged: true })
        .where(eq(relayedCommands.id, relayId))
        .catch((error: unknown) => log.warn({ err: error }, 'cannot acknowledge a relayed result'));
    },
    disconnectRevoked: (hostId, message) => hub.disconnectRevoked(hostId, message),
    start() {
      if (!deps.enabled) return;
      sweeps.start();
      collects.start();
    },
    async stop() {
      stopped = true;
      for (const [id, waiter] of waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new HubStoppedError(`stopped while waiting for relayed command ${id}`));
      }
      waiters.clear();
      // The sweep in progress first: a LISTEN it is setting up sees `stopped` and gives its
      // connection back itself, and a claim it requested is then waited for by claims.stop().
      await Promise.all([sweeps.stop(), collects.stop()]);
      await claims.stop();
      await listening?.stop();
      listening = null;
    },
  };
}
