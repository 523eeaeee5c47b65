// What an unauthenticated flood or a stuck database costs: an address that keeps failing
// authentication is refused with 429 + Retry-After before any database lookup, enrollment attempts
// are limited per address, and a Postgres that stops answering (SIGSTOP on a private cluster this
// test starts, never the run's shared one) turns into prompt 503 `unavailable` answers, not hangs.
import { readFileSync } from 'node:fs';
import { execaSync } from 'execa';
import t from 'tap';
import { migrateDatabase } from '../../../packages/control-plane/src/db/migrate.js';
import { openDatabase } from '../../../packages/control-plane/src/db/open.js';
import { createIpLimits } from '../../../packages/control-plane/src/http/ip-limits.js';
import { seedTiers } from '../../../packages/control-plane/src/services/tiers.js';
import { bootstrapAdmin } from '../../../packages/control-plane/src/services/users.js';
import { startCluster, stopCluster } from '../../helpers/postgres-cluster.js';
import { call, newUser, startServer } from './server.js';

const bogus = () => `rexec_${'cd'.repeat(32)}`;

void t.test('failed authentication is limited per address, before any lookup', async (t) => {
  const server = await startServer(t, 'pg', {
    ipLimits: createIpLimits({ authFailuresPerMin: 3, enrollsPerMin: 1000 }),
  });
  const erin = await newUser(server, 'erin');
  for (let i = 0; i < 5; i += 1) {
    const bare = await call(server, 'GET', '/api/v1/me');
    t.equal(bare.status, 401, 'a request presenting no token costs nothing and is not counted');
  }
  for (let i = 0; i < 3; i += 1) {
    const res = await call(server, 'GET', '/api/v1/containers', { token: bogus() });
    t.equal(res.status, 401, `failure ${i + 1}`);
  }
  const limited = await call(server, 'GET', '/api/v1/me', { token: bogus() });
  t.equal(limited.status, 429);
  t.equal(limited.body.code, 'rate_limited');
  t.match(limited.headers.get('retry-after'), /^[1-9]\d*$/);
  const valid = await call(server, 'GET', '/api/v1/me', { token: erin.token });
  t.equal(valid.status, 429, 'the address is refused unlooked, whatever token it sends');
  // With its database gone, a lookup would be a 503: the refusal never reaches it.
  await server.database.close();
  const unlooked = await call(server, 'GET', '/api/v1/containers', { token: bogus() });
  t.equal(unlooked.status, 429);
});

void t.test(
  'behind a trusted proxy each client is limited on its own, and only there',
  async (t) => {
    const limits = () => createIpLimits({ authFailuresPerMin: 2, enrollsPerMin: 1000 });
    const from = (client: string) => ({ token: bogus(), headers: { 'x-forwarded-for': client } });
    const behind = await startServer(t, 'pg', { ipLimits: limits(), trustProxy: ['127.0.0.1'] });
    for (let i = 0; i < 2; i += 1) {
      t.equal((await call(behind, 'GET', '/api/v1/me', from('203.0.113.7'))).status, 401);
    }
    const limited = await call(behind, 'GET', '/api/v1/me', from('203.0.113.7'));
    t.equal(limited.status, 429, 'the failing client is refused');
    const other = await call(behind, 'GET', '/api/v1/me', from('203.0.113.8'));
    t.equal(other.status, 401, 'another client behind the same proxy is not');
    // Without the proxy trusted, the header is the client's own claim and changes nothing.
    const direct = await startServer(t, 'pg', { ipLimits: limits() });
    for (let i = 0; i < 2; i += 1) {
      t.equal((await call(direct, 'GET', '/api/v1/me', from(`198.51.100.${i}`))).status, 401);
    }
    const claimed = await call(direct, 'GET', '/api/v1/me', from('198.51.100.99'));
    t.equal(claimed.status, 429, 'a forwarded-for header from an untrusted peer is ignored');
  },
);

void t.test('agent enrollment is limited per address, malformed attempts included', async (t) => {
  const server = await startServer(t, 'pg', {
    ipLimits: createIpLimits({ authFailuresPerMin: 1000, enrollsPerMin: 2 }),
  });
  const body = { host_name: 'h', agent_version: '0.1.0', protocol_version: 1 };
  for (let i = 0; i < 2; i += 1) {
    const res = await call(server, 'POST', '/api/v1/agent/enroll', { token: bogus(), json: body });
    t.equal(res.status, 401, `attempt ${i + 1} reaches the join-token check`);
  }
  const limited = await call(server, 'POST', '/api/v1/agent/enroll', { raw: '{' });
  t.equal(limited.status, 429);
  t.equal(limited.body.code, 'rate_limited');
  t.match(limited.headers.get('retry-after'), /^[1-9]\d*$/);
});

/** Every process of the cluster: the postmaster and its children (backends, workers). */
function clusterPids(pgData: string): number[] {
  const postmaster = Number(readFileSync(`${pgData}/postmaster.pid`, 'utf8').split('\n')[0]);
  const children = execaSync('pgrep', ['-P', String(postmaster)], { reject: false });
  return [
    postmaster,
    ...children.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map(Number),
  ];
}

function signalCluster(pgData: string, signal: NodeJS.Signals): void {
  for (const pid of clusterPids(pgData)) {
    try {
      process.kill(pid, signal);
    } catch (error) {
      // A worker that exited between listing and signalling has nothing left to stop.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}

void t.test('a Postgres that stops answering gives prompt 503s, then recovers', async (t) => {
  const cluster = await startCluster();
  let frozen = false;
  t.teardown(() => {
    if (frozen) signalCluster(cluster.pgData, 'SIGCONT');
    stopCluster(cluster);
  });
  const database = await openDatabase(
    { url: cluster.url },
    { connectTimeoutMs: 1_000, statementTimeoutMs: 1_000, poolSize: 4 },
  );
  t.teardown(() => {
    if (frozen) signalCluster(cluster.pgData, 'SIGCONT');
    frozen = false;
    return database.close();
  });
  await migrateDatabase(database);
  await seedTiers(database.db);
  const admin = await bootstrapAdmin(database.db);
  const token = admin.token ?? '';
  const server = await startServer(t, 'pg', { database });
  t.equal((await call(server, 'GET', '/api/v1/me', { token })).status, 200);

  signalCluster(cluster.pgData, 'SIGSTOP');
  frozen = true;
  // More requests at once than the pool has connections: some wait on the frozen server with
  // pooled connections, others on new ones that never finish their start-up.
  const answers = await Promise.all([
    ...Array.from({ length: 6 }, () => call(server, 'GET', '/api/v1/containers', { token })),
    call(server, 'GET', '/api/v1/users', { token }),
    call(server, 'GET', '/readyz'),
  ]);
  for (const answer of answers) {
    t.equal(answer.status, 503);
    t.equal(answer.body.code, 'unavailable');
  }

  signalCluster(cluster.pgData, 'SIGCONT');
  frozen = false;
  let status = 0;
  for (let attempt = 0; attempt < 50 && status !== 200; attempt += 1) {
    status = (await call(server, 'GET', '/api/v1/me', { token })).status;
    if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  t.equal(status, 200, 'answers again once the server does');
});
