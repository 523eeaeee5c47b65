// The container commands a control plane sends in CONTROL_COMMAND, one schema per action.
// Idempotency (by command id and by container id) is a rule for the agent, written in PROTOCOL.md;
// the shapes here only make every action's inputs explicit.
import { z } from 'zod';
import { DEFAULT_STOP_TIMEOUT_SECONDS, MAX_STOP_TIMEOUT_SECONDS } from '../constants.js';
import { ContainerSpec } from './container-values.js';

/** Create and start; a replay for an existing container id starts that one instead. */
export const CreateCommand = z.object({ action: z.literal('create'), spec: ContainerSpec });
export type CreateCommand = z.infer<typeof CreateCommand>;

export const StartCommand = z.object({ action: z.literal('start') });
export type StartCommand = z.infer<typeof StartCommand>;

/** Stop with a grace period, after which the engine kills; data is kept. */
export const StopCommand = z.object({
  action: z.literal('stop'),
  timeout_seconds: z.int().min(0).max(MAX_STOP_TIMEOUT_SECONDS),
});
export type StopCommand = z.infer<typeof StopCommand>;

/** Remove the container (force, even if running) and, if asked, its home volume. */
export const RemoveCommand = z.object({
  action: z.literal('remove'),
  remove_volume: z.boolean(),
});
export type RemoveCommand = z.infer<typeof RemoveCommand>;

export const ContainerCommand = z.discriminatedUnion('action', [
  CreateCommand,
  StartCommand,
  StopCommand,
  RemoveCommand,
]);
export type ContainerCommand = z.infer<typeof ContainerCommand>;
export type ContainerCommandAction = ContainerCommand['action'];

/** A stop command with the default grace period. */
export function stopCommand(timeoutSeconds = DEFAULT_STOP_TIMEOUT_SECONDS): StopCommand {
  return { action: 'stop', timeout_seconds: timeoutSeconds };
}
