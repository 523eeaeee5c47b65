// Two replicas on one Postgres behind Debian's HAProxy running the real deploy/haproxy.cfg, with an
// agent whose REXEC_URL is the balancer. Through HAProxy a container is created and runs, an exec
// answers and a terminal echoes. kill -9 of the replica without the agent's socket: HAProxy's
// health check marks it DOWN and requests through HAProxy succeed on the other. Once it is back,
// kill -9 of the replica holding the socket: the agent reconnects through HAProxy to the survivor,
// and execs and terminals work again. The balancer also refuses /internal/ and keeps the
// per-client limits the replicas cannot keep behind it. Durations are never asserted. Without
// docker compose here, compose.yaml is read for what it gives HAProxy and the replicas.
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { execa } from 'execa';
import pg from 'pg';
import t, { type Test } from 'tap';
import { parse } from 'yaml';
import { Container } from '@rexec/protocol';
import { TerminalClient } from '../control-plane/terminal/terminal-client.js';
import { REPO_ROOT } from '../helpers/child-process.js';
import { generateToken, startControlPlane, type ControlPlane } from '../helpers/processes.js';
import { freePort } from '../helpers/net.js';
import { boxRequest, startFleet, type Fleet } from './fleet.js';
import { HAPROXY_CONFIG, startBalancer, type Balancer, type ServerName } from './haproxy.js';

interface Answer {
  status: number;
  body: unknown;
}

/** A JSON API call that never throws: a refused connection is status 0, an HTML page a string. */
async function call(url: string, token: string, method: string, body?: unknown): Promise<Answer> {
  try {
    const response = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    try {
      return { status: response.status, body: JSON.parse(text) as unknown };
    } catch {
      return { status: response.status, body: text }; // HAProxy's own answers are HTML
    }
  } catch (error) {
    return { status: 0, body: String(error) }; // polled again by the caller, or failed by it
  }
}

/** One replica as the balancer names it, killed with SIGKILL and started again on its port. */
interface Replica {
  server: ServerName;
  url: string;
  kill(): Promise<unknown>;
  start(): Promise<unknown>;
}

/** The fleet's own control plane and a second one on `env`, as the balancer names them. */
function replicaPair(
  t: Test,
  fleet: Fleet,
  env: Record<string, string>,
  second: ControlPlane,
): readonly [Replica, Replica] {
  let current = second;
  return [
    {
      server: 'replica-1',
      url: fleet.controlPlane.url,
      kill: () => fleet.controlPlane.stop('SIGKILL'),
      start: () => fleet.restartControlPlane(),
    },
    {
      server: 'replica-2',
      url: second.url,
      kill: () => current.stop('SIGKILL'),
      start: async () => {
        current = await startControlPlane(t, { env });
      },
    },
  ];
}

interface ComposeFile {
  services: Record<string, { environment?: Record<string, string>; volumes?: string[] }>;
}

void t.test('compose.yaml gives HAProxy what haproxy.cfg reads', async (t) => {
  const text = await readFile(join(REPO_ROOT, 'deploy/compose.yaml'), 'utf8');
  const { services } = parse(text, { merge: true }) as ComposeFile;
  const env = services['haproxy']?.environment ?? {};
  t.ok(
    services['haproxy']?.volumes?.includes('./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro'),
    'the image reads this file',
  );
  // The service names do not resolve here, as in compose before the replicas start.
  const checked = await execa('haproxy', ['-c', '-f', HAPROXY_CONFIG], {
    env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin', ...env },
    extendEnv: false,
    reject: false,
    all: true,
  });
  t.equal(checked.exitCode, 0, 'haproxy -c accepts it with those values', { output: checked.all });
  for (const key of ['REXEC_REPLICA_1', 'REXEC_REPLICA_2']) {
    const [service = '', port] = (env[key] ?? '').split(':');
    const replica = services[service]?.environment ?? {};
    t.equal(replica['REXEC_ADVERTISE_URL'], `http://${service}:${port}`, `${service} is a replica`);
    t.match(replica['REXEC_CLUSTER_SECRET'], /^\$\{REXEC_CLUSTER_SECRET:\?/, 'with the secret');
  }
});

void t.test('two replicas behind HAProxy, each killed in turn', async (t) => {
  const secret = randomBytes(32).toString('hex');
  const fleet = await startFleet(t, { env: { REXEC_CLUSTER_SECRET: secret } });
  const token = fleet.controlPlane.adminToken;
  const secondPort = await freePort();
  const secondEnv = {
    REXEC_DATABASE_URL: fleet.databaseUrl,
    REXEC_BOOTSTRAP_ADMIN_TOKEN: token,
    REXEC_CLUSTER_SECRET: secret,
    REXEC_PORT: String(secondPort),
  };
  const second = await startControlPlane(t, { env: secondEnv });
  const [one, two] = replicaPair(t, fleet, secondEnv, second);
  const lb: Balancer = await startBalancer(t, {
    'replica-1': new URL(one.url).host,
    'replica-2': new URL(two.url).host,
  });
  t.teardown(() => {
    if (!t.passing()) t.comment(`HAProxy's last lines:\n${lb.output()}`);
  });
  const api = (method: string, path: string, body?: unknown) =>
    call(`${lb.url}/api/v1${path}`, token, method, body);
  const exec = (word: string) =>
    api('POST', `/containers/${box.id}/exec`, { command: `echo ${word}-$((6*7))` });

  const { hostId } = await fleet.joinAgent('e2e-lb', { REXEC_URL: lb.url });
  const created = await api('POST', '/containers', boxRequest(SMALL));
  t.equal(created.status, 202, 'a create through HAProxy is accepted');
  const box = Container.parse(created.body);
  await fleet.waitFor(
    'the container running, as HAProxy answers',
    async () => {
      const got = await api('GET', `/containers/${box.id}`);
      return got.status === 200 && Container.parse(got.body).status === 'running'
        ? true
        : undefined;
    },
    90_000,
    1000,
  );
  t.pass('it runs');
  t.match((await exec('lb')).body, { exit_code: 0, stdout: 'lb-42\n' }, 'an exec answers');
  await echoes(t, lb, box, token, 'lb');
  await roundTrip(t, `${lb.url}/api/v1/containers/${box.id}/files`, token);

  for (const path of ['/internal/v1/exec', '/%69nternal/v1/exec']) {
    t.not(
      (await call(`${one.url}${path}`, token, 'POST', {})).status,
      404,
      `a replica serves ${path}`,
    );
    t.equal(
      (await call(`${lb.url}${path}`, token, 'POST', {})).status,
      404,
      'the balancer does not',
    );
  }

  // The agent's socket is on one replica; the other goes first.
  const db = new pg.Client({ connectionString: fleet.databaseUrl });
  await db.connect();
  t.teardown(() => db.end());
  const holderPort = () => holderOf(db, hostId);
  const heldBy = await fleet.waitFor('the agent online', holderPort);
  const [holder, other] = heldBy === new URL(one.url).port ? [one, two] : [two, one];
  t.comment(`the agent is on ${holder.server}; ${other.server} is killed first`);

  await other.kill();
  await fleet.waitFor(`HAProxy taking ${other.server} out`, () =>
    Promise.resolve(lb.state(other.server) === 'DOWN' ? true : undefined),
  );
  t.pass(`HAProxy's health check marks ${other.server} DOWN`);
  const served = await fleet.waitFor(
    'every request through HAProxy answered',
    async () => {
      const answers: Answer[] = [];
      for (let i = 0; i < 4; i++) answers.push(await api('GET', `/containers/${box.id}`));
      answers.push(await exec('alone'));
      return answers.every((answer) => answer.status === 200) ? answers : undefined;
    },
    60_000,
    500,
  );
  t.match(served.at(-1)?.body, { stdout: 'alone-42\n' }, 'reads and execs go to the survivor');

  await other.start();
  await fleet.waitFor(`HAProxy taking ${other.server} back`, () =>
    Promise.resolve(lb.state(other.server) === 'UP' ? true : undefined),
  );
  t.pass(`${other.server} is back in rotation`);
  const killedAt = Date.now();
  await holder.kill();
  await fleet.waitFor(
    `the agent reconnected through HAProxy to ${other.server}`,
    async () => ((await holderPort()) === new URL(other.url).port ? true : undefined),
    90_000,
    250,
  );
  t.pass('the agent is on the survivor');
  t.comment(`the agent was on ${other.server} ${Date.now() - killedAt} ms after the kill`);
  const again = await fleet.waitFor(
    'an exec through HAProxy after the failover',
    async () => {
      const answer = await exec('again');
      return answer.status === 200 ? answer : undefined;
    },
    60_000,
    500,
  );
  t.match(again.body, { exit_code: 0, stdout: 'again-42\n' }, 'an exec answers again');
  await echoes(t, lb, box, token, 'after');

  // Behind the balancer the replicas see one client address; HAProxy limits each client instead.
  // Each check comes from a loopback address of its own, whose counters start at zero.
  const joins: number[] = [];
  for (let i = 0; i < 20; i++) joins.push(await enrollFrom('127.0.0.2', lb.url));
  t.same(joins, Array(20).fill(401), '20 enrolls with a bad join token are refused');
  t.equal(await enrollFrom('127.0.0.2', lb.url), 429, 'the 21st is limited by HAProxy');
  const bogus = generateToken();
  const refused: number[] = [];
  for (let i = 0; i < 30; i++)
    refused.push(await statusFrom('127.0.0.3', `${lb.url}/api/v1/me`, bogus));
  t.same(refused, Array(30).fill(401), '30 requests with a bad token are refused');
  t.equal(
    await statusFrom('127.0.0.3', `${lb.url}/api/v1/me`, token),
    429,
    'then even a good one is limited',
  );
  t.equal((await api('GET', '/me')).status, 200, 'another client is not');
  t.equal(
    await statusFrom('127.0.0.3', `${other.url}/api/v1/me`, token),
    200,
    'nor the client at a replica',
  );
});

const SMALL = { cpu_millicores: 250, memory_mb: 64, disk_mb: 512 };

/** The port of the replica holding the host's agent socket while the host is online. */
async function holderOf(db: pg.Client, hostId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ advertise_url: string }>(
    `select r.advertise_url from hosts h join replicas r on r.id = h.connected_replica
     where h.id = $1 and h.status = 'online'`,
    [hostId],
  );
  const url = rows[0]?.advertise_url;
  return url === undefined ? undefined : new URL(url).port;
}

/** The status of a GET (or a POST of `body`) sent from the loopback address `source`. */
function statusFrom(source: string, url: string, token: string, body?: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest(
      url,
      {
        method: body === undefined ? 'GET' : 'POST',
        localAddress: source,
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (response) => {
        response.resume();
        response.once('end', () => resolve(response.statusCode ?? 0));
      },
    );
    sent.once('error', reject);
    sent.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

function enrollFrom(source: string, url: string): Promise<number> {
  return statusFrom(source, `${url}/api/v1/agent/enroll`, generateToken(), {
    host_name: 'e2e-lb-bogus',
    agent_version: '0.0.0',
    protocol_version: 1,
  });
}

/** A terminal through HAProxy: `echo <word>-$((6*7))` comes back as `<word>-42`. */
async function echoes(
  t: Test,
  lb: Balancer,
  box: Container,
  token: string,
  word: string,
): Promise<void> {
  const terminal = await TerminalClient.connect(lb.url, box.id, { token, session: word });
  await terminal.next('ready');
  terminal.type(`echo ${word}-$((6*7))\r`);
  const expected = new RegExp(`${word}-42`);
  await terminal.until(() => expected.test(terminal.tail(4096)), 20_000, `${word}-42`);
  t.pass(`a terminal through HAProxy echoes ${word}-42`);
  await terminal.close();
}

/** A chunked upload of 4 MiB through HAProxy and its download, byte for byte. */
async function roundTrip(t: Test, filesUrl: string, token: string): Promise<void> {
  const bytes = randomBytes(4 * 1024 * 1024);
  const chunks = Readable.from(
    (function* () {
      for (let at = 0; at < bytes.length; at += 64 * 1024) yield bytes.subarray(at, at + 64 * 1024);
    })(),
  );
  const url = `${filesUrl}?path=${encodeURIComponent('/root/through-lb.bin')}`;
  const authorization = `Bearer ${token}`;
  const put = await fetch(url, {
    method: 'PUT',
    headers: { authorization },
    body: Readable.toWeb(chunks) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  const stored = await put.text();
  t.equal(put.status, 201, 'a chunked upload through HAProxy is stored', { body: stored });
  const back = await fetch(url, { headers: { authorization } });
  t.equal(back.status, 200, 'and downloaded');
  const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
  t.equal(sha256(Buffer.from(await back.arrayBuffer())), sha256(bytes), 'with the same bytes');
}
