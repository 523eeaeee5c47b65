// The container engine the end-to-end suites drive: detection (podman, then docker), the names of
// the locally built test images, and a guard that fails a test loudly when the engine or images
// are missing, and the removal of what an agent leaves per host id beside its containers (user
// networks, the iptables host guard). Building the images is test/images/build.sh's job.
import { execa } from 'execa';
import { removeHostGuard } from '../../packages/agent/src/network/host-guard.js';
import { retryWhileBusy } from '../../packages/agent/src/runtime/busy-retry.js';
import { LABEL_HOME_VOLUME } from '../../packages/agent/src/runtime/labels.js';
import type { Result } from 'execa';
import type { Test } from 'tap';

export type EngineKind = 'podman' | 'docker';

export const ENGINE_KINDS: readonly EngineKind[] = ['podman', 'docker'];
export const BUSYBOX_IMAGE = 'localhost/rexec-test/busybox:latest';
export const DEBIAN_IMAGE = 'docker.io/library/debian:bookworm';
export const TEST_IMAGES: readonly string[] = [BUSYBOX_IMAGE, DEBIAN_IMAGE];

const BUILD_HINT = 'build them with: bash test/images/build.sh';

function isEngineKind(value: string): value is EngineKind {
  return (ENGINE_KINDS as readonly string[]).includes(value);
}

/** Runs the engine CLI with an argv array; rejects with execa's rich error on a non-zero exit. */
export async function engine(
  kind: EngineKind,
  args: string[],
  options: { timeoutMs?: number; input?: string } = {},
): Promise<Result<{ timeout: number }>> {
  return execa(kind, args, {
    timeout: options.timeoutMs ?? 120_000,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
}

async function answers(kind: EngineKind): Promise<boolean> {
  try {
    await execa(kind, ['info', '--format', '{{json .}}'], { timeout: 30_000 });
    return true;
  } catch {
    // An engine that is absent or whose daemon is down is simply not a candidate.
    return false;
  }
}

/**
 * The engine to use: REXEC_TEST_ENGINE if set (it must answer `info`), else the first of podman,
 * docker that answers. Null when none does.
 */
export async function detectEngine(): Promise<EngineKind | null> {
  const forced = process.env['REXEC_TEST_ENGINE'];
  if (forced !== undefined && forced !== '') {
    if (!isEngineKind(forced)) {
      throw new Error(
        `REXEC_TEST_ENGINE must be one of ${ENGINE_KINDS.join(', ')}, got "${forced}"`,
      );
    }
    return (await answers(forced)) ? forced : null;
  }
  for (const kind of ENGINE_KINDS) {
    if (await answers(kind)) return kind;
  }
  return null;
}

/**
 * The engines this environment promises, from REXEC_REQUIRE_ENGINES (comma-separated; `.ci/run`
 * sets podman,docker): a suite that runs on every engine it finds must fail, not shrink, when one
 * of these does not answer. Empty where nothing is promised (a laptop with podman only).
 */
export function requiredEngines(): EngineKind[] {
  const listed = (process.env['REXEC_REQUIRE_ENGINES'] ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  for (const name of listed) {
    if (!isEngineKind(name)) {
      throw new Error(
        `REXEC_REQUIRE_ENGINES lists "${name}"; each must be one of ${ENGINE_KINDS.join(', ')}`,
      );
    }
  }
  return listed as EngineKind[];
}

/** True when the engine has the image locally (no registry is reachable, so nothing is pulled). */
export async function hasImage(kind: EngineKind, image: string): Promise<boolean> {
  const result = await execa(kind, ['image', 'inspect', image], { reject: false, timeout: 30_000 });
  return result.exitCode === 0;
}

/**
 * The engine for an end-to-end test (`wanted`, or the detected one). Fails the test (never skips: a missing engine is a broken
 * environment, not an optional feature) and throws when no engine answers or an image is missing.
 */
export async function requireEngine(t: Test, wanted?: EngineKind): Promise<EngineKind> {
  const kind =
    wanted === undefined ? await detectEngine() : (await answers(wanted)) ? wanted : null;
  if (kind === null) {
    const message =
      wanted === undefined
        ? 'no container engine answers `info`: install podman (or docker) and run .ci/run, ' +
          'or set REXEC_TEST_ENGINE'
        : `${wanted} does not answer \`info\`: .ci/run installs it and starts its daemon`;
    t.fail(message);
    throw new Error(message);
  }
  const missing: string[] = [];
  for (const image of TEST_IMAGES) {
    if (!(await hasImage(kind, image))) missing.push(image);
  }
  if (missing.length > 0) {
    const message = `${kind} lacks the test images ${missing.join(', ')}; ${BUILD_HINT} --engine ${kind}`;
    t.fail(message);
    throw new Error(message);
  }
  return kind;
}

/**
 * Removes the engine networks labelled with `hostId` (run after its containers are gone, or the
 * engine refuses) and the host's iptables guard: every agent running as root installs one, and
 * suites that leave them behind exhaust the address pool and pile up INPUT jumps.
 */
export async function removeHostNetworking(kind: EngineKind, hostId: string): Promise<void> {
  const filter = `label=io.rexec.host-id=${hostId}`;
  const listed = await engine(kind, ['network', 'ls', '-q', '--filter', filter]);
  const networks = listed.stdout.split('\n').filter((id) => id !== '');
  if (networks.length > 0) await engine(kind, ['network', 'rm', ...networks]);
  await removeHostGuard(hostId);
}

/**
 * Removes everything an agent of `hostId` leaves behind by design (its containers keep running when
 * it stops): the containers and their home volumes (pid files live in each agent's own runtime
 * directory, under its state directory in tests), then the networks
 * and the host guard. For teardowns; forced, so a half-made container does not stop the cleanup.
 */
export async function removeTestHost(kind: EngineKind, hostId: string): Promise<void> {
  const filter = `label=io.rexec.host-id=${hostId}`;
  const ids = (await engine(kind, ['ps', '-aq', '--no-trunc', '--filter', filter])).stdout;
  const containers = ids.split('\n').filter((id) => id !== '');
  if (containers.length > 0) {
    await retryWhileBusy(() => engine(kind, ['rm', '--force', ...containers]));
  }
  const names = (await engine(kind, ['volume', 'ls', '-q', '--filter', filter])).stdout;
  const volumes = names.split('\n').filter((name) => name !== '');
  if (volumes.length > 0) await engine(kind, ['volume', 'rm', '--force', ...volumes]);
  await removeHostNetworking(kind, hostId);
}

/** The name of a container's home volume, as its io.rexec.home-volume label gives it. */
export async function homeVolumeOfContainer(kind: EngineKind, container: string): Promise<string> {
  const format = `{{index .Config.Labels "${LABEL_HOME_VOLUME}"}}`;
  const name = (await engine(kind, ['inspect', '--format', format, container])).stdout.trim();
  if (!name.startsWith('rexec-home-')) {
    throw new Error(`container ${container} names no home volume (label: "${name}")`);
  }
  return name;
}

/** Whether the engine has a volume of that name. */
export async function volumeExists(kind: EngineKind, name: string): Promise<boolean> {
  const listed = await engine(kind, ['volume', 'ls', '-q']);
  return listed.stdout.split('\n').includes(name);
}
