// The command relay on a real Postgres, with stand-in hubs: a command for a host online under
// another replica is delivered once however many replicas hold the host (SKIP LOCKED claims), its
// result comes back to the asker and its acknowledgement to the holder's hub; a command a live
// replica never claims in time is a CommandTimeoutError; one whose host is online under a replica
// that is gone ends at once as a host gone; either is cancelled, so a holder arriving later never
// sends it; a host connected nowhere stays with the local hub (queued until it connects here).
// With the database down as the command is written, the asker is told at once, with an error the
// API answers as 503 unavailable, and nothing is left for a holder to send later; down just after
// it is written, the command is still carried out and answered once the database is back.
// A replica is live while it holds its presence lock: the test takes those locks itself.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import t, { type Test } from 'tap';
import type { AgentCommandResult, ContainerCommand } from '@rexec/protocol';
import {
  CommandTimeoutError,
  HubStoppedError,
} from '../../../packages/control-plane/src/hub/channel.js';
import { REPLICA_LOCK_PREFIX } from '../../../packages/control-plane/src/hub/replica-presence.js';
import { createCommandRelay } from '../../../packages/control-plane/src/hub/command-relay.js';
import { isDatabaseUnavailable } from '../../../packages/control-plane/src/http/database-errors.js';
import { capturedLog } from '../../helpers/captured-log.js';
import { bringBack, databaseName, takeDown } from '../../helpers/database-outage.js';
import { migrateDatabase } from '../../../packages/control-plane/src/db/migrate.js';
import { seedTiers } from '../../../packages/control-plane/src/services/tiers.js';
import { freshDatabase } from '../../helpers/postgres.js';
import { openFor } from '../db/migrated-database.js';
import { seedHost } from '../services/fixtures.js';

const STOP: ContainerCommand = { action: 'stop', timeout_seconds: 1 };

/** A hub holding `hosts`: records what it was asked to send and acknowledge. */
function standInHub(hosts: string[], name: string) {
  const sent: string[] = [];
  const acknowledged: string[] = [];
  let held = hosts;
  return {
    sent,
    acknowledged,
    hold: (next: string[]) => (held = next),
    hub: {
      isConnected: (hostId: string) => held.includes(hostId),
      connectedHostIds: () => held,
      hasPendingCommand: () => false,
      sendCommand: (_host: string, containerId: string): Promise<AgentCommandResult> => {
        sent.push(containerId);
        return Promise.resolve({
          type: 'AGENT_COMMAND_RESULT',
          command_id: `cmd_${name}_${sent.length}`,
          container_id: containerId,
          ok: true,
          status: 'stopped',
        } as unknown as AgentCommandResult);
      },
      acknowledge: (_host: string, commandId: string) => acknowledged.push(commandId),
      disconnectRevoked: () => undefined,
    },
  };
}

/** A fresh migrated Postgres database of the test's own. */
async function relayDatabase(t: Test) {
  const target = await freshDatabase(t, 'pg');
  if (target.driver !== 'pg') throw new Error('unreachable: asked for pg');
  const database = await openFor(t, target);
  await migrateDatabase(database);
  await seedTiers(database.db);
  const pool = database.pool;
  if (pool === undefined) throw new Error('the pg driver has a pool');
  return { database, pool, url: target.url };
}

/** Holds `replicaId`'s presence lock on a connection of its own, as that replica would. */
async function holdLock(url: string, replicaId: string) {
  const connection = new pg.Client({ connectionString: url });
  await connection.connect();
  const pid = await connection.query<{ pid: number }>('select pg_backend_pid() as pid');
  await connection.query('select pg_advisory_lock(hashtextextended($1, 0))', [
    REPLICA_LOCK_PREFIX + replicaId,
  ]);
  return { pid: pid.rows[0]?.pid ?? 0, release: () => connection.end() };
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let tries = 0; !(await check()); tries++) {
    if (tries > 200) throw new Error(`never: ${what}`);
    await sleep(50);
  }
}

void t.test('relayed commands on Postgres', async (t) => {
  const { database, pool, url } = await relayDatabase(t);
  const { log, lines } = capturedLog();
  // Stopped before the test ends: the database's own teardown waits for the LISTEN connections.
  const relays: ReturnType<typeof createCommandRelay>[] = [];
  /** Holds `replicaId`'s presence lock; returns its release. */
  const live = async (replicaId: string) => (await holdLock(url, replicaId)).release;
  const releases = [await live('rpl_holder'), await live('rpl_slow')];
  const cancelled = async (containerId: string) =>
    (
      await pool.query<{ claimed_by: string }>(
        'select claimed_by from relayed_commands where container_id = $1',
        [containerId],
      )
    ).rows.map((row) => row.claimed_by);
  const host = await seedHost(database.db, { connectedReplica: 'rpl_holder' });
  /** A relay for `replicaId`, live (holding its lock) as a running replica's would be. */
  const start = async (replicaId: string, stand: ReturnType<typeof standInHub>) => {
    releases.push(await live(replicaId));
    const relay = createCommandRelay({ database, hub: stand.hub, replicaId, enabled: true, log });
    relay.start();
    relays.push(relay);
    return relay;
  };

  await t.test('delivered once by one of two holders; the result and ack go round', async (t) => {
    const asker = standInHub([], 'asker');
    const holders = [standInHub([host.id], 'one'), standInHub([host.id], 'two')];
    const relay = await start('rpl_asker', asker);
    for (const [i, holder] of holders.entries()) await start(`rpl_holder_${i}`, holder);
    const results = await Promise.all(
      ['ctr_a', 'ctr_b', 'ctr_c'].map((id) => relay.sendCommand(host.id, id, STOP, 10_000)),
    );
    t.same(
      results.map((result) => result.container_id),
      ['ctr_a', 'ctr_b', 'ctr_c'],
    );
    const sent = holders.flatMap((holder) => holder.sent).sort();
    t.same(sent, ['ctr_a', 'ctr_b', 'ctr_c'], 'each command sent once across both holders');
    t.same(asker.sent, [], 'nothing went to the asking hub');
    for (const result of results) relay.acknowledge(host.id, result.command_id);
    const acked = () => holders.flatMap((holder) => holder.acknowledged).sort();
    for (let i = 0; i < 50 && acked().length < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    t.same(acked(), results.map((result) => result.command_id).sort(), 'acks reach the holders');
  });

  await t.test('a live replica that never claims: a timeout, and never sent later', async (t) => {
    const slow = await seedHost(database.db, { connectedReplica: 'rpl_slow' });
    const relay = await start('rpl_asker_2', standInHub([], 'asker2'));
    const error = await relay.sendCommand(slow.id, 'ctr_late', STOP, 300).catch((e: unknown) => e);
    t.ok(error instanceof CommandTimeoutError, 'the asker gets a timeout');
    t.same(await cancelled('ctr_late'), ['cancelled']);
    const late = standInHub([slow.id], 'late');
    await start('rpl_late', late);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    t.same(late.sent, [], 'a holder that comes later does not send it');
  });

  await t.test('a host under a replica that is gone: host gone at once', async (t) => {
    const orphan = await seedHost(database.db, { connectedReplica: 'rpl_gone' });
    const relay = await start('rpl_asker_4', standInHub([], 'asker4'));
    // The timeout is far off: only the dead replica's missing lock can end this early.
    const error = await relay
      .sendCommand(orphan.id, 'ctr_orphan', STOP, 600_000)
      .catch((e: unknown) => e);
    t.ok(error instanceof HubStoppedError, 'the asker is told the host is gone');
    t.same(await cancelled('ctr_orphan'), ['cancelled'], 'and nobody can claim it any more');
  });

  await t.test('a host connected nowhere stays with the local hub', async (t) => {
    const away = await seedHost(database.db, { status: 'unreachable', connectedReplica: null });
    const local = standInHub([], 'local');
    const relay = await start('rpl_asker_3', local);
    await relay.sendCommand(away.id, 'ctr_local', STOP, 1_000);
    t.same(local.sent, ['ctr_local']);
  });

  await Promise.all(relays.map((relay) => relay.stop()));
  await Promise.all(releases.map((release) => release()));
  t.same(lines, [], 'the relays logged no warning');
});

/**
 * An asker and a holder of one host on a database of their own, which the test takes down; the
 * holder's presence lock is spared, as a replica's survives a brief outage of other sessions.
 */
async function outage(t: Test) {
  const { database, pool, url } = await relayDatabase(t);
  const name = await databaseName(pool);
  const host = await seedHost(database.db, { connectedReplica: 'rpl_holder' });
  const lock = await holdLock(url, 'rpl_holder');
  // Their warnings while the database is away are expected; what matters is asserted below.
  const { log } = capturedLog();
  const holder = standInHub([host.id], 'holder');
  const relays = [
    createCommandRelay({
      database,
      hub: standInHub([], 'asker').hub,
      replicaId: 'rpl_asker',
      enabled: true,
      log,
    }),
    createCommandRelay({ database, hub: holder.hub, replicaId: 'rpl_holder', enabled: true, log }),
  ] as const;
  for (const relay of relays) relay.start();
  const [asker] = relays;
  t.teardown(async () => {
    await bringBack(name);
    await Promise.all(relays.map((relay) => relay.stop()));
    await lock.release();
  });
  // The asker has read where the host is, so the outage meets the command's own write.
  await until(() => asker.isConnected(host.id), 'the asker sees the host elsewhere');
  const rows = async (containerId: string) =>
    (await pool.query('select id from relayed_commands where container_id = $1', [containerId]))
      .rowCount;
  return { asker, holder, host, name, spare: [lock.pid], pool, rows };
}

void t.test(
  'the database down as a command is relayed: unavailable, and nothing left',
  async (t) => {
    const { asker, holder, host, name, spare, rows } = await outage(t);
    await takeDown(name, spare);
    const error = await asker
      .sendCommand(host.id, 'ctr_down', STOP, 10_000)
      .catch((e: unknown) => e);
    t.ok(isDatabaseUnavailable(error), 'an error the API answers as 503 unavailable');
    t.notOk(asker.hasPendingCommand('ctr_down'), 'the asker waits for nothing');
    await bringBack(name);
    await sleep(1_500); // past the holder's next sweep
    t.same(holder.sent, [], 'no holder sends it once the database is back');
    t.equal(await rows('ctr_down'), 0, 'no row was left behind');
  },
);

void t.test('the database down just after the command is written: still answered', async (t) => {
  const { asker, holder, host, name, spare, pool } = await outage(t);
  // The outage is real; only its moment is the test's: the pool's query is wrapped to take the
  // database down as soon as the relayed row is in, before the relay's next statement.
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  let downed = false;
  (pool as { query: unknown }).query = async (...args: unknown[]) => {
    const answer = await query(...args);
    const first = args[0];
    const text = typeof first === 'string' ? first : (first as { text?: string }).text;
    if (!downed && text?.includes('insert into "relayed_commands"') === true) {
      downed = true;
      await takeDown(name, spare);
    }
    return answer;
  };
  const answer = asker.sendCommand(host.id, 'ctr_mid', STOP, 10_000).catch((e: unknown) => e);
  await until(() => downed, 'the database taken down after the insert');
  await sleep(300);
  await bringBack(name);
  const outcome = await answer;
  await sleep(1_500); // past the holder's next sweep
  t.same(holder.sent, ['ctr_mid'], 'the holder sends it, once');
  t.notOk(outcome instanceof Error, 'so the asker is not told it failed');
  t.equal((outcome as AgentCommandResult).container_id, 'ctr_mid', "it gets the agent's result");
});

/**
 * A relay on a database of its own whose first LISTEN connection is slow to come: the pool's
 * connect is wrapped so that connection (the one asked for without a callback, as db/listen.ts
 * does; queries pass one) is held, checked out, until the test lets it go, as a database slow to
 * answer for longer than a sweep's interval would hold it.
 */
async function slowListen(t: Test) {
  const { database, pool } = await relayDatabase(t);
  const { log } = capturedLog();
  const connect = pool.connect.bind(pool) as (...args: unknown[]) => unknown;
  let listens = 0;
  let letGo = () => {};
  const held = new Promise<void>((resolve) => (letGo = resolve));
  (pool as { connect: unknown }).connect = (...args: unknown[]) => {
    if (args.length > 0) return connect(...args);
    listens++;
    const client = connect() as Promise<pg.PoolClient>;
    return listens === 1 ? client.then(async (taken) => (await held, taken)) : client;
  };
  const relay = createCommandRelay({
    database,
    hub: standInHub([], 'slow').hub,
    replicaId: 'rpl_slow_listen',
    enabled: true,
    log,
  });
  relay.start();
  await until(() => listens === 1, 'the first sweep asks for its LISTEN connection');
  const checkedOut = () => pool.totalCount - pool.idleCount;
  /** Ends the LISTEN sessions a failing relay left, or the pool's own close would wait for them. */
  const endLeaked = async () => {
    if (checkedOut() === 0) return;
    await pool.query(`select pg_terminate_backend(pid) from pg_stat_activity
      where datname = current_database() and query like 'LISTEN%' and pid <> pg_backend_pid()`);
  };
  return { relay, letGo, listens: () => listens, checkedOut, endLeaked };
}

void t.test('sweeps never overlap: one LISTEN connection however slow it comes', async (t) => {
  const { relay, letGo, listens, checkedOut, endLeaked } = await slowListen(t);
  await sleep(2_500); // past two more sweep ticks
  letGo();
  await sleep(500); // the held LISTEN set up
  await relay.stop();
  t.equal(listens(), 1, 'one LISTEN connection was asked for');
  t.equal(checkedOut(), 0, 'none is left checked out after stop()');
  await endLeaked();
});

void t.test('stop() waits for a LISTEN being set up and leaves nothing held', async (t) => {
  const { relay, letGo, checkedOut, endLeaked } = await slowListen(t);
  let stopped = false;
  const stopping = relay.stop().then(() => (stopped = true));
  await sleep(300);
  t.notOk(stopped, 'stop() has not returned while the LISTEN is being set up');
  letGo();
  await stopping;
  t.equal(checkedOut(), 0, 'nothing is left checked out once it has');
  await endLeaked();
});
