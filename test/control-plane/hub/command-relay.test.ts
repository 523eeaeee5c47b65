// The command relay on a real Postgres, with stand-in hubs: a command for a host online under
// another replica is delivered once however many replicas hold the host (SKIP LOCKED claims), its
// result comes back to the asker and its acknowledgement to the holder's hub; a command nobody
// claims in time is a CommandTimeoutError and is cancelled, so a holder arriving later never
// sends it; a host connected nowhere stays with the local hub (queued until it connects here).
import t from 'tap';
import type { AgentCommandResult, ContainerCommand } from '@rexec/protocol';
import { CommandTimeoutError } from '../../../packages/control-plane/src/hub/channel.js';
import { createCommandRelay } from '../../../packages/control-plane/src/hub/command-relay.js';
import { capturedLog } from '../../helpers/captured-log.js';
import { migratedDatabase } from '../db/migrated-database.js';
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

void t.test('relayed commands on Postgres', async (t) => {
  const database = await migratedDatabase(t, 'pg');
  const { log, lines } = capturedLog();
  // Stopped before the test ends: the database's own teardown waits for the LISTEN connections.
  const relays: ReturnType<typeof createCommandRelay>[] = [];
  const host = await seedHost(database.db, { connectedReplica: 'rpl_holder' });
  const start = (replicaId: string, stand: ReturnType<typeof standInHub>) => {
    const relay = createCommandRelay({ database, hub: stand.hub, replicaId, enabled: true, log });
    relay.start();
    relays.push(relay);
    return relay;
  };

  await t.test('delivered once by one of two holders; the result and ack go round', async (t) => {
    const asker = standInHub([], 'asker');
    const holders = [standInHub([host.id], 'one'), standInHub([host.id], 'two')];
    const relay = start('rpl_asker', asker);
    holders.forEach((holder, i) => start(`rpl_holder_${i}`, holder));
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

  await t.test('unclaimed in time: a timeout, and never sent afterwards', async (t) => {
    const lonely = await seedHost(database.db, { connectedReplica: 'rpl_gone' });
    const relay = start('rpl_asker_2', standInHub([], 'asker2'));
    const error = await relay
      .sendCommand(lonely.id, 'ctr_late', STOP, 300)
      .catch((e: unknown) => e);
    t.ok(error instanceof CommandTimeoutError, 'the asker gets a timeout');
    const late = standInHub([lonely.id], 'late');
    start('rpl_late', late);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    t.same(late.sent, [], 'a holder that comes later does not send it');
  });

  await t.test('a host connected nowhere stays with the local hub', async (t) => {
    const away = await seedHost(database.db, { status: 'unreachable', connectedReplica: null });
    const local = standInHub([], 'local');
    const relay = start('rpl_asker_3', local);
    await relay.sendCommand(away.id, 'ctr_local', STOP, 1_000);
    t.same(local.sent, ['ctr_local']);
  });

  await Promise.all(relays.map((relay) => relay.stop()));
  t.same(lines, [], 'the relays logged no warning');
});
