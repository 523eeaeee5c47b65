// The CLI's pure parts: resource units, the error-to-exit-code table, the next step printed under
// common errors, and the login file (0600 in a 0700 directory, environment overriding it, a broken
// file named in the error).
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { RexecError } from '@rexec/sdk';
import { configPath, credentials, writeConfig } from '../../packages/sdk/src/cli/config-file.js';
import { ExitCode, exitCodeFor } from '../../packages/sdk/src/cli/exit-codes.js';
import { nextStep } from '../../packages/sdk/src/cli/next-step.js';
import { parseCpu, parseMegabytes } from '../../packages/sdk/src/cli/units.js';

void t.test('resource flags accept cores, millicores, megabytes and gigabytes', (t) => {
  t.equal(parseCpu('--cpu', '0.5'), 500);
  t.equal(parseCpu('--cpu', '2'), 2000);
  t.equal(parseCpu('--cpu', '250m'), 250);
  t.equal(parseMegabytes('--memory', '512'), 512);
  t.equal(parseMegabytes('--memory', '512M'), 512);
  t.equal(parseMegabytes('--disk', '2G'), 2048);
  t.equal(parseMegabytes('--disk', '1.5g'), 1536);
  for (const bad of ['', 'lots', '-1', '0', '0.0001', '1.5m']) {
    t.throws(() => parseCpu('--cpu', bad), { name: 'UsageError' }, `cpu ${JSON.stringify(bad)}`);
  }
  for (const bad of ['', 'big', '0', '1K', '0.5']) {
    t.throws(
      () => parseMegabytes('--memory', bad),
      { name: 'UsageError' },
      `memory ${JSON.stringify(bad)}`,
    );
  }
  t.end();
});

void t.test('each error code maps to its documented exit code', (t) => {
  const cases: [string, number][] = [
    ['not_found', ExitCode.NOT_FOUND],
    ['unauthorized', ExitCode.AUTH],
    ['forbidden', ExitCode.AUTH],
    ['container_limit_reached', ExitCode.LIMIT],
    ['resource_limit_exceeded', ExitCode.LIMIT],
    ['rate_limited', ExitCode.LIMIT],
    ['name_taken', ExitCode.CONFLICT],
    ['invalid_state', ExitCode.CONFLICT],
    ['network_error', ExitCode.UNAVAILABLE],
    ['no_capacity', ExitCode.UNAVAILABLE],
    ['container_failed', ExitCode.CONTAINER_FAILED],
    ['internal', ExitCode.API_ERROR],
    ['invalid_request', ExitCode.API_ERROR],
  ];
  for (const [code, exit] of cases) {
    t.equal(exitCodeFor(new RexecError({ status: 400, code, message: 'x' })), exit, code);
  }
  t.end();
});

void t.test('common errors come with a next step, the rest with none', (t) => {
  const step = (code: string, details?: Record<string, unknown>) =>
    nextStep(new RexecError({ status: 400, code, message: 'x', details }));
  t.match(step('unauthorized'), /rexec login --url/);
  t.match(step('not_found'), /rexec ls/);
  t.match(step('container_limit_reached'), /rexec rm/);
  t.match(step('resource_limit_exceeded'), /rexec me/);
  t.match(step('name_taken'), /--name/);
  t.match(step('network_error'), /npm start|rexec login --url/);
  t.match(step('no_capacity', { reason: 'no_host_online' }), /rexec hosts join-token.*rexec-agent/);
  t.match(step('no_capacity', { reason: 'no_host_schedulable' }), /rexec hosts uncordon/);
  t.match(step('no_capacity', { reason: 'no_host_schedulable' }), /rexec hosts trust <id>/);
  t.equal(
    step('no_capacity', {
      reason: 'no_host_with_room',
      largest_fit: { cpu_millicores: 1500, memory_mb: 2048, disk_mb: 4096 },
    }),
    'ask for less, e.g. rexec create … --cpu 1500m --memory 2048 --disk 4096',
  );
  t.match(step('no_capacity', { reason: 'no_host_with_room', largest_fit: null }), /add a host/);
  t.equal(step('internal'), undefined);
  t.equal(step('invalid_request'), undefined);
  t.end();
});

void t.test('the login file is private and the environment overrides it', async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'rexec-cli-parts-'));
  t.teardown(() => rm(home, { recursive: true }));
  const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'xdg') };
  const path = configPath(env);
  t.equal(path, join(home, 'xdg', 'rexec', 'config.json'));
  t.equal(configPath({ HOME: home }), join(home, '.config', 'rexec', 'config.json'));

  await t.rejects(credentials(env), { message: /Not logged in/ });
  await writeConfig(path, { url: 'http://a', token: 'rexec_a' });
  t.equal((await stat(path)).mode & 0o777, 0o600);
  t.equal((await stat(join(home, 'xdg', 'rexec'))).mode & 0o777, 0o700);
  t.same(JSON.parse(await readFile(path, 'utf8')), { url: 'http://a', token: 'rexec_a' });
  t.same(await credentials(env), { url: 'http://a', token: 'rexec_a' });
  t.same(await credentials({ ...env, REXEC_URL: 'http://b', REXEC_TOKEN: 'rexec_b' }), {
    url: 'http://b',
    token: 'rexec_b',
  });

  await writeFile(path, '{not json');
  await t.rejects(credentials(env), { message: /config\.json is not valid JSON/ });
});
