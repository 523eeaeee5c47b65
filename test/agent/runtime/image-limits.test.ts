// What a custom image may not do to the host's disk (issue 16): its VOLUME lines do not make
// unmeasured room (podman keeps them in the writable layer with `--image-volume ignore`; docker's
// engine volumes are measured with it), so writing there past disk_mb stops the container with
// `disk_quota_exceeded`; and an image over REXEC_MAX_IMAGE_MB is refused with `image_too_large`
// and removed, while one under the cap runs. The images are built here from the busybox test image
// and removed afterwards.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentMessage } from '@rexec/protocol';
import { execa } from 'execa';
import { pino } from 'pino';
import t from 'tap';
import type { Test } from 'tap';
import { createDiskMonitor } from '../../../packages/agent/src/disk/disk-monitor.js';
import { createQuotaStops } from '../../../packages/agent/src/disk/quota-stops.js';
import { createCliRuntime } from '../../../packages/agent/src/runtime/cli-runtime.js';
import { RuntimeError } from '../../../packages/agent/src/runtime/errors.js';
import { hasImage } from '../../helpers/engine.js';
import { containerId } from '../agent-fixture.js';
import type { EngineKind } from '../../helpers/engine.js';
import {
  BUSYBOX_IMAGE,
  busyboxSpec,
  makeRuntime,
  rawInspect,
  removeByHost,
  uniqueId,
} from './fixture.js';

type Status = Extract<AgentMessage, { type: 'AGENT_CONTAINER_STATUS' }>;

/** Builds `name` from a Containerfile and extra files; removed at teardown. */
async function buildImage(
  t: Test,
  kind: EngineKind,
  name: string,
  containerfile: string,
  files: Record<string, Buffer> = {},
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'rexec-image-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'Containerfile'), containerfile);
  for (const [file, bytes] of Object.entries(files)) await writeFile(join(dir, file), bytes);
  // docker's legacy builder: buildx is not installed here, and nothing is fetched either way.
  await execa(kind, ['build', '-t', name, '-f', join(dir, 'Containerfile'), dir], {
    env: { DOCKER_BUILDKIT: '0' },
    timeout: 120_000,
  });
  t.teardown(async () => {
    await execa(kind, ['image', 'rm', '--force', name], { reject: false });
  });
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

void t.test("an image's VOLUME path is held to disk_mb like the rest", async (t) => {
  const { kind, hostId } = await makeRuntime(t);
  const log = pino({ level: 'silent' });
  const runtime = createCliRuntime({ kind, hostId, log });
  const image = `localhost/rexec-test/volume-${randomBytes(4).toString('hex')}:latest`;
  await buildImage(t, kind, image, `FROM ${BUSYBOX_IMAGE}\nVOLUME /data\n`);
  const statuses: Status[] = [];
  const send = (message: AgentMessage) => {
    if (message.type === 'AGENT_CONTAINER_STATUS') statuses.push(message);
  };
  const spec = busyboxSpec({
    // A wire id: the monitor measures only containers the control plane could have made.
    containerId: containerId(),
    image,
    diskMb: 16,
    // 64 MB into the VOLUME path, 1 MB every 0.1 s (podman's `ignore` leaves the path to be made).
    command: [
      'sh',
      '-c',
      'mkdir -p /data; i=0; while [ $i -lt 64 ]; do dd if=/dev/zero of=/data/f$i bs=1M count=1 2>/dev/null; ' +
        'i=$((i+1)); sleep 0.1; done; sleep 3600',
    ],
  });
  await runtime.createAndStart(spec);
  const mounts = (await rawInspect(kind, `rexec-${spec.containerId}`)).Mounts;
  if (kind === 'podman') {
    t.same(
      mounts.map((mount) => mount.Destination),
      ['/root'],
      'podman mounts the home volume only: /data stays in the writable layer',
    );
  } else {
    t.ok(
      (await runtime.locate(spec.containerId))?.volumeDirs.length === 1,
      "docker's volume for /data is located, to be measured",
    );
  }
  const monitor = createDiskMonitor({
    runtime,
    log,
    send,
    intervalMs: 500,
    quotaStops: createQuotaStops(),
  });
  monitor.start();
  t.teardown(() => monitor.stop());
  const event = await until('the quota report', () =>
    statuses.find((s) => s.container.container_id === spec.containerId),
  );
  t.equal(event.reason, 'disk_quota_exceeded');
  const used = Number(/^used (\d+) MB of 16 MB$/.exec(event.detail ?? '')?.[1]);
  t.ok(used > 16 && used < 64, `stopped mid-write, at ${used} MB`);
  await until('the stop', () =>
    statuses.filter((s) => s.container.container_id === spec.containerId).length >= 2
      ? true
      : undefined,
  );
  t.equal((await runtime.inspect(spec.containerId))?.state, 'exited');
});

void t.test('an image over REXEC_MAX_IMAGE_MB is refused and removed', async (t) => {
  const { kind } = await makeRuntime(t);
  const hostId = uniqueId('h16img');
  t.teardown(() => removeByHost(kind, hostId));
  const runtime = createCliRuntime({
    kind,
    hostId,
    log: pino({ level: 'silent' }),
    maxImageMb: 6,
  });
  const image = `localhost/rexec-test/big-${randomBytes(4).toString('hex')}:latest`;
  await buildImage(t, kind, image, `FROM ${BUSYBOX_IMAGE}\nCOPY big /big\n`, {
    big: randomBytes(8 * 1024 * 1024),
  });
  const spec = busyboxSpec({ image });
  const error = await runtime.createAndStart(spec).then(
    () => null,
    (failure: unknown) => failure,
  );
  t.ok(error instanceof RuntimeError, 'a RuntimeError');
  t.match(error, {
    code: 'image_too_large',
    message: /is 1\d MB, over this host's limit of 6 MB \(REXEC_MAX_IMAGE_MB\); it was removed/,
  });
  t.equal(await hasImage(kind, image), false, 'the image is gone from the engine');
  t.equal(await runtime.inspect(spec.containerId), null, 'no container was made');

  const small = busyboxSpec();
  t.equal((await runtime.createAndStart(small)).state, 'running', 'an image under the cap runs');
});
