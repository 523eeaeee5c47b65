// The agent's metrics listener, on a real agent process driven by the scripted control plane: a
// container created, stopped and removed on the real engine moves the engine call histogram by
// verb, the containers gauge follows the engine's listings, disk checks are counted, and no label
// carries an id. A bad REXEC_METRICS_PORT stops the agent at start with the variable named.
import type { ControlCommand } from '@rexec/protocol';
import t from 'tap';
import { scrape, scrapeUntil, type Scrape } from '../../helpers/metrics-scrape.js';
import { freePort } from '../../helpers/net.js';
import { startAgent } from '../../helpers/processes.js';
import {
  commandId,
  containerId,
  createCommand,
  engineFor,
  logLines,
  runAgentToExit,
} from '../agent-fixture.js';
import { startPeer } from '../control-plane-peer.js';

const OUTCOMES = new Set([
  'ok',
  'timeout',
  'image_missing',
  'not_found',
  'conflict',
  'engine_failed',
]);

/** Engine calls of `verb` that succeeded. */
function okCalls(scraped: Scrape, verb: string): number {
  return scraped.count('rexec_agent_engine_call_duration_seconds', { verb, outcome: 'ok' });
}

void t.test('an invalid REXEC_METRICS_PORT stops the agent at start, naming it', async (t) => {
  const { code, output } = await runAgentToExit({
    REXEC_URL: 'http://127.0.0.1:9',
    REXEC_METRICS_PORT: '70000',
  });
  t.equal(code, 2, output);
  t.match(output, /REXEC_METRICS_PORT \(--metrics-port\) must be a port number from 0 to 65535/);
});

void t.test(
  'engine calls, containers and disk checks show on the agent metrics listener',
  async (t) => {
    const peer = await startPeer(t, { heartbeatTimeoutMs: 60_000 });
    const kind = await engineFor(t, peer.hostId);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/metrics`;
    const agent = await startAgent(t, {
      url: peer.url,
      joinToken: peer.joinToken,
      hostName: 'metrics-agent',
      env: {
        REXEC_RUNTIME: kind,
        REXEC_METRICS_PORT: String(port),
        REXEC_DISK_CHECK_SECONDS: '1',
        REXEC_HOME_VOLUME_POOL: '0',
      },
    });
    const listening = logLines(agent.output()).find((line) => line['msg'] === 'metrics listening');
    t.equal(listening?.['url'], url, 'the agent logs where its metrics are');
    const connection = await peer.nextConnection();
    await connection.next('AGENT_HELLO');
    const id = containerId();
    const run = async (command: ControlCommand) => {
      connection.send(command);
      return connection.next(
        'AGENT_COMMAND_RESULT',
        (m) => m.command_id === command.command_id,
        120_000,
      );
    };
    const command = (body: ControlCommand['command']): ControlCommand => ({
      type: 'CONTROL_COMMAND',
      command_id: commandId(),
      container_id: id,
      command: body,
    });

    const created = await run(createCommand(id));
    t.equal(created.ok, true, JSON.stringify(created));
    const running = await scrapeUntil(
      url,
      'a listing with the container running',
      (s) => s.value('rexec_agent_containers', { state: 'running' }) === 1,
    );
    t.ok(okCalls(running, 'run') >= 1, 'the create ran `run`');
    t.equal(
      running.value('rexec_agent_shaping_failures_total'),
      0,
      'no shaping failed (present at zero)',
    );

    t.equal((await run(command({ action: 'stop', timeout_seconds: 5 }))).ok, true, 'stopped');
    t.equal((await run(command({ action: 'remove', remove_volume: true }))).ok, true, 'removed');
    const after = await scrapeUntil(
      url,
      'a listing without the container, after a finished disk check',
      (s) =>
        s.value('rexec_agent_containers') === 0 &&
        (s.value('rexec_agent_disk_checks_total', { outcome: 'ok' }) ?? 0) >= 2,
    );
    t.ok(okCalls(after, 'stop') >= 1, 'the stop ran `stop`');
    t.ok(okCalls(after, 'rm') >= 1, 'the remove ran `rm`');
    t.ok(okCalls(after, 'ps') >= 2, 'the listings ran `ps`');
    t.ok(after.count('rexec_agent_disk_check_duration_seconds') >= 2, 'disk checks timed');
    t.ok((after.value('process_resident_memory_bytes') ?? 0) > 0, 'RSS');

    const engineCalls = after.samples('rexec_agent_engine_call_duration_seconds');
    t.same(
      engineCalls.filter((s) => !OUTCOMES.has(s.labels['outcome'] ?? '')).map((s) => s.labels),
      [],
      'outcomes come from a fixed set',
    );
    t.same(
      engineCalls
        .filter((s) => !/^[a-z]+( [a-z]+)?$/.test(s.labels['verb'] ?? ''))
        .map((s) => s.labels),
      [],
      'verbs are engine verbs, never arguments',
    );
    const everyLabel = Object.values(after.metrics).flatMap((family) =>
      (family.data as { labels: Record<string, string> }[]).flatMap((s) => Object.values(s.labels)),
    );
    t.notOk(
      everyLabel.some((value) => value.includes(id) || value.includes(peer.hostId)),
      'no container or host id is a label value',
    );

    t.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 404, 'only /metrics is served');
    t.equal((await fetch(url, { method: 'DELETE' })).status, 404, 'only GET');
    t.ok((await scrape(url)).family('nodejs_eventloop_lag_seconds'), 'event loop lag');
  },
);
