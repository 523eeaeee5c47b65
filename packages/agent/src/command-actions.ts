// Runs one CONTROL_COMMAND's action on the runtime and turns the outcome into the result's body:
// the container as observed afterwards, or a CommandError whose detail is the engine's stderr tail
// (or a failed role setup's log tail). A create ends with the role's setup (roles/). Ordering,
// replay and sending are commands.ts's job.
import type {
  CommandError,
  ContainerCommand,
  ContainerSpec as WireSpec,
  ObservedContainer as WireContainer,
} from '@rexec/protocol';
import { missingContainer, toWireContainer } from './inventory.js';
import { isRuntimeError, userNetworkName } from './runtime/index.js';
import type { ContainerRuntime, ContainerSpec, RuntimeErrorCode } from './runtime/index.js';
import { StorageLowError } from './disk/storage-space.js';
import { RoleSetupFailedError } from './roles/role-setup-runner.js';
import type { RoleSetupRunner } from './roles/role-setup-runner.js';

/**
 * What a sandbox runs: the image's own command (a shell, usually) would exit at once without a
 * TTY, so a sleep loop keeps it up for terminals; the trap makes `stop` prompt and exit 0.
 */
export const SANDBOX_COMMAND: readonly string[] = [
  'sh',
  '-c',
  'trap "exit 0" TERM INT; while :; do sleep 86400 & wait $!; done',
];

export type ActionOutcome =
  { ok: true; container: WireContainer; replayed: boolean } | { ok: false; error: CommandError };

/** The engines' network mode without any interface but loopback (podman and docker alike). */
export const NO_NETWORK = 'none';

const MESSAGE_MAX = 1_000;
const DETAIL_MAX = 2_000;

/**
 * The runtime's spec. A container joins its user's own network on this host, or with egress
 * `none` no network at all (only loopback: nothing to reach, DNS included, and nothing to shape).
 */
export function toRuntimeSpec(spec: WireSpec, hostId: string): ContainerSpec {
  const offline = spec.network_egress === 'none';
  return {
    containerId: spec.container_id,
    userId: spec.user_id,
    image: spec.image,
    ...(spec.image_pull === undefined ? {} : { imagePull: spec.image_pull }),
    cpuMillicores: spec.resources.cpu_millicores,
    memoryMb: spec.resources.memory_mb,
    pidsLimit: spec.pids_limit,
    diskMb: spec.resources.disk_mb,
    ...(offline ? {} : { networkMbps: spec.resources.network_mbps }),
    network: offline ? NO_NETWORK : userNetworkName(hostId, spec.user_id),
    ...(spec.env === undefined ? {} : { env: spec.env }),
    command: SANDBOX_COMMAND,
  };
}

const ERROR_CODES: Record<RuntimeErrorCode, string> = {
  not_found: 'not_found',
  image_missing: 'image_missing',
  image_pull_failed: 'image_pull_failed',
  image_too_large: 'image_too_large',
  conflict: 'conflict',
  engine_failed: 'engine_failed',
  foreign_container: 'foreign_container',
  invalid_spec: 'invalid_command',
};

/**
 * A CommandError for any failure; runtime errors keep their code and their stderr's tail, a failed
 * role setup its log's tail (already cut to fit the wire).
 */
export function commandError(error: unknown): CommandError {
  const message = (error instanceof Error ? error.message : String(error)).slice(0, MESSAGE_MAX);
  if (error instanceof RoleSetupFailedError) {
    return { code: 'role_setup_failed', message, detail: error.log };
  }
  if (error instanceof StorageLowError) return { code: error.code, message };
  if (!isRuntimeError(error)) return { code: 'engine_failed', message };
  const stderr = error.stderr.trim();
  return {
    code: ERROR_CODES[error.code],
    message,
    ...(stderr === '' ? {} : { detail: stderr.slice(-DETAIL_MAX) }),
  };
}

/** Runs before a create's engine work; throwing refuses the create (disk/storage-space.ts). */
export type CreateGate = () => Promise<void>;

async function perform(
  runtime: ContainerRuntime,
  roles: RoleSetupRunner,
  containerId: string,
  command: ContainerCommand,
  beforeCreate: CreateGate | undefined,
): Promise<{ container: WireContainer; replayed: boolean }> {
  switch (command.action) {
    case 'create': {
      await beforeCreate?.();
      // The runtime learns whether this is a replay from the engine's refusal of a taken name;
      // asking first would cost every create an engine call.
      const created = await runtime.createAndStart(toRuntimeSpec(command.spec, runtime.hostId));
      // Also on a replay: the runner remembers a finished setup, and one lost with an agent
      // restart runs again (the scripts are idempotent).
      const setup = await roles.ensure(created.containerId, command.spec.role);
      const container = toWireContainer(created);
      return {
        container: setup === null ? container : { ...container, setup },
        replayed: created.replayed,
      };
    }
    case 'start':
      return { container: toWireContainer(await runtime.start(containerId)), replayed: false };
    case 'stop': {
      const observed = await runtime.stop(containerId, command.timeout_seconds);
      return { container: toWireContainer(observed), replayed: false };
    }
    case 'remove':
      await runtime.remove(containerId, { keepVolume: !command.remove_volume });
      return { container: missingContainer(containerId), replayed: false };
  }
}

/** Runs the action; never throws: every failure becomes an outcome with a CommandError. */
export async function runAction(
  runtime: ContainerRuntime,
  roles: RoleSetupRunner,
  containerId: string,
  command: ContainerCommand,
  beforeCreate?: CreateGate,
): Promise<ActionOutcome> {
  try {
    return { ok: true, ...(await perform(runtime, roles, containerId, command, beforeCreate)) };
  } catch (error) {
    return { ok: false, error: commandError(error) };
  }
}
