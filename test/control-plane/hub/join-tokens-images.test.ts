// Join tokens an admin can see and take back, and the custom images a tenant may run, over the real
// hub on Postgres with a scripted agent peer: the list never shows a secret, a revoked token no
// longer enrolls, non-admins cannot name localhost/, IP-literal or LAN registries
// (image_not_allowed), and every custom create tells the agent to ask the registry again.
import {
  Container,
  ErrorBody,
  JoinTokenCreated,
  JoinTokenList,
  type ControlCommand,
} from '@rexec/protocol';
import t from 'tap';
import { parseAllowedRegistries } from '../../../packages/control-plane/src/services/image-policy.js';
import { call, newUser } from '../http/server.js';
import { onlinePeer, startHubServer } from './hub-server.js';

void t.test('join tokens are listed without secrets and can be revoked', async (t) => {
  const server = await startHubServer(t, 'pg');
  const admin = { token: server.adminToken };
  const mint = async () =>
    JoinTokenCreated.parse(
      (await call(server, 'POST', '/api/v1/hosts/join-tokens', { ...admin, json: {} })).body,
    );
  const kept = await mint();
  const revoked = await mint();
  t.match(kept.id, /^jtk_[0-9a-f]{32}$/, 'a created token says its id');

  const listed = await call(server, 'GET', '/api/v1/hosts/join-tokens', admin);
  t.equal(listed.status, 200);
  const list = JoinTokenList.parse(listed.body).join_tokens;
  t.same(list.map((token) => token.id).sort(), [kept.id, revoked.id].sort());
  t.ok(list.every((token) => token.status === 'active'));
  t.notMatch(JSON.stringify(listed.body), /rexec_join_/, 'no secret in the list');

  const gone = await call(server, 'DELETE', `/api/v1/hosts/join-tokens/${revoked.id ?? ''}`, admin);
  t.equal(gone.status, 204);
  const enrol = (token: string) =>
    call(server, 'POST', '/api/v1/agent/enroll', {
      token,
      json: { host_name: 'late', agent_version: '0.1.0', protocol_version: 1 },
    });
  t.equal((await enrol(revoked.token)).status, 401, 'a revoked token no longer enrolls');
  t.equal((await enrol(kept.token)).status, 201);
  const after = JoinTokenList.parse(
    (await call(server, 'GET', '/api/v1/hosts/join-tokens', admin)).body,
  );
  t.match(after.join_tokens, [{ id: kept.id, status: 'used', used_at: String }]);
  const again = await call(
    server,
    'DELETE',
    `/api/v1/hosts/join-tokens/${revoked.id ?? ''}`,
    admin,
  );
  t.equal(again.status, 404);
  t.equal(ErrorBody.parse(again.body).code, 'not_found');
  const user = await newUser(server, 'quinn');
  const byUser = await call(server, 'GET', '/api/v1/hosts/join-tokens', { token: user.token });
  t.equal(byUser.status, 403, 'admins only');
});

void t.test('custom images: registries non-admins may name, and a pull on every use', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { peer } = await onlinePeer(t, server, 'images');
  const user = await newUser(server, 'rena');
  const resources = { cpu_millicores: 250, memory_mb: 128 };
  const create = (token: string, body: Record<string, unknown>) =>
    call(server, 'POST', '/api/v1/containers', { token, json: { resources, ...body } });
  const custom = (reference: string) => ({ image: 'custom', custom_image: reference });

  for (const reference of [
    'localhost/rexec-test/busybox:latest',
    'localhost:5000/team/app:1',
    '10.0.0.5:5000/team/app:1',
    'registry:5000/team/app:1',
    'registry.internal/team/app:1',
  ]) {
    const refused = await create(user.token, custom(reference));
    t.equal(refused.status, 403, reference);
    t.match(refused.body, { code: 'image_not_allowed', image: reference });
  }

  const specOf = async (answer: { body: unknown }): Promise<ControlCommand['command']> => {
    const id = Container.parse(answer.body).id;
    const command = await peer.command((c) => c.container_id === id);
    peer.succeed(command, 'running');
    return command.command;
  };
  const fromHub = await create(user.token, custom('ghcr.io/team/app:1'));
  t.equal(fromHub.status, 202, 'a public registry is allowed');
  t.match(await specOf(fromHub), {
    action: 'create',
    spec: { image: 'ghcr.io/team/app:1', image_pull: 'always' },
  });
  const shortForm = await create(user.token, custom('alpine:3.19'));
  t.match(await specOf(shortForm), { spec: { image: 'alpine:3.19', image_pull: 'always' } });
  const catalog = await specOf(await create(user.token, { image: 'alpine:latest' }));
  t.notOk(
    catalog.action === 'create' && 'image_pull' in catalog.spec,
    'catalog images are not pulled each time',
  );
  const byAdmin = await create(server.adminToken, custom('localhost/rexec-test/busybox:latest'));
  t.equal(byAdmin.status, 202, "an admin may run the operator's localhost/ images");
  t.match(await specOf(byAdmin), { spec: { image_pull: 'missing' } });
});

void t.test('REXEC_ALLOWED_REGISTRIES lets an admin allow a registry by name', async (t) => {
  const server = await startHubServer(
    t,
    'pg',
    {},
    {},
    {
      allowedRegistries: parseAllowedRegistries('localhost, 10.0.0.5:5000'),
    },
  );
  await onlinePeer(t, server, 'allowed');
  const user = await newUser(server, 'sol');
  const create = (reference: string) =>
    call(server, 'POST', '/api/v1/containers', {
      token: user.token,
      json: {
        image: 'custom',
        custom_image: reference,
        resources: { cpu_millicores: 250, memory_mb: 128 },
      },
    });
  t.equal((await create('localhost/team/app:1')).status, 202);
  t.equal((await create('10.0.0.5:5000/team/app:1')).status, 202);
  const notListed = await create('ghcr.io/team/app:1');
  t.equal(notListed.status, 403, 'without "public", only the listed registries');
  t.throws(() => parseAllowedRegistries(' , '), /public/);
  t.throws(() => parseAllowedRegistries('not a host!'), /registry host/);
});
