// Picks the container engine (DESIGN §2 REXEC_RUNTIME): the one named, or with `auto` podman and
// then docker, whichever answers `info`. Building the host's real runtime (which needs the host id
// from enrollment) is main.ts's; this only answers "which engine, and which version".
import type { Logger } from 'pino';
import type { RuntimeChoice } from './config.js';
import { AgentFatalError } from './errors.js';
import { createCliRuntime } from './runtime/index.js';
import type { RuntimeInfo, RuntimeKind } from './runtime/index.js';

const AUTO_ORDER: readonly RuntimeKind[] = ['podman', 'docker'];
// Only used to ask `info`, which touches no container; the real host id comes later.
const PROBE_HOST_ID = 'rexec-runtime-probe';

async function probe(kind: RuntimeKind, log: Logger): Promise<RuntimeInfo | Error> {
  try {
    return await createCliRuntime({ kind, hostId: PROBE_HOST_ID, log }).info();
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** The engine to drive; throws AgentFatalError `no_runtime` saying what was tried and why. */
export async function detectRuntime(
  choice: RuntimeChoice,
  log: Logger,
): Promise<{ kind: RuntimeKind; info: RuntimeInfo }> {
  const candidates = choice === 'auto' ? AUTO_ORDER : [choice];
  const failures: string[] = [];
  for (const kind of candidates) {
    const result = await probe(kind, log);
    if (!(result instanceof Error)) return { kind, info: result };
    failures.push(`${kind}: ${result.message}`);
    log.debug({ err: result, kind }, 'container engine does not answer');
  }
  throw new AgentFatalError(
    'no_runtime',
    `no container engine answers \`info\` (REXEC_RUNTIME=${choice}): ${failures.join('; ')}; ` +
      'install podman or docker (and start dockerd)',
  );
}
