// Role setup as the last step of a create: run once per container (a replayed create after a
// success answers from memory; after an agent restart it runs again, which the scripts allow),
// stop the container when setup fails so a timed-out script stops too, and put the log's tail in
// wire form. What a failure does to the command's result is command-actions.ts's.
import { SETUP_LOG_TRUNCATED_MARKER } from '@rexec/protocol';
import type { RoleName, SetupProgress } from '@rexec/protocol';
import type { Logger } from 'pino';
import { containerName } from '../runtime/labels.js';
import type { ContainerRuntime } from '../runtime/types.js';
import { createContainerShell } from './container-shell.js';
import { DEFAULT_ROLE_SETUP_TIMEOUT_MS, runRoleSetup } from './run-setup.js';

/** The wire's DetailText holds 8 KiB; the marker line and the tail's last 8 KiB must fit. */
const WIRE_LOG_MAX_CHARS = 8_192 - SETUP_LOG_TRUNCATED_MARKER.length - 1;
const REMEMBERED_SUCCESSES = 4_096;

/** Thrown by ensure() when the role's setup failed or timed out; `log` ends with why. */
export class RoleSetupFailedError extends Error {
  constructor(
    message: string,
    readonly log: string,
    readonly timedOut: boolean,
  ) {
    super(message);
    this.name = 'RoleSetupFailedError';
  }
}

export interface RoleSetupRunner {
  /**
   * Sets `role` up in the running container; resolves with its progress for the wire, or null
   * for barebone. @throws RoleSetupFailedError.
   */
  ensure(containerId: string, role: RoleName): Promise<SetupProgress | null>;
}

export interface RoleSetupRunnerOptions {
  runtime: ContainerRuntime;
  log: Logger;
  timeoutMs?: number;
  /** The engine CLI; the runtime's kind on PATH when omitted. */
  binary?: string;
}

/** The log's tail as the wire carries it, marked when output was dropped (here or by the agent). */
export function wireSetupLog(log: string, truncated: boolean): string {
  if (!truncated && log.length <= WIRE_LOG_MAX_CHARS + 1) return log;
  return `${SETUP_LOG_TRUNCATED_MARKER}\n${log.slice(-WIRE_LOG_MAX_CHARS)}`;
}

function lastLine(log: string): string {
  return log.trim().split('\n').at(-1)?.trim() ?? 'role setup failed';
}

export function createRoleSetupRunner(options: RoleSetupRunnerOptions): RoleSetupRunner {
  const { runtime, log } = options;
  const binary = options.binary ?? runtime.kind;
  const succeeded = new Map<string, SetupProgress>();

  function remember(containerId: string, progress: SetupProgress): void {
    succeeded.set(containerId, progress);
    if (succeeded.size > REMEMBERED_SUCCESSES) {
      const oldest = succeeded.keys().next().value;
      if (oldest !== undefined) succeeded.delete(oldest);
    }
  }

  async function stopAfterFailure(containerId: string): Promise<void> {
    try {
      await runtime.stop(containerId, 0);
    } catch (error) {
      // The result still says role_setup_failed; a running leftover only costs its reservation,
      // which the control plane keeps for an `error` container anyway.
      log.warn({ err: error, containerId }, 'could not stop a container whose role setup failed');
    }
  }

  return {
    async ensure(containerId, role) {
      if (role === 'barebone') return null;
      const known = succeeded.get(containerId);
      if (known !== undefined) return known;
      const shell = createContainerShell({ binary, container: containerName(containerId) });
      const started = Date.now();
      const outcome = await runRoleSetup({
        shell,
        role,
        timeoutMs: options.timeoutMs ?? DEFAULT_ROLE_SETUP_TIMEOUT_MS,
      });
      if (outcome.kind === 'skipped') return null;
      const durationMs = Date.now() - started;
      const detail = wireSetupLog(outcome.log, outcome.truncated);
      if (outcome.kind === 'failed') {
        log.warn(
          { containerId, role, durationMs, timedOut: outcome.timedOut },
          'role setup failed',
        );
        await stopAfterFailure(containerId);
        throw new RoleSetupFailedError(lastLine(outcome.log), detail, outcome.timedOut);
      }
      log.info({ containerId, role, durationMs }, 'role setup succeeded');
      const progress: SetupProgress = { state: 'succeeded', detail };
      remember(containerId, progress);
      return progress;
    },
  };
}
