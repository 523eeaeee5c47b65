// Setup for the network enforcement suites on the real engines: a runtime with its own host id,
// a small user network pool of its own (so parallel suites and engines do not collide) and the
// tc shaper, the host guard for that pool, and byte counters on real sockets on the host. Every
// container, volume, network and iptables chain of the host id is removed at teardown.
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import type { Test } from 'tap';
import { createTcShaper, installHostGuard } from '../../../packages/agent/src/network/index.js';
import { createCliRuntime } from '../../../packages/agent/src/runtime/cli-runtime.js';
import { parseSubnetPool, poolCidr } from '../../../packages/agent/src/runtime/subnet-pool.js';
import type { SubnetPool } from '../../../packages/agent/src/runtime/subnet-pool.js';
import type { ContainerRuntime, ContainerSpec } from '../../../packages/agent/src/runtime/types.js';
import { userNetworkName } from '../../../packages/agent/src/runtime/labels.js';
import {
  BUSYBOX_IMAGE,
  ENGINE_KINDS,
  engine,
  hasImage,
  requiredEngines,
} from '../../helpers/engine.js';
import type { EngineKind } from '../../helpers/engine.js';
import { removeByHost, testLogger } from '../runtime/fixture.js';

export { engine };

/**
 * The engines to run on: every one that answers and has the busybox image (podman here, docker
 * where dockerd runs). Fails the test when there is none, or when an engine REXEC_REQUIRE_ENGINES
 * promises (CI sets both) is missing: a missing engine is a broken setup, not a smaller suite.
 */
export async function networkEngines(t: Test): Promise<EngineKind[]> {
  const found: EngineKind[] = [];
  const missing = new Map<EngineKind, string>();
  for (const kind of ENGINE_KINDS) {
    const info = await engine(kind, ['info'], { timeoutMs: 30_000 }).catch((error: unknown) =>
      error instanceof Error ? error : new Error(String(error)),
    );
    if (info instanceof Error) missing.set(kind, `does not answer: ${info.message.split('\n')[0]}`);
    else if (!(await hasImage(kind, BUSYBOX_IMAGE))) missing.set(kind, `lacks ${BUSYBOX_IMAGE}`);
    else found.push(kind);
  }
  for (const kind of requiredEngines()) {
    const why = missing.get(kind);
    if (why !== undefined) {
      t.fail(`${kind} is required (REXEC_REQUIRE_ENGINES) but ${why}`);
      throw new Error(`required engine ${kind} is missing for the network suites`);
    }
  }
  if (found.length === 0) {
    t.fail(`no engine answers with ${BUSYBOX_IMAGE}; build it with: bash test/images/build.sh`);
    throw new Error('no container engine for the network suites');
  }
  return found;
}

export interface NetHost {
  runtime: ContainerRuntime;
  kind: EngineKind;
  hostId: string;
  pool: SubnetPool;
}

// docker and podman do not see each other's subnets, so each engine gets its own /16.
const POOL_SECOND_OCTET: Record<EngineKind, number> = { podman: 214, docker: 215 };
const CLAIMS_DIR = join(tmpdir(), 'rexec-test-net-pools');

/**
 * A /24 of the engine's /16 that no other test process holds: test files run in parallel, and two
 * hosts drawing the same /24 at random took each other's subnets (a host whose pool is one /24
 * subnet then found none free). Claimed by creating a file exclusively; released by `release`.
 * A claim left by a killed run is skipped, never reused: a fresh machine has none.
 */
export function claimPool(kind: EngineKind): { cidr: string; release: () => void } {
  mkdirSync(CLAIMS_DIR, { recursive: true });
  const start = randomInt(256);
  for (let step = 0; step < 256; step++) {
    const third = (start + step) % 256;
    const path = join(CLAIMS_DIR, `${kind}-${third}`);
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    return {
      cidr: `10.${POOL_SECOND_OCTET[kind]}.${third}.0/24`,
      release: () => rmSync(path, { force: true }),
    };
  }
  throw new Error(`every /24 of 10.${POOL_SECOND_OCTET[kind]}.0.0/16 is claimed in ${CLAIMS_DIR}`);
}

/** A host with its own /24 pool cut into /28 user networks, shaping on, containers cleaned up. */
export function makeNetHost(
  t: Test,
  kind: EngineKind,
  options: { subnetPrefix?: number; hostId?: string; userNetworkIdleMs?: number } = {},
): NetHost {
  const hostId = options.hostId ?? `nethost-${randomBytes(4).toString('hex')}`;
  const claim = claimPool(kind);
  const pool = parseSubnetPool(claim.cidr, options.subnetPrefix ?? 28);
  // The /24 is given back only once the host's networks are gone.
  t.teardown(async () => {
    await removeByHost(kind, hostId);
    claim.release();
  });
  const runtime = createCliRuntime({
    kind,
    hostId,
    log: testLogger(),
    userNetworkPool: pool,
    shaper: createTcShaper(),
    ...(options.userNetworkIdleMs === undefined
      ? {}
      : { userNetworkIdleMs: options.userNetworkIdleMs }),
  });
  t.teardown(() => runtime.close());
  return { runtime, kind, hostId, pool };
}

/** Installs the host guard for the host's pool, letting containers reach `allowedPorts` only. */
export async function guardHost(host: NetHost, allowedPorts: number[]): Promise<void> {
  await installHostGuard({ hostId: host.hostId, sourceCidr: poolCidr(host.pool), allowedPorts });
}

export function netSpec(host: NetHost, overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  const userId = overrides.userId ?? 'user-a';
  return {
    containerId: `n-${randomBytes(4).toString('hex')}`,
    userId,
    image: BUSYBOX_IMAGE,
    cpuMillicores: 1000,
    memoryMb: 64,
    pidsLimit: 100,
    command: ['sleep', '3600'],
    network: userNetworkName(host.hostId, userId),
    ...overrides,
  };
}

export async function containerIp(kind: EngineKind, containerId: string): Promise<string> {
  const format = '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}';
  const result = await engine(kind, ['inspect', '--format', format, `rexec-${containerId}`]);
  return result.stdout.trim();
}

/** The container's gateway: the host's address on the user network (docker's network inspect omits it). */
export async function gatewayOf(kind: EngineKind, containerId: string): Promise<string> {
  const format = '{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}';
  const result = await engine(kind, ['inspect', '--format', format, `rexec-${containerId}`]);
  const gateway = result.stdout.trim();
  if (gateway === '') throw new Error(`rexec-${containerId} has no gateway`);
  return gateway;
}

/** Runs a shell script in the container; resolves with its exit code and output, never rejects. */
export async function execIn(
  kind: EngineKind,
  containerId: string,
  script: string,
  timeoutMs = 30_000,
): Promise<{ exitCode: number; output: string }> {
  const result = await engine(kind, ['exec', `rexec-${containerId}`, 'sh', '-c', script], {
    timeoutMs,
  }).catch((error: unknown) => error as { exitCode?: number; stdout?: string; stderr?: string });
  return {
    exitCode: result.exitCode ?? -1,
    output: `${result.stdout ?? ''}${result.stderr ?? ''}`,
  };
}

export interface Transfer {
  bytes: number;
  seconds: number;
  /** Payload megabits per second. */
  mbps: number;
}

function transfer(bytes: number, seconds: number): Transfer {
  return { bytes, seconds, mbps: (bytes * 8) / seconds / 1e6 };
}

/** A TCP sink on the host: counts bytes from the first one to the sender's close. */
export async function startSink(
  t: Test,
  address: string,
): Promise<{ port: number; received: Promise<Transfer>; accepted: () => boolean }> {
  let accepted = false;
  let resolveReceived!: (value: Transfer) => void;
  const received = new Promise<Transfer>((resolve) => (resolveReceived = resolve));
  const server: Server = createServer((socket) => {
    accepted = true;
    let bytes = 0;
    let first = 0;
    socket.on('data', (chunk: Buffer) => {
      if (first === 0) first = performance.now();
      bytes += chunk.length;
    });
    socket.on('end', () => {
      resolveReceived(transfer(bytes, (performance.now() - first) / 1000));
      socket.end();
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, resolve);
  });
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, received, accepted: () => accepted };
}

/** Sends `bytes` zeros from the host and waits until the receiver closed after reading them. */
export async function sendFromHost(
  address: string,
  port: number,
  bytes: number,
): Promise<Transfer> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: address, port });
    const started = performance.now();
    socket.on('connect', () => {
      const chunk = Buffer.alloc(64 * 1024);
      let left = bytes;
      const pump = () => {
        while (left > 0) {
          const size = Math.min(left, chunk.length);
          left -= size;
          if (!socket.write(chunk.subarray(0, size))) return void socket.once('drain', pump);
        }
        socket.end();
      };
      pump();
    });
    socket.resume();
    socket.on('close', () => resolve(transfer(bytes, (performance.now() - started) / 1000)));
    socket.on('error', reject);
  });
}
