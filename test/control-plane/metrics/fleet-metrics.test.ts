// Metrics end to end: a real control plane process with its metrics listener on, a real agent
// with its own, a container created and stopped through the REST API and a webhook whose receiver
// fails. Both listeners are scraped over HTTP and parsed with an independent Prometheus parser;
// the deploy/ dashboard and alert rules may only name metrics these scrapes contain, and README's
// "Monitoring" section must list every one they do.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import t from 'tap';
import { startFleet } from '../../e2e/fleet.js';
import {
  alertRules,
  dashboardExpressions,
  metricNamesIn,
  scrapeUntil,
  type Scrape,
} from '../../helpers/metrics-scrape.js';
import { REPO_ROOT } from '../../helpers/child-process.js';
import { freePort, serveOnLoopback } from '../../helpers/net.js';
import { runToExit } from '../process/run.js';

/** The samples of `name` whose route label ends with `suffix` (routes carry the /api/v1 prefix). */
function routeCount(scraped: Scrape, suffix: string, method: string, status: string): number {
  return scraped
    .samples('rexec_http_requests_total', { method, status })
    .filter((sample) => sample.labels?.['route']?.endsWith(suffix))
    .reduce((sum, sample) => sum + Number(sample.value), 0);
}

void t.test(
  'an invalid REXEC_METRICS_PORT stops the control plane at start with the reason',
  async (t) => {
    const result = await runToExit({ REXEC_METRICS_PORT: 'ninety' });
    t.equal(result.code, 2);
    t.match(result.stderr, /REXEC_METRICS_PORT: must be an integer from 0 to 65535/);
  },
);

void t.test(
  'the control plane and the agent expose their metrics on their own listeners',
  async (t) => {
    let hookCalls = 0;
    const receiver = createServer((request, response) => {
      hookCalls += 1;
      request.resume();
      response.writeHead(503).end();
    });
    const hookPort = await serveOnLoopback(t, receiver);
    const metricsPort = await freePort();
    const fleet = await startFleet(t, {
      env: { REXEC_METRICS_PORT: String(metricsPort), REXEC_WEBHOOK_ALLOW_PRIVATE: 'true' },
    });
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const agentPort = await freePort();
    const agentUrl = `http://127.0.0.1:${agentPort}/metrics`;
    await fleet.joinAgent('metrics-host', {
      REXEC_METRICS_PORT: String(agentPort),
      REXEC_DISK_CHECK_SECONDS: '1',
      REXEC_HOME_VOLUME_POOL: '0',
    });

    const hook = await fleet.api('POST', '/webhooks', {
      url: `http://127.0.0.1:${hookPort}/hook`,
      events: ['container.*'],
    });
    t.equal(hook.status, 201, JSON.stringify(hook.body));
    const box = await fleet.createBox({ cpu_millicores: 250, memory_mb: 64, disk_mb: 512 });
    // Generous: the create runs on a machine other suites load too.
    await fleet.containerStatus(box.id, 'running', 180_000);
    const stopped = await fleet.api('POST', `/containers/${box.id}/stop`);
    t.equal(stopped.status, 200, JSON.stringify(stopped.body));
    t.equal((await fleet.api('GET', '/no-such-thing')).status, 404);

    const cp = await scrapeUntil(
      metricsUrl,
      'the stop round trip and a failed webhook attempt',
      (s) =>
        s.count('rexec_command_duration_seconds', { action: 'stop', outcome: 'ok' }) >= 1 &&
        (s.value('rexec_webhook_deliveries_total', { outcome: 'retrying' }) ?? 0) >= 1,
    );
    t.ok(hookCalls >= 1, 'the receiver was called');

    t.ok(routeCount(cp, '/containers/:id/stop', 'POST', '200') >= 1, 'the stop, by route pattern');
    t.ok(routeCount(cp, '/containers', 'POST', '202') >= 1, 'the create');
    t.ok(routeCount(cp, '/containers/:id', 'GET', '200') >= 1, 'the status polls');
    t.ok((cp.value('rexec_http_requests_total', { route: 'unmatched', status: '404' }) ?? 0) >= 1);
    const routes = cp.samples('rexec_http_requests_total').map((s) => s.labels?.['route'] ?? '');
    t.notOk(
      routes.some((route) => route.includes(box.id) || route.includes('no-such-thing')),
      'no raw URL is a label value',
    );
    t.ok(cp.count('rexec_http_request_duration_seconds', { method: 'POST', status: '202' }) >= 1);

    t.equal(cp.value('rexec_placements_total', { outcome: 'placed' }), 1, 'one placement');
    t.equal(cp.count('rexec_placement_duration_seconds', { outcome: 'placed' }), 1);
    t.equal(cp.count('rexec_command_duration_seconds', { action: 'create', outcome: 'ok' }), 1);
    t.equal(cp.value('rexec_hosts', { status: 'online', scheduling: 'active' }), 1);
    t.equal(cp.value('rexec_hosts', { status: 'unreachable' }), 0, 'zero-filled, not absent');
    t.equal(cp.value('rexec_containers', { status: 'stopped' }), 1);
    t.equal(cp.value('rexec_containers', { status: 'running' }), 0);
    t.equal(cp.value('rexec_agent_sockets'), 1);
    t.equal(cp.value('rexec_terminals_open'), 0);
    t.ok((cp.value('rexec_webhook_deliveries_pending') ?? 0) >= 1, 'the failing hook backs up');
    t.ok((cp.value('process_resident_memory_bytes') ?? 0) > 0, 'default process metrics');
    t.ok(cp.family('nodejs_eventloop_lag_seconds'), 'event loop lag');

    const agent = await scrapeUntil(agentUrl, 'a listing after the stop', (s) => {
      const exited = s.value('rexec_agent_containers', { state: 'exited' }) ?? 0;
      return (
        exited === 1 && (s.value('rexec_agent_disk_checks_total', { outcome: 'ok' }) ?? 0) >= 1
      );
    });
    t.ok(
      agent.count('rexec_agent_engine_call_duration_seconds', { verb: 'run', outcome: 'ok' }) >= 1,
    );
    t.ok(agent.count('rexec_agent_engine_call_duration_seconds', { verb: 'stop' }) >= 1);
    t.ok((agent.value('process_resident_memory_bytes') ?? 0) > 0, 'agent RSS');

    await t.test(
      'the API port serves no metrics; the metrics port serves nothing else',
      async (t) => {
        t.equal((await fetch(`${fleet.controlPlane.url}/metrics`)).status, 404);
        t.equal((await fetch(`${fleet.controlPlane.url}/api/v1/metrics`)).status, 404);
        t.equal((await fetch(`http://127.0.0.1:${metricsPort}/`)).status, 404);
        t.equal((await fetch(`http://127.0.0.1:${metricsPort}/api/v1/containers`)).status, 404);
        t.equal((await fetch(metricsUrl, { method: 'POST' })).status, 404);
        t.equal((await fetch(`http://127.0.0.1:${agentPort}/other`)).status, 404);
      },
    );

    await t.test('the deploy/ dashboard and alert rules name only exposed metrics', async (t) => {
      const exposed = new Set([...cp.names(), ...agent.names()]);
      const expressions = await dashboardExpressions();
      const rules = await alertRules();
      t.ok(expressions.length >= 10, 'the dashboard has its panels');
      t.same(
        rules
          .map((rule) => rule.alert)
          .filter((name) => /Unreachable|Placement|Backlog/.test(name)),
        ['RexecHostUnreachable', 'RexecPlacementFailures', 'RexecWebhookBacklog'],
      );
      const referenced = new Set(
        [...expressions, ...rules.map((rule) => rule.expr)].flatMap(metricNamesIn),
      );
      t.ok(referenced.size >= 10, `${referenced.size} rexec_* names referenced`);
      t.same(
        [...referenced].filter((name) => !exposed.has(name)),
        [],
        'none unknown',
      );
      const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
      const monitoring = readme.slice(
        readme.indexOf('## Monitoring'),
        readme.indexOf('## Web console'),
      );
      t.same(
        [...exposed].filter(
          (name) => name.startsWith('rexec_') && !monitoring.includes(`\`${name}\``),
        ),
        [],
        'README "Monitoring" lists every exposed rexec_* metric',
      );
    });
  },
);
