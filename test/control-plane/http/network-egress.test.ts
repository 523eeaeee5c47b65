// Fail closed and egress over real HTTP on both drivers (issue 16): a host whose agent reports no
// network isolation gets no containers until an admin trusts it (POST /hosts/:id/trust, admin
// only, idempotent, undone with {trusted:false}); tiers show network_egress, a create may narrow
// it to `none` but never widen a `none` tier, and the container shows what it got.
import { Container, ErrorBody, Host, TierList } from '@rexec/protocol';
import t from 'tap';
import { DB_DRIVERS } from '../../helpers/postgres.js';
import { insertHost } from './rows.js';
import { call, liftRateLimits, newUser, startServer } from './server.js';

const ENFORCEMENT = { disk: 'monitor', network_shaping: true } as const;

for (const driver of DB_DRIVERS) {
  void t.test(`network egress and host trust on ${driver}`, async (t) => {
    const server = await startServer(t, driver);
    await liftRateLimits(server);
    const admin = server.adminToken;
    const dana = await newUser(server, 'dana');
    const create = (json: unknown, token = dana.token) =>
      call(server, 'POST', '/api/v1/containers', { token, json });

    void t.test('a host without isolation gets nothing until an admin trusts it', async (t) => {
      const host = await insertHost(server.database, {
        trusted: false,
        enforcement: { ...ENFORCEMENT, network_isolation: false },
      });
      const refused = await create({ image: 'alpine:latest', name: 'untrusted' });
      t.equal(refused.status, 503, 'not placed on the unisolated host');
      t.match(ErrorBody.parse(refused.body), {
        code: 'no_capacity',
        reason: 'no_host_schedulable',
        error: /without network isolation.*\/trust/,
      });
      const shown = Host.parse(
        (await call(server, 'GET', `/api/v1/hosts/${host.id}`, { token: admin })).body,
      );
      t.match(shown, { network_isolation: false, trusted: false });

      const path = `/api/v1/hosts/${host.id}/trust`;
      t.equal((await call(server, 'POST', path, { token: dana.token })).status, 403, 'admin only');
      const trusted = await call(server, 'POST', path, { token: admin });
      t.equal(trusted.status, 200);
      t.match(Host.parse(trusted.body), { trusted: true, network_isolation: false });
      const again = await call(server, 'POST', path, { token: admin, json: { trusted: true } });
      t.match(Host.parse(again.body), { trusted: true }, 'idempotent');

      const placed = await create({ image: 'alpine:latest', name: 'trusted' });
      t.equal(placed.status, 202, 'placed once trusted');
      t.equal(Container.parse(placed.body).host_id, host.id);

      const untrusted = await call(server, 'POST', path, {
        token: admin,
        json: { trusted: false },
      });
      t.match(Host.parse(untrusted.body), { trusted: false });
      const after = await create({ image: 'alpine:latest', name: 'untrusted-again' });
      t.equal(after.status, 503, 'nothing new once the trust is taken back');

      const unknown = await call(server, 'POST', `/api/v1/hosts/hst_${'0'.repeat(32)}/trust`, {
        token: admin,
      });
      t.equal(unknown.status, 404);
      const bad = await call(server, 'POST', path, { token: admin, json: { trusted: 'yes' } });
      t.equal(bad.status, 400);
    });

    void t.test('tiers show egress; a create narrows it, never widens it', async (t) => {
      await insertHost(server.database, {
        name: 'isolated',
        trusted: false,
        enforcement: { ...ENFORCEMENT, network_isolation: true },
      });
      const tiers = TierList.parse(
        (await call(server, 'GET', '/api/v1/tiers', { token: admin })).body,
      );
      t.ok(
        tiers.tiers.every((tier) => tier.network_egress === 'internet'),
        'internet by default',
      );

      const open = await create({ image: 'alpine:latest', name: 'open' });
      t.equal(open.status, 202, 'an isolated host takes containers without trust');
      t.same(Container.parse(open.body).network, { egress: 'internet' });
      const closed = await create({
        image: 'alpine:latest',
        name: 'closed',
        network: { egress: 'none' },
      });
      t.equal(closed.status, 202);
      t.same(Container.parse(closed.body).network, { egress: 'none' });
      const read = await call(server, 'GET', '/api/v1/containers/closed', { token: dana.token });
      t.same(Container.parse(read.body).network, { egress: 'none' }, 'stored with the row');
      const withRole = await create({
        image: 'alpine:latest',
        name: 'closed-python',
        role: 'python',
        network: { egress: 'none' },
      });
      t.equal(withRole.status, 400, 'a role needs the network for its setup');
      const typo = await create({ image: 'alpine:latest', network: { egress: 'intranet' } });
      t.equal(typo.status, 400);

      const patched = await call(server, 'PATCH', '/api/v1/tiers/pro', {
        token: admin,
        json: { network_egress: 'none' },
      });
      t.equal(patched.status, 200);
      const erin = await newUser(server, 'erin', 'pro');
      const widened = await create(
        { image: 'alpine:latest', name: 'wide', network: { egress: 'internet' } },
        erin.token,
      );
      t.equal(widened.status, 403);
      t.match(ErrorBody.parse(widened.body), {
        code: 'resource_limit_exceeded',
        resource: 'network.egress',
        requested: 'internet',
        limit: 'none',
        tier: 'pro',
      });
      const inherited = await create({ image: 'alpine:latest', name: 'narrow' }, erin.token);
      t.equal(inherited.status, 202);
      t.same(Container.parse(inherited.body).network, { egress: 'none' }, "the tier's egress");
    });
  });
}
