// Commands waiting for their AGENT_COMMAND_RESULT: minted ids, per-command timeouts, settling by id
// from the right host, and the list to re-send after a reconnect. Sockets and sending are the hub's.
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

export class PendingCommands {
  readonly #entries = new Map<string, Entry>();

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
        reject(new CommandTimeoutError(message.command_id, timeoutMs));
      }, timeoutMs);
      entry = { hostId, message, sent: false, resolve, reject, timer };
    });
    this.#entries.set(message.command_id, entry);
    return { entry, result };
  }

  /** Resolves the command the result answers; false for an unknown id or another host's command. */
  settle(hostId: string, result: AgentCommandResult): boolean {
    const entry = this.#entries.get(result.command_id);
    if (entry === undefined || entry.hostId !== hostId) return false;
    this.#entries.delete(result.command_id);
    clearTimeout(entry.timer);
    entry.resolve(result);
    return true;
  }

  forHost(hostId: string): PendingCommand[] {
    return [...this.#entries.values()].filter((entry) => entry.hostId === hostId);
  }

  hasContainer(containerId: string): boolean {
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
