// The read-only catalog (images, roles, tiers) and GET /me over real HTTP on both drivers.
import { ImageList, Me, RoleList, TierList } from '@rexec/protocol';
import t from 'tap';
import { DB_DRIVERS } from '../../helpers/postgres.js';
import { insertContainer } from './rows.js';
import { call, newUser, startServer } from './server.js';

for (const driver of DB_DRIVERS) {
  void t.test(`catalog and /me on ${driver}`, async (t) => {
    const server = await startServer(t, driver);
    const heidi = await newUser(server, 'heidi');

    void t.test('images and roles list the catalog', async (t) => {
      const images = ImageList.parse(
        (await call(server, 'GET', '/api/v1/images', { token: heidi.token })).body,
      );
      t.same(
        images.images.map((image) => image.name),
        ['ubuntu:24.04', 'debian:bookworm', 'alpine:latest', 'archlinux:latest', 'custom'],
      );
      t.equal(images.images.find((i) => i.name === 'alpine:latest')?.package_manager, 'apk');
      const roles = RoleList.parse(
        (await call(server, 'GET', '/api/v1/roles', { token: heidi.token })).body,
      );
      t.same(
        roles.roles.map((role) => role.name),
        ['node', 'python', 'go', 'rust', 'devops', 'barebone'],
      );
    });

    void t.test('tiers show the DESIGN defaults', async (t) => {
      const res = await call(server, 'GET', '/api/v1/tiers', { token: heidi.token });
      const tiers = TierList.parse(res.body).tiers;
      t.same(
        tiers.map((tier) => [tier.name, tier.max_containers, tier.session_hours]),
        [
          ['community', 5, 50],
          ['pro', 10, 168],
          ['enterprise', 25, null],
        ],
      );
      t.same(tiers[0]?.rate_limits, {
        create_per_minute: 10,
        operations_per_minute: 60,
        list_per_minute: 120,
      });
      t.same(
        tiers.map((tier) => [tier.name, tier.default_resources]),
        [
          ['community', { cpu_millicores: 1000, memory_mb: 1024, disk_mb: 5120, network_mbps: 10 }],
          ['pro', { cpu_millicores: 2000, memory_mb: 2048, disk_mb: 10240, network_mbps: 100 }],
          [
            'enterprise',
            { cpu_millicores: 2000, memory_mb: 4096, disk_mb: 20480, network_mbps: 1000 },
          ],
        ],
        'each tier shows the defaults an omitted resource gets',
      );
    });

    void t.test('/me shows the user, the tier limits and current usage', async (t) => {
      await insertContainer(server.database, heidi.id, { name: 'a', cpuMillicores: 500 });
      await insertContainer(server.database, heidi.id, { name: 'b', cpuMillicores: 1500 });
      const me = Me.parse((await call(server, 'GET', '/api/v1/me', { token: heidi.token })).body);
      t.match(me.user, { id: heidi.id, name: 'heidi', tier: 'community', is_admin: false });
      t.equal(me.tier.cpu_millicores, 2000);
      t.equal(me.tier.default_resources?.cpu_millicores, 1000);
      t.same(me.usage, { containers: 2, cpu_millicores: 2000, memory_mb: 1024, disk_mb: 2048 });
    });
  });
}
