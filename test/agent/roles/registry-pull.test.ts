// A successful pull on the real engines (issue 24, error path 10): an image pushed to a registry
// on loopback that the engine lacks is pulled by the agent's own path (`run --pull never`, found
// missing, `pull`, run again) and a container runs from it. image-pull.test.ts has the failures.
// podman speaks plain HTTP to a registry only when registries.conf says `insecure`; the agent's
// engine calls inherit its environment, so the test points CONTAINERS_REGISTRIES_CONF at a file
// saying so (an operator writes the same entry in /etc/containers/registries.conf). dockerd
// treats 127.0.0.0/8 as insecure by default.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import t from 'tap';
import type { Test } from 'tap';
import { retryWhileBusy } from '../../../packages/agent/src/runtime/busy-retry.js';
import { createCliRuntime } from '../../../packages/agent/src/runtime/cli-runtime.js';
import { containerName } from '../../../packages/agent/src/runtime/labels.js';
import {
  BUSYBOX_IMAGE,
  ENGINE_KINDS,
  engine,
  hasImage,
  removeTestHost,
  requireEngine,
  requiredEngines,
} from '../../helpers/engine.js';
import type { EngineKind } from '../../helpers/engine.js';
import { startLoopbackRegistry } from '../../helpers/loopback-registry.js';
import type { LoopbackRegistry } from '../../helpers/loopback-registry.js';

/** Puts the busybox test image in the registry as `reference`, leaving no such tag locally. */
async function push(kind: EngineKind, reference: string): Promise<void> {
  if (kind === 'podman') {
    // podman pushes straight from its store; no local tag is made.
    await engine(kind, ['push', '--tls-verify=false', BUSYBOX_IMAGE, reference]);
    return;
  }
  await engine(kind, ['tag', BUSYBOX_IMAGE, reference]);
  await engine(kind, ['push', reference]);
  await engine(kind, ['rmi', reference]);
}

/** podman reads registries.conf from the environment the agent's engine calls inherit. */
function allowPlainHttp(t: Test, kind: EngineKind, registry: LoopbackRegistry): void {
  if (kind !== 'podman') return;
  const before = process.env['CONTAINERS_REGISTRIES_CONF'];
  process.env['CONTAINERS_REGISTRIES_CONF'] = registry.registriesConf;
  t.teardown(() => {
    if (before === undefined) delete process.env['CONTAINERS_REGISTRIES_CONF'];
    else process.env['CONTAINERS_REGISTRIES_CONF'] = before;
  });
}

async function pullsAndRuns(t: Test, kind: EngineKind): Promise<void> {
  await requireEngine(t, kind);
  const registry = await startLoopbackRegistry(t);
  const suffix = randomBytes(4).toString('hex');
  const reference = `${registry.host}/rexec-test/pulled-${suffix}:1`;
  const hostId = `roles-registry-${suffix}`;
  // One teardown, in order: the container before the image it holds (the registry's own
  // teardown, registered earlier, runs after this one).
  t.teardown(async () => {
    await removeTestHost(kind, hostId);
    if (await hasImage(kind, reference)) {
      await retryWhileBusy(() => engine(kind, ['rmi', reference]));
    }
  });
  await push(kind, reference);
  t.notOk(await hasImage(kind, reference), 'the engine lacks the image before the create');
  const pushed = registry.requests().length;

  allowPlainHttp(t, kind, registry);
  const runtime = createCliRuntime({
    kind,
    hostId,
    log: pino({ level: 'silent' }),
    kernelOomWatch: false,
    registryMirrors: new Map(),
  });
  t.teardown(() => runtime.close());
  const containerId = `c-${suffix}`;
  const created = await runtime.createAndStart({
    containerId,
    userId: 'user-1',
    image: reference,
    cpuMillicores: 500,
    memoryMb: 64,
    pidsLimit: 100,
    command: ['sleep', '3600'],
  });
  t.equal(created.state, 'running', 'the create succeeds');

  t.ok(await hasImage(kind, reference), 'the engine has the image after the create');
  // podman GETs the manifest; dockerd, which still holds the same layers and config from the
  // push, only resolves the tag with a HEAD. Either way the engine asked this registry.
  const manifest = new RegExp(`^(GET|HEAD) /v2/rexec-test/pulled-${suffix}/manifests/`);
  const asked = registry
    .requests()
    .slice(pushed)
    .filter((request) => manifest.test(request));
  t.ok(asked.length > 0, 'the pull asked the loopback registry for the manifest', {
    requests: registry.requests().slice(pushed),
  });
  const observed = await runtime.inspect(containerId);
  t.equal(observed?.state, 'running', 'the engine reports the container running');
  t.equal(observed?.image, reference, 'from the pulled image');
  const echoed = await engine(kind, ['exec', containerName(containerId), 'echo', 'pulled']);
  t.equal(echoed.stdout.trim(), 'pulled', 'a command runs in it');
}

for (const kind of ENGINE_KINDS) {
  void t.test(`${kind}: an image on a loopback registry is pulled and run`, async (t) => {
    if (!requiredEngines().includes(kind) && !(await hasImage(kind, BUSYBOX_IMAGE))) {
      // Not promised here (CI promises both) and absent: a laptop with one engine.
      t.comment(`${kind} is not set up here and REXEC_REQUIRE_ENGINES does not ask for it`);
      return;
    }
    await pullsAndRuns(t, kind);
  });
}
