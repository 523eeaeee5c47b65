// Cutting a user off reaches open terminals: revoking the token a terminal was opened with, or
// disabling its user, ends it (error `unauthorized`, close 4003, the shell terminated) within the
// relay's re-check interval, while terminals on other tokens carry on; deleting a user removes
// its containers from their host through the ordinary delete. Real control plane on Postgres, real
// `ws` terminal clients, the scripted agent peer standing for the agent.
import { CloseCode, TokenCreated, User } from '@rexec/protocol';
import t from 'tap';
import { sql } from '../../../packages/control-plane/src/db/index.js';
import { selectRows } from '../../../packages/control-plane/src/db/rows.js';
import { call, newUser } from '../http/server.js';
import { onlinePeer, startHubServer } from '../hub/hub-server.js';
import { openTerminal, runningContainer } from './relay-fixture.js';
import type { TerminalClient } from './terminal-client.js';

/** The terminal still relays: a ping is answered. */
async function stillOpen(client: TerminalClient): Promise<boolean> {
  client.control({ type: 'ping' });
  return (await client.next('pong')).type === 'pong';
}

void t.test('cutting a user off', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { peer } = await onlinePeer(t, server, 'cut-host');
  const alice = await newUser(server, 'alice');
  const box = await runningContainer(server, peer, alice.token, 'box');
  const minted = await call(server, 'POST', '/api/v1/tokens', {
    token: alice.token,
    json: { name: 'laptop' },
  });
  const laptop = TokenCreated.parse(minted.body);

  void t.test('revoking a token ends the terminals opened with it, and only those', async (t) => {
    const revoked = await openTerminal(server, peer, box, laptop.token, { session: 'laptop' });
    const kept = await openTerminal(server, peer, box, alice.token, { session: 'desk' });
    const gone = await call(server, 'DELETE', `/api/v1/tokens/${laptop.id}`, {
      token: alice.token,
    });
    t.equal(gone.status, 204);
    t.match(await revoked.client.next('error'), { code: 'unauthorized' });
    t.match(await revoked.client.closed, { code: CloseCode.UNAUTHORIZED });
    t.match(
      await peer.next('CONTROL_TERMINAL_CLOSE', (m) => m.channel === revoked.open.channel),
      { mode: 'terminate' },
      'the shell is ended on the agent',
    );
    t.ok(await stillOpen(kept.client), 'a terminal on another token carries on');
    kept.client.ws.close();
  });

  void t.test('disabling a user ends its terminals; enabling lets it back in', async (t) => {
    const open = await openTerminal(server, peer, box, alice.token, { session: 'again' });
    const disabled = await call(server, 'PATCH', `/api/v1/users/${alice.id}`, {
      token: server.adminToken,
      json: { disabled: true },
    });
    t.equal(disabled.status, 200);
    t.equal(User.parse(disabled.body).disabled, true);
    t.match(await open.client.next('error'), { code: 'unauthorized' });
    t.match(await open.client.closed, { code: CloseCode.UNAUTHORIZED });
    const refused = await call(server, 'GET', '/api/v1/me', { token: alice.token });
    t.equal(refused.status, 401);
    t.equal(refused.body.code, 'user_disabled');
    const enabled = await call(server, 'PATCH', `/api/v1/users/${alice.id}`, {
      token: server.adminToken,
      json: { disabled: false },
    });
    t.equal(User.parse(enabled.body).disabled, false);
    const back = await openTerminal(server, peer, box, alice.token, { session: 'back' });
    t.ok(await stillOpen(back.client));
    back.client.ws.close();
  });

  void t.test('deleting a user removes its containers from the host and its tokens', async (t) => {
    const bob = await newUser(server, 'bob');
    const bobBox = await runningContainer(server, peer, bob.token, 'bob-box');
    const open = await openTerminal(server, peer, bobBox, bob.token);
    const deleting = call(server, 'DELETE', `/api/v1/users/${bob.id}`, {
      token: server.adminToken,
    });
    const remove = await peer.command((c) => c.container_id === bobBox);
    t.same(remove.command, { action: 'remove', remove_volume: true });
    peer.succeed(remove, 'missing');
    t.equal((await deleting).status, 204);
    t.equal((await open.client.closed).code, CloseCode.CONTAINER_STOPPED);
    const [row] = await selectRows<{ deleted: boolean }>(
      server.database.db,
      sql`select deleted_at is not null as deleted from containers where id = ${bobBox}`,
    );
    t.equal(row?.deleted, true, 'the container went through the ordinary delete');
    const tokens = await selectRows<{ n: number }>(
      server.database.db,
      sql`select count(*)::int as n from api_tokens where user_id = ${bob.id}`,
    );
    t.equal(tokens[0]?.n, 0, 'the tokens are gone');
    t.equal((await call(server, 'GET', '/api/v1/me', { token: bob.token })).status, 401);
    const users = await call(server, 'GET', '/api/v1/users', { token: server.adminToken });
    t.notOk(
      (users.body.users as { id: string }[]).some((user) => user.id === bob.id),
      'no longer listed',
    );
    const again = await call(server, 'DELETE', `/api/v1/users/${bob.id}`, {
      token: server.adminToken,
    });
    t.equal(again.status, 404);
  });
});
