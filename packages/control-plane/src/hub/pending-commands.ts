// Commands waiting for their AGENT_COMMAND_RESULT: minted ids, per-command timeouts, settling by id
// from the right host, the list to re-send after a reconnect, and when each container last had one
// (periodic reconciliation skips those). Sockets and sending are the hub's.
import { randomBytes } from 'node:crypto';
import type { AgentCommandResult, ContainerCommand, ControlCommand } from '@rexec/protocol';
import { CommandTimeoutError } from './channel.js';

export interface PendingCommand {
  readonly hostId: string;
  readonly message: ControlCommand;
  /** True once written to a socket that has since been replaced or lost (re-sent on HELLO). */
  sent: boolean;
}

interface Entry extends PendingCommand {
  resolve(result: AgentCommandResult): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** `cmd_` + 24 hex: unique per process and across replicas (96 random bits). */
export function newCommandId(): string {
  return `cmd_${randomBytes(12).toString('hex')}`;
}

/** Activity marks older than this are dropped once there are many (a reconcile pass is shorter). */
const ACTIVITY_KEEP_MS = 600_000;
const ACTIVITY_PRUNE_SIZE = 4_096;

export class PendingCommands {
  readonly #entries = new Map<string, Entry>();
  /** When a command for each container was last sent or ended, for hasContainer's `sinceMs`. */
  readonly #activity = new Map<string, number>();

  #mark(containerId: string): void {
    const now = Date.now();
    this.#activity.set(containerId, now);
    if (this.#activity.size <= ACTIVITY_PRUNE_SIZE) return;
    for (const [id, at] of this.#activity) {
      if (now - at > ACTIVITY_KEEP_MS) this.#activity.delete(id);
    }
  }

  add(
    hostId: string,
    containerId: string,
    command: ContainerCommand,
    timeoutMs: number,
  ): { entry: PendingCommand; result: Promise<AgentCommandResult> } {
    const message: ControlCommand = {
      type: 'CONTROL_COMMAND',
      command_id: newCommandId(),
      container_id: containerId,
      command,
    };
    let entry!: Entry;
    const result = new Promise<AgentCommandResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#entries.delete(message.command_id);
        this.#mark(containerId);
        reject(new CommandTimeoutError(message.command_id, timeoutMs));
      }, timeoutMs);
      entry = { hostId, message, sent: false, resolve, reject, timer };
    });
    this.#entries.set(message.command_id, entry);
    this.#mark(containerId);
    return { entry, result };
  }

  /** Resolves the command the result answers; false for an unknown id or another host's command. */
  settle(hostId: string, result: AgentCommandResult): boolean {
    const entry = this.#entries.get(result.command_id);
    if (entry === undefined || entry.hostId !== hostId) return false;
    this.#entries.delete(result.command_id);
    clearTimeout(entry.timer);
    this.#mark(entry.message.container_id);
    entry.resolve(result);
    return true;
  }

  forHost(hostId: string): PendingCommand[] {
    return [...this.#entries.values()].filter((entry) => entry.hostId === hostId);
  }

  /**
   * True while a command for the container waits; with `sinceMs`, also when one was sent, answered
   * or timed out at or after that moment (an inventory taken before then may be out of date).
   */
  hasContainer(containerId: string, sinceMs?: number): boolean {
    if (sinceMs !== undefined && (this.#activity.get(containerId) ?? -Infinity) >= sinceMs) {
      return true;
    }
    for (const entry of this.#entries.values()) {
      if (entry.message.container_id === containerId) return true;
    }
    return false;
  }

  rejectAll(error: Error): void {
    for (const entry of this.#entries.values()) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
    this.#entries.clear();
  }
}
