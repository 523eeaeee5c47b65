// Admin routes over real HTTP on both drivers: users (create with first token, list, change tier),
// tier edits, hosts (inserted directly: agents arrive in a later issue) with cordon/uncordon/drain,
// and join tokens.
import {
  ErrorBody,
  Host,
  HostList,
  JoinTokenCreated,
  Me,
  Tier,
  TierList,
  User,
  UserCreated,
  UserList,
} from '@rexec/protocol';
import t from 'tap';
import { DB_DRIVERS } from '../../helpers/postgres.js';
import { insertHost } from './rows.js';
import { call, startServer } from './server.js';

for (const driver of DB_DRIVERS) {
  void t.test(`admin API on ${driver}`, async (t) => {
    const server = await startServer(t, driver);
    const admin = server.adminToken;

    void t.test('creates a user whose first token works, lists and re-tiers users', async (t) => {
      const created = await call(server, 'POST', '/api/v1/users', {
        token: admin,
        json: { name: 'Grace', email: 'grace@example.com', tier: 'pro' },
      });
      t.equal(created.status, 201);
      const { user, token } = UserCreated.parse(created.body);
      t.match(user, { name: 'Grace', email: 'grace@example.com', tier: 'pro', is_admin: false });
      const me = Me.parse((await call(server, 'GET', '/api/v1/me', { token })).body);
      t.equal(me.user.id, user.id);
      t.equal(me.tier.name, 'pro');
      t.equal(me.tier.max_containers, 10);

      const list = UserList.parse(
        (await call(server, 'GET', '/api/v1/users', { token: admin })).body,
      );
      t.same(
        list.users.map((u) => u.name),
        ['admin', 'Grace'],
      );

      const patched = await call(server, 'PATCH', `/api/v1/users/${user.id}`, {
        token: admin,
        json: { tier: 'enterprise' },
      });
      t.equal(patched.status, 200);
      t.equal(User.parse(patched.body).tier, 'enterprise');
      const unknownTier = await call(server, 'PATCH', `/api/v1/users/${user.id}`, {
        token: admin,
        json: { tier: 'platinum' },
      });
      t.equal(unknownTier.status, 400);
      const unknownUser = await call(server, 'PATCH', `/api/v1/users/usr_${'0'.repeat(32)}`, {
        token: admin,
        json: { tier: 'pro' },
      });
      t.equal(unknownUser.status, 404);
      const badId = await call(server, 'PATCH', '/api/v1/users/grace', {
        token: admin,
        json: { tier: 'pro' },
      });
      t.equal(badId.status, 400);
      for (const json of [{}, { name: '' }, { name: 'x', email: 'nope' }, { name: 'x', role: 1 }]) {
        const res = await call(server, 'POST', '/api/v1/users', { token: admin, json });
        t.equal(res.status, 400, JSON.stringify(json));
        t.equal(ErrorBody.parse(res.body).code, 'invalid_request');
      }
      const duplicate = await call(server, 'POST', '/api/v1/users', {
        token: admin,
        json: { name: 'Other', email: 'grace@example.com' },
      });
      t.equal(duplicate.status, 400, 'an email already in use');
    });

    void t.test('edits a tier and everyone sees the new limits', async (t) => {
      const res = await call(server, 'PATCH', '/api/v1/tiers/community', {
        token: admin,
        json: { max_containers: 7, session_hours: null, rate_limits: { list_per_minute: 300 } },
      });
      t.equal(res.status, 200);
      const tier = Tier.parse(res.body);
      t.equal(tier.max_containers, 7);
      t.equal(tier.session_hours, null);
      t.equal(tier.rate_limits.list_per_minute, 300);
      t.equal(tier.rate_limits.create_per_minute, 10, 'untouched fields stay');
      const tiers = TierList.parse(
        (await call(server, 'GET', '/api/v1/tiers', { token: admin })).body,
      );
      t.equal(tiers.tiers.find((x) => x.name === 'community')?.max_containers, 7);
      const defaults = await call(server, 'PATCH', '/api/v1/tiers/community', {
        token: admin,
        json: { default_resources: { cpu_millicores: 1500 } },
      });
      t.same(Tier.parse(defaults.body).default_resources, {
        cpu_millicores: 1500,
        memory_mb: 1024,
        disk_mb: 5120,
        network_mbps: 10,
      });
      const aboveMaximum = await call(server, 'PATCH', '/api/v1/tiers/community', {
        token: admin,
        json: { default_resources: { memory_mb: 4096 } },
      });
      t.equal(aboveMaximum.status, 400);
      t.match(aboveMaximum.body, {
        code: 'invalid_request',
        error: /default_resources\.memory_mb 4096 is above the tier's maximum memory_mb of 2048/,
        issues: [{ path: 'default_resources.memory_mb' }],
      });
      for (const [name, json, status] of [
        ['community', { default_resources: { gpus: 1 } }, 400],
        ['community', { default_resources: { disk_mb: 0 } }, 400],
        ['community', { cpu_millicores: 1000 }, 400],
        ['community', {}, 400],
        ['community', { cpu_millicores: -5 }, 400],
        ['community', { max_containers: 1.5 }, 400],
        ['community', { colour: 'red' }, 400],
        ['gold', { max_containers: 3 }, 404],
        ['Not A Tier', { max_containers: 3 }, 400],
      ] as const) {
        const bad = await call(server, 'PATCH', `/api/v1/tiers/${encodeURIComponent(name)}`, {
          token: admin,
          json,
        });
        t.equal(bad.status, status, `${name} ${JSON.stringify(json)}`);
      }
    });

    void t.test('lists hosts and changes their scheduling', async (t) => {
      const empty = HostList.parse(
        (await call(server, 'GET', '/api/v1/hosts', { token: admin })).body,
      );
      t.same(empty.hosts, []);
      const row = await insertHost(server.database);
      const list = HostList.parse(
        (await call(server, 'GET', '/api/v1/hosts', { token: admin })).body,
      );
      t.equal(list.hosts.length, 1);
      t.match(list.hosts[0], {
        id: row.id,
        status: 'online',
        scheduling: 'active',
        capacity: { cpu_millicores: 8000, memory_mb: 16384, disk_mb: 100000 },
        schedulable: { cpu_millicores: 32000, memory_mb: 16384, disk_mb: 100000 },
        reserved: { cpu_millicores: 0, memory_mb: 0, disk_mb: 0 },
        runtime: { kind: 'podman', version: '4.3.1' },
      });
      const one = await call(server, 'GET', `/api/v1/hosts/${row.id}`, { token: admin });
      t.equal(Host.parse(one.body).id, row.id);
      for (const [action, scheduling] of [
        ['cordon', 'cordoned'],
        ['cordon', 'cordoned'],
        ['drain', 'draining'],
        ['uncordon', 'active'],
      ] as const) {
        const res = await call(server, 'POST', `/api/v1/hosts/${row.id}/${action}`, {
          token: admin,
        });
        t.equal(res.status, 200, action);
        t.equal(Host.parse(res.body).scheduling, scheduling, action);
      }
      const missing = await call(server, 'GET', `/api/v1/hosts/hst_${'f'.repeat(32)}`, {
        token: admin,
      });
      t.equal(missing.status, 404);
      const badId = await call(server, 'POST', '/api/v1/hosts/host-a/drain', { token: admin });
      t.equal(badId.status, 400);
    });

    void t.test('mints join tokens with the default or a given lifetime', async (t) => {
      const before = Date.now();
      const plain = await call(server, 'POST', '/api/v1/hosts/join-tokens', { token: admin });
      t.equal(plain.status, 201);
      const first = JoinTokenCreated.parse(plain.body);
      const lifetime = Date.parse(first.expires_at) - before;
      t.ok(lifetime > 3590_000 && lifetime < 3610_000, 'one hour by default');
      const custom = await call(server, 'POST', '/api/v1/hosts/join-tokens', {
        token: admin,
        json: { expires_in_seconds: 600 },
      });
      const second = JoinTokenCreated.parse(custom.body);
      t.not(second.token, first.token);
      t.ok(Date.parse(second.expires_at) - before < 700_000);
      for (const json of [{ expires_in_seconds: 0 }, { expires_in_seconds: 1e9 }, { ttl: 5 }]) {
        const res = await call(server, 'POST', '/api/v1/hosts/join-tokens', { token: admin, json });
        t.equal(res.status, 400, JSON.stringify(json));
      }
    });
  });
}
