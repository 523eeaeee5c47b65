// Pulling on the real engine: an image the engine has is run without a pull (a mirror that does
// not exist is never asked), a missing one is pulled through its registry's mirror and, when that
// fails, the create fails with image_pull_failed and the engine's words. The mirrors here do not
// exist; registry-pull.test.ts shows a successful pull from a loopback registry, and the e2e suite
// covers the failure through the API.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import t from 'tap';
import type { Test } from 'tap';
import { createCliRuntime } from '../../../packages/agent/src/runtime/cli-runtime.js';
import { RuntimeError } from '../../../packages/agent/src/runtime/errors.js';
import { parseRegistryMirrors } from '../../../packages/agent/src/runtime/registry-mirrors.js';
import type { ContainerSpec } from '../../../packages/agent/src/runtime/types.js';
import { BUSYBOX_IMAGE, engine, removeTestHost, requireEngine } from '../../helpers/engine.js';

const MIRRORS = parseRegistryMirrors(
  'docker.io=mirror.rexec.invalid,localhost=mirror.rexec.invalid',
);

async function mirroredRuntime(t: Test) {
  const kind = await requireEngine(t);
  const hostId = `roles-pull-${randomBytes(4).toString('hex')}`;
  const runtime = createCliRuntime({
    kind,
    hostId,
    log: pino({ level: 'silent' }),
    kernelOomWatch: false,
    registryMirrors: MIRRORS,
  });
  t.teardown(() => removeTestHost(kind, hostId));
  return runtime;
}

function spec(image: string): ContainerSpec {
  return {
    containerId: `c-${randomBytes(4).toString('hex')}`,
    userId: 'user-1',
    image,
    cpuMillicores: 500,
    memoryMb: 64,
    pidsLimit: 100,
    command: ['sleep', '3600'],
  };
}

void t.test('an image the engine has is run without pulling', async (t) => {
  const runtime = await mirroredRuntime(t);
  const created = await runtime.createAndStart(spec(BUSYBOX_IMAGE));
  t.equal(created.state, 'running');
});

void t.test('a missing image is pulled through the mirror; a failed pull says so', async (t) => {
  const runtime = await mirroredRuntime(t);
  const wanted = spec('docker.io/rexec-test/absent:1');
  const error = await runtime.createAndStart(wanted).then(
    () => null,
    (failure: unknown) => failure,
  );
  t.ok(error instanceof RuntimeError, 'a RuntimeError');
  if (!(error instanceof RuntimeError)) return;
  t.equal(error.code, 'image_pull_failed');
  t.match(error.message, /docker\.io\/rexec-test\/absent:1 could not be pulled/);
  t.match(error.message, /via mirror mirror\.rexec\.invalid\/rexec-test\/absent:1/);
  t.same(error.command.slice(1), ['pull', 'mirror.rexec.invalid/rexec-test/absent:1']);
  t.not(error.stderr, '', "the engine's message is kept");
  t.equal(await runtime.inspect(wanted.containerId), null, 'nothing is left behind');
});

void t.test('a localhost image that is missing is not pulled', async (t) => {
  const runtime = await mirroredRuntime(t);
  await t.rejects(runtime.createAndStart(spec('localhost/rexec-test/absent:1')), {
    code: 'image_missing',
    message: /is not present on this host/,
  });
});

void t.test(
  "an image another tenant's pull left in the engine is not run without its registry",
  async (t) => {
    const kind = await requireEngine(t);
    // Tenant A's pull, as the engine keeps it: the image sits locally under its registry name.
    const cached = `registry.rexec.invalid/tenant-a/private-${randomBytes(4).toString('hex')}:1`;
    await engine(kind, ['tag', BUSYBOX_IMAGE, cached]);
    t.teardown(() => engine(kind, ['rmi', cached]).then(() => undefined));
    const runtime = await mirroredRuntime(t);
    // Tenant B's create says each use must ask the registry, which refuses (here: cannot be
    // reached): the create fails even though the engine has the image.
    const error = await runtime.createAndStart({ ...spec(cached), imagePull: 'always' }).then(
      () => null,
      (failure: unknown) => failure,
    );
    t.ok(error instanceof RuntimeError, 'a RuntimeError');
    if (!(error instanceof RuntimeError)) return;
    t.equal(error.code, 'image_pull_failed');
    t.match(error.message, /registry\.rexec\.invalid/);
    const created = await runtime.createAndStart(spec(cached));
    t.equal(created.state, 'running', 'without image_pull: always the cached copy runs, as before');
  },
);
