// What the container lifecycle needs from the agent hub: is a host connected, is a command for a
// container still in flight, and send one. The hub implements it; DISCONNECTED stands in when no
// hub is wired (an API-only process), so every host is simply unreachable.
import type { AgentCommandResult, ContainerCommand } from '@rexec/protocol';

export interface CommandChannel {
  isConnected(hostId: string): boolean;
  /**
   * True while a command for this container waits for its result (sent or queued); with
   * `sinceMs` (epoch ms), also when one was sent or ended at or after that moment.
   */
  hasPendingCommand(containerId: string, sinceMs?: number): boolean;
  /**
   * Sends a command to the host now, or when it next completes a handshake, and resolves with the
   * agent's result. Rejects with CommandTimeoutError after `timeoutMs`, HubStoppedError on shutdown.
   */
  sendCommand(
    hostId: string,
    containerId: string,
    command: ContainerCommand,
    timeoutMs: number,
  ): Promise<AgentCommandResult>;
  /**
   * Tells the host's agent that a command's result is recorded (CONTROL_RESULT_ACK), so it stops
   * keeping it for a re-send; no-op when the host is not connected here or its agent keeps none.
   */
  acknowledge(hostId: string, commandId: string): void;
  /**
   * Ends a host's live session because its credential was revoked: CONTROL_REFUSE
   * `credential_revoked`, close 4004, host unreachable. No-op when it is not connected.
   */
  disconnectRevoked(hostId: string, message: string): void;
}

/** Thrown when an agent did not answer a command in time (the agent may still finish it). */
export class CommandTimeoutError extends Error {
  override readonly name = 'CommandTimeoutError';
  constructor(
    readonly commandId: string,
    readonly timeoutMs: number,
  ) {
    super(`command ${commandId} got no result within ${timeoutMs} ms`);
  }
}

/** Thrown for commands still waiting when the hub stops, or sent where no hub exists. */
export class HubStoppedError extends Error {
  override readonly name = 'HubStoppedError';
  constructor(message = 'the agent hub is not running') {
    super(message);
  }
}

export const DISCONNECTED: CommandChannel = {
  isConnected: () => false,
  hasPendingCommand: () => false,
  sendCommand: () => Promise.reject(new HubStoppedError('no agent hub is configured')),
  acknowledge: () => undefined,
  disconnectRevoked: () => undefined,
};
