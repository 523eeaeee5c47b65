// The container as a successful `run --detach` leaves it, built from the spec and the engine id
// `run` printed, so a create needs no `inspect` afterwards: the engine applied exactly the argv
// run-args.ts built, and `run -d` returns only once the container started. What happens after
// (an exit, an OOM kill) reaches the agent through the event stream, not through this value.
import { containerName } from './labels.js';
import { containerLabels } from './run-args.js';
import type { ValidContainerSpec } from './spec.js';
import type { ObservedContainer } from './types.js';

const ENGINE_ID = /^[0-9a-f]{64}$/;

/** The full engine id `run -d` prints as its last line, or null when it printed something else. */
export function engineIdFromRun(stdout: string): string | null {
  const last = stdout.trim().split('\n').at(-1)?.trim() ?? '';
  return ENGINE_ID.test(last) ? last : null;
}

/** The running container `run` made for `spec`; `startedAt` is when `run` returned. */
export function observedAfterRun(
  spec: ValidContainerSpec,
  hostId: string,
  engineId: string,
  startedAt: Date,
): ObservedContainer {
  const labels = containerLabels(spec, hostId);
  return {
    containerId: spec.containerId,
    engineId,
    name: containerName(spec.containerId),
    image: spec.image,
    hostId,
    userId: spec.userId,
    state: 'running',
    exitCode: null,
    oomKilled: false,
    startedAt,
    finishedAt: null,
    limits: {
      cpuMillicores: spec.cpuMillicores,
      memoryMb: spec.memoryMb,
      // run-args.ts sets --memory-swap equal to --memory.
      memorySwapMb: spec.memoryMb,
      pidsLimit: spec.pidsLimit,
    },
    labels,
  };
}
