// Executes CONTROL_COMMANDs (PROTOCOL.md §7): idempotent by command id (an LRU of the last
// COMMAND_REPLAY_CACHE_SIZE results; a replay of a running command attaches to it), one at a time
// per container in arrival order, parallel across containers, refused with `shutting_down` once
// shutdown began. Results are kept until the control plane acknowledges them (CONTROL_RESULT_ACK)
// and re-sent after a reconnect. Sending goes through `send`, which the connection loop points at
// the live socket.
import { COMMAND_REPLAY_CACHE_SIZE } from '@rexec/protocol';
import type { AgentCommandResult, AgentMessage, ControlCommand } from '@rexec/protocol';
import type { Logger } from 'pino';
import { runAction } from './command-actions.js';
import type { CreateGate } from './command-actions.js';
import { createRoleSetupRunner } from './roles/role-setup-runner.js';
import { isWireContainerId, missingContainer, toWireContainer } from './inventory.js';
import type { ContainerRuntime } from './runtime/index.js';

export interface CommandExecutorOptions {
  runtime: ContainerRuntime;
  log: Logger;
  /** Sends on the current connection; a result with no connection is re-sent after WELCOME. */
  send: (message: AgentMessage) => void;
  cacheSize?: number;
  /** How long a role's setup may take inside a new container (REXEC_ROLE_SETUP_TIMEOUT_SECONDS). */
  roleSetupTimeoutMs?: number;
  /** Runs before each create; throwing refuses it (the storage space check). */
  beforeCreate?: CreateGate;
}

export interface CommandExecutor {
  handle(message: ControlCommand): void;
  /** Refuses new commands from now on and resolves when every accepted one has finished. */
  drain(): Promise<void>;
  /** Commands accepted and not yet finished. */
  readonly inFlight: number;
  /**
   * Runs `work` in the container's command queue: after the commands already accepted for it have
   * sent their results, and before any accepted later. For the agent's own actions on a container
   * (a disk quota stop), so their reports never land inside a command the control plane awaits.
   */
  exclusive<T>(containerId: string, work: () => Promise<T>): Promise<T>;
  /** CONTROL_RESULT_ACK: the control plane recorded this result; it is not re-sent again. */
  acknowledge(commandId: string): void;
  /**
   * A session reached WELCOME: with a control plane that acknowledges results, every result it
   * has not acknowledged yet is sent again (marked `replayed`); with one that does not, none is
   * kept from now on.
   */
  welcomed(acknowledges: boolean): void;
}

export function createCommandExecutor(options: CommandExecutorOptions): CommandExecutor {
  const { runtime, log, send } = options;
  const cacheSize = options.cacheSize ?? COMMAND_REPLAY_CACHE_SIZE;
  const roles = createRoleSetupRunner({
    runtime,
    log,
    ...(options.roleSetupTimeoutMs === undefined ? {} : { timeoutMs: options.roleSetupTimeoutMs }),
  });
  const results = new Map<string, AgentCommandResult>();
  // Results not yet acknowledged, oldest first; kept only while the control plane acknowledges.
  const unacknowledged = new Map<string, AgentCommandResult>();
  let acknowledges = true;
  const running = new Map<string, Promise<void>>();
  const queues = new Map<string, Promise<void>>();
  let draining = false;

  function remember(result: AgentCommandResult): void {
    results.delete(result.command_id);
    results.set(result.command_id, result);
    if (results.size > cacheSize) {
      const oldest = results.keys().next().value;
      if (oldest !== undefined) results.delete(oldest);
    }
  }

  function keepUntilAcknowledged(result: AgentCommandResult): void {
    if (!acknowledges) return;
    unacknowledged.set(result.command_id, result);
    if (unacknowledged.size > cacheSize) {
      const oldest = unacknowledged.keys().next().value;
      if (oldest !== undefined) unacknowledged.delete(oldest);
    }
  }

  async function execute(message: ControlCommand): Promise<void> {
    const { command_id, container_id, command } = message;
    const started = Date.now();
    log.info(
      { commandId: command_id, containerId: container_id, action: command.action },
      'command started',
    );
    const outcome = await runAction(runtime, roles, container_id, command, options.beforeCreate);
    let result: AgentCommandResult;
    if (outcome.ok) {
      result = {
        type: 'AGENT_COMMAND_RESULT',
        command_id,
        container_id,
        ok: true,
        container: outcome.container,
        ...(outcome.replayed ? { replayed: true } : {}),
      };
    } else {
      const container = await observedAfterFailure(container_id);
      result = {
        type: 'AGENT_COMMAND_RESULT',
        command_id,
        container_id,
        ok: false,
        error: outcome.error,
        ...(container === undefined ? {} : { container }),
      };
    }
    remember(result);
    keepUntilAcknowledged(result);
    log.info(
      {
        commandId: command_id,
        containerId: container_id,
        action: command.action,
        ok: outcome.ok,
        ...(outcome.ok ? {} : { error: outcome.error }),
        durationMs: Date.now() - started,
      },
      'command finished',
    );
    send(result);
  }

  // A failed command still tells the control plane what is there now, when the engine can say,
  // also when that is nothing: a remove that failed after the engine took the container (on its
  // volume, network or shaping) leaves nothing to remove, and the delete need not wait for the
  // next inventory to learn it.
  async function observedAfterFailure(containerId: string) {
    try {
      const observed = await runtime.inspect(containerId);
      if (observed === null) return missingContainer(containerId);
      return isWireContainerId(observed.containerId) ? toWireContainer(observed) : undefined;
    } catch (error) {
      // The result without a container is still valid; the next HELLO carries the truth.
      log.debug({ err: error, containerId }, 'could not inspect after a failed command');
      return undefined;
    }
  }

  /** Chains `work` after the container's queue; the queue entry itself never rejects. */
  function chain<T>(containerId: string, work: () => Promise<T>): Promise<T> {
    const previous = queues.get(containerId) ?? Promise.resolve();
    const result = previous.then(work);
    const done = result.then(
      () => undefined,
      () => undefined,
    );
    queues.set(containerId, done);
    void done.finally(() => {
      if (queues.get(containerId) === done) queues.delete(containerId);
    });
    return result;
  }

  function enqueue(message: ControlCommand): void {
    const done = chain(message.container_id, () => execute(message)).catch((error: unknown) => {
      // Only a bug gets here (an unencodable result); the queue must go on for later commands.
      log.error({ err: error, commandId: message.command_id }, 'command handling failed');
    });
    running.set(message.command_id, done);
    void done.finally(() => running.delete(message.command_id));
  }

  return {
    exclusive: (containerId, work) => chain(containerId, work),
    acknowledge(commandId) {
      unacknowledged.delete(commandId);
    },
    welcomed(acks) {
      acknowledges = acks;
      if (!acks) {
        unacknowledged.clear();
        return;
      }
      if (unacknowledged.size === 0) return;
      log.info({ results: unacknowledged.size }, 're-sending results not acknowledged');
      for (const result of unacknowledged.values()) send({ ...result, replayed: true });
    },
    handle(message) {
      const cached = results.get(message.command_id);
      if (cached !== undefined) {
        remember(cached);
        log.info({ commandId: message.command_id }, 'replayed command answered from the cache');
        send({ ...cached, replayed: true });
        return;
      }
      if (running.has(message.command_id)) {
        // One execution, one result: the running one answers for the replay too.
        log.info({ commandId: message.command_id }, 'replayed command is still running');
        return;
      }
      if (draining) {
        send({
          type: 'AGENT_COMMAND_RESULT',
          command_id: message.command_id,
          container_id: message.container_id,
          ok: false,
          error: { code: 'shutting_down', message: 'the agent is shutting down' },
        });
        return;
      }
      enqueue(message);
    },
    async drain() {
      draining = true;
      while (running.size > 0) await Promise.allSettled([...running.values()]);
    },
    get inFlight() {
      return running.size;
    },
  };
}
