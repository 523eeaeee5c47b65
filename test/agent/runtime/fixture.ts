// Shared setup for the runtime suites on the real engine: picks the engine (failing the test when
// none answers or the busybox image is missing), makes runtimes with unique host ids, and removes
// every container, volume and network carrying those host ids in t.teardown. Images are
// build.sh's job.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { Test } from 'tap';
import { createCliRuntime } from '../../../packages/agent/src/runtime/cli-runtime.js';
import type { ContainerRuntime, ContainerSpec } from '../../../packages/agent/src/runtime/types.js';
import {
  BUSYBOX_IMAGE,
  detectEngine,
  engine,
  hasImage,
  removeTestHost,
} from '../../helpers/engine.js';
import type { EngineKind } from '../../helpers/engine.js';

export { BUSYBOX_IMAGE, engine };

let checked: EngineKind | undefined;

/** The engine to test on; fails the test (never skips) when it or the busybox image is missing. */
export async function requireRuntimeEngine(t: Test): Promise<EngineKind> {
  if (checked !== undefined) return checked;
  const kind = await detectEngine();
  if (kind === null) {
    t.fail(
      'no container engine answers `info`: install podman (or docker) or set REXEC_TEST_ENGINE',
    );
    throw new Error('no container engine');
  }
  if (!(await hasImage(kind, BUSYBOX_IMAGE))) {
    t.fail(
      `${kind} lacks ${BUSYBOX_IMAGE}; build it with: bash test/images/build.sh --engine ${kind}`,
    );
    throw new Error('busybox test image missing');
  }
  checked = kind;
  return kind;
}

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export function testLogger(): Logger {
  return pino({ level: 'warn' }, pino.destination(2));
}

export const removeByHost = removeTestHost;

/** A runtime for a fresh host id whose containers and volumes are all removed at teardown. */
export async function makeRuntime(
  t: Test,
  options: { hostId?: string; kernelOomWatch?: boolean; homeVolumePool?: number } = {},
): Promise<{ runtime: ContainerRuntime; kind: EngineKind; hostId: string }> {
  const kind = await requireRuntimeEngine(t);
  const hostId = options.hostId ?? uniqueId('h5host');
  t.teardown(() => removeByHost(kind, hostId));
  const runtime = createCliRuntime({
    kind,
    hostId,
    log: testLogger(),
    ...(options.kernelOomWatch === undefined ? {} : { kernelOomWatch: options.kernelOomWatch }),
    ...(options.homeVolumePool === undefined ? {} : { homeVolumePool: options.homeVolumePool }),
  });
  return { runtime, kind, hostId };
}

export function busyboxSpec(overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    containerId: uniqueId('c'),
    userId: 'user-1',
    image: BUSYBOX_IMAGE,
    cpuMillicores: 500,
    memoryMb: 64,
    pidsLimit: 100,
    command: ['sleep', '3600'],
    ...overrides,
  };
}

/** The parts of raw `inspect` output the suites check, straight from the engine. */
export interface RawInspect {
  Id: string;
  EffectiveCaps?: string[];
  Mounts: { Name?: string; Destination: string }[];
  Config: { Labels: Record<string, string> | null };
  HostConfig: {
    NanoCpus: number;
    Memory: number;
    MemorySwap: number;
    PidsLimit: number;
    SecurityOpt: string[] | null;
    Init: boolean;
    RestartPolicy: { Name: string };
    CapDrop: string[] | null;
    CapAdd: string[] | null;
  };
}

/** Raw `inspect` of one container, for checking what the runtime asked the engine for. */
export async function rawInspect(kind: EngineKind, ref: string): Promise<RawInspect> {
  const parsed = JSON.parse(
    (await engine(kind, ['container', 'inspect', ref])).stdout,
  ) as RawInspect[];
  const first = parsed[0];
  if (first === undefined) throw new Error(`inspect ${ref} printed nothing`);
  return first;
}
