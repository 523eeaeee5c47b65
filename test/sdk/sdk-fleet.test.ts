// The SDK against the real thing: a control plane process, an agent process and podman running
// busybox. Covers the full container lifecycle with `wait`, every error class the API answers
// (401, 403 forbidden and both limits, 404, 409, 429 with retryAfter, 400), and the terminal:
// echo, detach and resume by session, exit codes, and refusals read as REST errors.
import t from 'tap';
import { BUSYBOX_IMAGE } from '../helpers/engine.js';
import { RexecClient, RexecError, type Container } from '@rexec/sdk/node';
import { startFleet } from '../e2e/fleet.js';
import { askUntil, collect } from './terminal-output.js';
import { rejectionOf } from '../helpers/net.js';

const rejection = (promise: Promise<unknown>) => rejectionOf(promise, RexecError);

const SMALL = { cpu_millicores: 250, memory_mb: 64, disk_mb: 512 };

function box(name?: string) {
  return {
    ...(name === undefined ? {} : { name }),
    image: 'custom' as const,
    custom_image: BUSYBOX_IMAGE,
    resources: SMALL,
  };
}

void t.test('the SDK on a real fleet', async (t) => {
  const fleet = await startFleet(t);
  await fleet.joinAgent('sdk-host-1', {
    REXEC_CAPACITY_CPU_MILLICORES: '4000',
    REXEC_CAPACITY_MEMORY_MB: '4096',
    REXEC_CAPACITY_DISK_MB: '40960',
  });
  const admin = new RexecClient({
    baseUrl: fleet.controlPlane.url,
    token: fleet.controlPlane.adminToken,
  });

  await t.test('a container lives its lifecycle, create waiting until it runs', async (t) => {
    const seen: Container['status'][] = [];
    const running = await admin.containers.create(box('sdk-box'), {
      wait: true,
      timeoutMs: 120_000,
      onProgress: (container) => seen.push(container.status),
    });
    t.equal(running.status, 'running');
    t.equal(seen[0], 'creating', 'progress starts with the 202 answer');
    t.equal(seen.at(-1), 'running', 'progress ends with running');
    t.equal((await admin.containers.get('sdk-box')).id, running.id, 'found by name');

    const list = await admin.containers.list();
    t.same(
      list.containers.map((c) => c.id),
      [running.id],
    );
    t.equal(list.count, 1);
    const all: string[] = [];
    for await (const c of admin.containers.all({ limit: 1 })) all.push(c.id);
    t.same(all, [running.id], 'all() pages through');

    const stopped = await admin.containers.stop(running.id);
    t.equal(stopped.status, 'stopped');
    t.equal(stopped.status_reason, 'user');
    t.equal((await admin.containers.list({ status: 'running' })).containers.length, 0);
    const restarted = await admin.containers.start('sdk-box');
    t.equal(restarted.status, 'running');
    t.same(await admin.containers.delete('sdk-box'), { status: 'removed' });
    t.equal((await rejection(admin.containers.get(running.id))).code, 'not_found');
  });

  await t.test('a terminal echoes, resumes by session and reports the exit code', async (t) => {
    const container = await admin.containers.create(box('sdk-term'), { wait: true });
    const first = admin.terminal.connect(container.id, { session: 'work', cols: 100, rows: 30 });
    const firstOut = collect(first);
    t.same(await first.ready, { session: 'work', resumed: false });
    first.write('echo hello-$((6*7))\n');
    await firstOut.waitFor(/hello-42/);
    first.write('MARK=kept-in-shell\n');
    first.resize(120, 40);
    await askUntil(first, firstOut, 'stty size\n', /40 120/);
    first.close();
    const detached = await first.closed;
    t.equal(detached.error, undefined, 'closing is not an error');
    t.equal(detached.exitCode, undefined, 'the shell did not exit');

    const again = admin.terminal.connect('sdk-term', { session: 'work' });
    const againOut = collect(again);
    t.same(await again.ready, { session: 'work', resumed: true });
    await againOut.waitFor(/hello-42/, 20_000);
    t.pass('the scrollback is replayed on resume');
    const mark = againOut.text().length;
    again.write('echo "$MARK"\n');
    await againOut.waitFor(/kept-in-shell/, 20_000, mark);
    t.pass('the same shell, with its variables, answers');

    const other = admin.terminal.connect('sdk-term', { session: 'other' });
    t.same(
      await other.ready,
      { session: 'other', resumed: false },
      'another session is a new shell',
    );
    other.close();
    await other.closed;

    const exits: number[] = [];
    again.onExit((code) => exits.push(code));
    again.write('exit 3\n');
    const end = await again.closed;
    t.equal(end.exitCode, 3);
    t.same(exits, [3]);
    t.equal(end.error, undefined);

    await admin.containers.stop('sdk-term');
    const refused = admin.terminal.connect('sdk-term');
    const error = await rejection(refused.ready);
    t.equal(error.status, 409);
    t.equal(error.code, 'invalid_state', 'a stopped container refuses with the REST error');
    t.equal((await refused.closed).error?.code, 'invalid_state');
    t.equal((await rejection(admin.terminal.connect('no-such-box').ready)).code, 'not_found');
    await admin.containers.delete('sdk-term');
  });

  await t.test('every error class arrives as a RexecError with its details', async (t) => {
    const stranger = new RexecClient({
      baseUrl: fleet.controlPlane.url,
      token: `rexec_${'0'.repeat(64)}`,
    });
    const unauthorized = await rejection(stranger.me());
    t.equal(unauthorized.status, 401);
    t.equal(unauthorized.code, 'unauthorized');
    t.ok(unauthorized.message.length > 0);

    await admin.tiers.update('pro', { max_containers: 1 });
    const small = await admin.users.create({ name: 'small-user', tier: 'pro' });
    const user = new RexecClient({ baseUrl: fleet.controlPlane.url, token: small.token });
    t.equal((await user.me()).tier.max_containers, 1);

    const forbidden = await rejection(user.hosts.list());
    t.equal(forbidden.status, 403);
    t.equal(forbidden.code, 'forbidden');

    const tooBig = await rejection(
      user.containers.create({ ...box(), resources: { ...SMALL, cpu_millicores: 64_000 } }),
    );
    t.equal(tooBig.status, 403);
    t.equal(tooBig.code, 'resource_limit_exceeded');
    t.match(tooBig.details, { resource: 'cpu_millicores', requested: 64_000, tier: 'pro' });

    const mine = await user.containers.create(box('only-one'));
    const limit = await rejection(user.containers.create(box('second')));
    t.equal(limit.status, 403);
    t.equal(limit.code, 'container_limit_reached');
    t.match(limit.details, { limit: 1, current: 1, tier: 'pro' });

    const notFound = await rejection(user.containers.get('not-there'));
    t.equal(notFound.status, 404);
    t.equal(notFound.code, 'not_found');
    t.equal(
      (await rejection(admin.containers.get(mine.id))).code,
      'not_found',
      "another user's container is not found",
    );

    await admin.containers.create(box('taken-name'));
    const taken = await rejection(admin.containers.create(box('taken-name')));
    t.equal(taken.status, 409);
    t.equal(taken.code, 'name_taken');

    const invalid = await rejection(admin.containers.create({ ...box(), name: 'Bad Name' }));
    t.equal(invalid.status, 400);
    t.equal(invalid.code, 'invalid_request');
    t.match(invalid.details, { issues: [{ path: 'name' }] });

    await admin.tiers.update('community', { rate_limits: { list_per_minute: 2 } });
    const limited = await admin.users.create({ name: 'limited-user' });
    const hurried = new RexecClient({
      baseUrl: fleet.controlPlane.url,
      token: limited.token,
      // Retries are on, but a Retry-After beyond maxDelayMs is handed back rather than slept.
      retry: { maxRetries: 3, maxDelayMs: 100 },
    });
    await hurried.me();
    await hurried.me();
    const rateLimited = await rejection(hurried.me());
    t.equal(rateLimited.status, 429);
    t.equal(rateLimited.code, 'rate_limited');
    t.ok(
      rateLimited.retryAfter !== undefined && rateLimited.retryAfter >= 1,
      `retryAfter is a positive number of seconds (${rateLimited.retryAfter})`,
    );
  });

  await t.test(
    'create with wait rejects with the status reason when the container fails',
    async (t) => {
      const error = await rejection(
        admin.containers.create(
          {
            image: 'custom',
            custom_image: 'localhost/rexec-test/does-not-exist:1',
            resources: SMALL,
          },
          { wait: true, timeoutMs: 120_000 },
        ),
      );
      t.equal(error.code, 'container_failed');
      t.equal(error.details['status'], 'error');
      t.type(error.details['status_reason'], 'string');
      t.match(error.message, String(error.details['status_reason']));
      const failed = error.details['container'] as Container;
      const logs = await admin.containers.logs(failed.id);
      t.match(logs.status_detail, /does-not-exist/, "the engine's message is in the status detail");
      t.equal((await rejection(admin.containers.logs('no-such-box'))).code, 'not_found');
    },
  );

  await t.test('admins list and revoke join tokens and approve hosts', async (t) => {
    const created = await admin.hosts.createJoinToken();
    t.match(created.id, /^jtk_/);
    const listed = await admin.hosts.listJoinTokens();
    t.match(
      listed.find((token) => token.id === created.id),
      { status: 'active' },
      'listed without its secret',
    );
    t.notMatch(JSON.stringify(listed), /rexec_join_/);
    await admin.hosts.revokeJoinToken(created.id ?? '');
    t.notOk((await admin.hosts.listJoinTokens()).some((token) => token.id === created.id));
    t.equal((await rejection(admin.hosts.revokeJoinToken(created.id ?? ''))).code, 'not_found');
    const [host] = await admin.hosts.list();
    if (host === undefined) throw new Error('the fleet has a host');
    t.equal((await admin.hosts.approve(host.id)).scheduling, host.scheduling, 'already approved');
  });
});
