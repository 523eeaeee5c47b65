// Users and API tokens on both drivers: creation with a first token, tier changes, the bootstrap
// admin, and the token lifecycle (create, list without secrets, authenticate, revoke).
import t from 'tap';
import { selectRows, sql } from '../../../packages/control-plane/src/db/index.js';
import { hashToken, newApiToken } from '../../../packages/control-plane/src/ids.js';
import {
  authenticate,
  createToken,
  listTokens,
  revokeToken,
} from '../../../packages/control-plane/src/services/tokens.js';
import {
  bootstrapAdmin,
  createUser,
  getUser,
  listUsers,
  updateUser,
} from '../../../packages/control-plane/src/services/users.js';
import { DB_DRIVERS } from '../../helpers/postgres.js';
import { migratedDatabase } from '../db/migrated-database.js';

for (const driver of DB_DRIVERS) {
  void t.test(driver, async (t) => {
    const { db } = await migratedDatabase(t, driver);

    void t.test(
      'bootstrapAdmin creates one admin on an empty database, then never again',
      async (t) => {
        const given = newApiToken();
        const first = await bootstrapAdmin(db, { token: given });
        t.same({ created: first.created, token: first.token }, { created: true, token: given });
        const auth = await authenticate(db, given);
        t.ok(auth?.user.isAdmin, 'the given token authenticates an admin');
        t.equal(auth?.tier.name, 'enterprise');
        const again = await Promise.all([bootstrapAdmin(db), bootstrapAdmin(db)]);
        t.same(
          again.map((result) => result.created),
          [false, false],
        );
        t.equal((await listUsers(db)).filter((user) => user.isAdmin).length, 1);
      },
    );

    void t.test('bootstrapAdmin rejects a malformed token before touching anything', async (t) => {
      await t.rejects(bootstrapAdmin(db, { token: 'rexec_short' }), { code: 'invalid_request' });
    });

    void t.test(
      'createUser returns the user and a working first token named default',
      async (t) => {
        const { user, token } = await createUser(db, { name: 'Ada', email: 'ada@example.com' });
        t.match(user, { name: 'Ada', email: 'ada@example.com', tier: 'community', isAdmin: false });
        t.equal(token.name, 'default');
        t.equal(token.token_prefix, token.token.slice(0, 12));
        t.same((await authenticate(db, token.token))?.user.id, user.id);
        t.same((await getUser(db, user.id)).id, user.id);
      },
    );

    void t.test('createUser refuses an unknown tier and a duplicate email', async (t) => {
      await t.rejects(createUser(db, { name: 'x', tier: 'platinum' }), {
        code: 'invalid_request',
        details: { issues: [{ path: 'tier' }] },
      });
      await createUser(db, { name: 'Bob', email: 'bob@example.com' });
      await t.rejects(createUser(db, { name: 'Bob2', email: 'bob@example.com' }), {
        code: 'invalid_request',
        details: { issues: [{ path: 'email' }] },
      });
      await t.rejects(createUser(db, { name: '' }), { code: 'invalid_request' });
    });

    void t.test('updateUser changes the tier; unknown tiers and users are refused', async (t) => {
      const { user } = await createUser(db, { name: 'Cy' });
      t.equal((await updateUser(db, user.id, { tier: 'pro' })).tier, 'pro');
      t.equal((await getUser(db, user.id)).tier, 'pro');
      await t.rejects(updateUser(db, user.id, { tier: 'gold' }), { code: 'invalid_request' });
      await t.rejects(updateUser(db, 'usr_' + '0'.repeat(32), { tier: 'pro' }), {
        code: 'not_found',
      });
      await t.rejects(getUser(db, 'not-an-id'), { code: 'not_found' });
    });

    void t.test('tokens: created, listed without secrets, revoked at once', async (t) => {
      const { user, token: first } = await createUser(db, { name: 'Dee' });
      const second = await createToken(db, user.id, 'ci');
      t.match(second, { name: 'ci', token: /^rexec_[0-9a-f]{64}$/ });
      const listed = await listTokens(db, user.id);
      t.same(
        listed.map((token) => token.name),
        ['default', 'ci'],
      );
      for (const token of listed) {
        t.notOk('tokenHash' in token, 'no hash in the listing');
        t.notOk('token' in token, 'no secret in the listing');
      }
      const stored = await selectRows<{ token_hash: string }>(
        db,
        sql`select token_hash from api_tokens where id = ${second.id}`,
      );
      t.equal(stored[0]?.token_hash, hashToken(second.token), 'only the hash is stored');

      await revokeToken(db, user.id, second.id);
      t.equal(await authenticate(db, second.token), null, 'a revoked token no longer works');
      t.ok(await authenticate(db, first.token), 'other tokens still work');
      t.same(
        (await listTokens(db, user.id)).map((token) => token.name),
        ['default'],
      );
      await t.rejects(revokeToken(db, user.id, second.id), { code: 'not_found' });
    });

    void t.test("revoking another user's token is not_found and changes nothing", async (t) => {
      const { user: owner, token } = await createUser(db, { name: 'Eve' });
      const { user: other } = await createUser(db, { name: 'Mallory' });
      await t.rejects(revokeToken(db, other.id, token.id), { code: 'not_found' });
      await t.rejects(revokeToken(db, other.id, 'tok_nope'), { code: 'not_found' });
      t.equal((await authenticate(db, token.token))?.user.id, owner.id);
    });

    void t.test('authenticate returns null for malformed and unknown tokens', async (t) => {
      t.equal(await authenticate(db, ''), null);
      t.equal(await authenticate(db, 'rexec_'), null);
      t.equal(await authenticate(db, newApiToken()), null);
      t.equal(await authenticate(db, 'x'.repeat(1_000_000)), null);
    });

    void t.test('authenticate records last use at most once a minute', async (t) => {
      const { token } = await createUser(db, { name: 'Flo' });
      const lastUsed = async () =>
        (
          await selectRows<{ last_used_at: string | null }>(
            db,
            sql`select last_used_at::text from api_tokens where id = ${token.id}`,
          )
        )[0]?.last_used_at;
      t.equal(await lastUsed(), null);
      await authenticate(db, token.token);
      const first = await lastUsed();
      t.ok(first, 'set on first use');
      await authenticate(db, token.token);
      t.equal(await lastUsed(), first, 'unchanged within the minute');
      await db.execute(
        sql`update api_tokens set last_used_at = now() - interval '2 minutes' where id = ${token.id}`,
      );
      const stale = await lastUsed();
      await authenticate(db, token.token);
      t.not(await lastUsed(), stale, 'refreshed once stale');
    });

    void t.test('token names must be 1 to 100 characters', async (t) => {
      const { user } = await createUser(db, { name: 'Gus' });
      await t.rejects(createToken(db, user.id, ''), { code: 'invalid_request' });
      await t.rejects(createToken(db, user.id, 'x'.repeat(101)), { code: 'invalid_request' });
    });
  });
}
