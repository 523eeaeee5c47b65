// `rexec-agent doctor`'s one slow check: runs a throwaway container with the options every Rexec
// container gets (--init, cgroup CPU and memory limits, a pids limit, dropped capabilities,
// no-new-privileges) on an image already on the host, and turns a failure into the fix (a missing
// init binary, OCI runtime or cgroup controller). The agent itself never runs it: it takes seconds.
import { IMAGE_CATALOG } from '@rexec/protocol';
import type { HostHealthCheck, RuntimeKind } from '@rexec/protocol';
import { execa } from 'execa';
import { CAPABILITY_ALLOW_LIST } from '../runtime/index.js';

const RUN_TIMEOUT_MS = 120_000;

/** Known engine messages and what fixes them; the first match wins. */
const FIXES: readonly [RegExp, string][] = [
  [/container-init binary not found|catatonit/i, 'install the Debian package catatonit'],
  [/docker-init|tini/i, 'install the Debian package tini'],
  [
    /crun|OCI runtime|runc/i,
    'install runc and set runtime = "runc" under [engine] in /etc/containers/containers.conf',
  ],
  [/ulimit|rlimit|RLIMIT/i, 'set lower default_ulimits in /etc/containers/containers.conf'],
  [/cgroup|cpu\.cfs|memory\.max|pids/i, 'enable the cpu, memory and pids cgroup controllers'],
];

async function imageExists(engine: RuntimeKind, reference: string): Promise<boolean> {
  const args =
    engine === 'podman' ? ['image', 'exists', reference] : ['image', 'inspect', reference];
  const result = await execa(engine, args, { reject: false, timeout: 30_000 });
  return result.exitCode === 0;
}

/** The image to try: the one asked for, else the first catalog image on the host, else null. */
export async function pickTrialImage(
  engine: RuntimeKind,
  requested?: string,
): Promise<string | null> {
  if (requested !== undefined) return requested;
  for (const image of IMAGE_CATALOG) {
    if (image.reference !== undefined && (await imageExists(engine, image.reference))) {
      return image.reference;
    }
  }
  return null;
}

export function trialRunArgs(image: string): string[] {
  return [
    'run',
    '--rm',
    '--pull',
    'never',
    '--label',
    'io.rexec.doctor=true',
    '--init',
    '--cpus',
    '0.1',
    '--memory',
    '32m',
    '--memory-swap',
    '32m',
    '--pids-limit',
    '32',
    '--cap-drop',
    'ALL',
    ...CAPABILITY_ALLOW_LIST.flatMap((capability) => ['--cap-add', capability]),
    '--security-opt',
    'no-new-privileges',
    '--network',
    'none',
    image,
    'true',
  ];
}

/** The fix for an engine's error output, or a generic pointer when it is not a known one. */
export function fixFor(stderr: string): string {
  return FIXES.find(([pattern]) => pattern.test(stderr))?.[1] ?? 'see the engine message above';
}

export async function trialRun(
  engine: RuntimeKind,
  requestedImage?: string,
): Promise<HostHealthCheck> {
  const image = await pickTrialImage(engine, requestedImage);
  if (image === null) {
    return {
      check: 'container_run',
      ok: false,
      required: false,
      message:
        'no catalog image is on this host to try a run with: preload one, or pass --image REF ' +
        '(any local image that has `true`)',
    };
  }
  const result = await execa(engine, trialRunArgs(image), {
    reject: false,
    timeout: RUN_TIMEOUT_MS,
  });
  if (result.exitCode === 0) {
    return {
      check: 'container_run',
      ok: true,
      required: true,
      message: `ran ${image} with --init, CPU, memory and pids limits, capabilities dropped`,
    };
  }
  const said = (result.stderr.trim().split('\n').at(-1) ?? '') || (result.shortMessage ?? 'failed');
  return {
    check: 'container_run',
    ok: false,
    required: true,
    message:
      `${engine} cannot run a container as Rexec does: ${said.slice(0, 300)}; ${fixFor(said)}`.slice(
        0,
        500,
      ),
  };
}
