// What the disk monitor suites share: a runtime on the real engine for a fresh host id, with the
// agent's status reporter watching it and collecting what it would send (the quota and
// unmeasurable stops are judged by those reports), and a poll for a state they need.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentMessage } from '@rexec/protocol';
import { pino, type Logger } from 'pino';
import type { Test } from 'tap';
import { createQuotaStops, type QuotaStops } from '../../../packages/agent/src/disk/quota-stops.js';
import { createCliRuntime } from '../../../packages/agent/src/runtime/cli-runtime.js';
import type { ContainerRuntime } from '../../../packages/agent/src/runtime/types.js';
import type { EngineKind } from '../../helpers/engine.js';
import { createStatusReporter } from '../../../packages/agent/src/status-reports.js';
import { engineFor } from '../agent-fixture.js';

export type Status = Extract<AgentMessage, { type: 'AGENT_CONTAINER_STATUS' }>;

export interface ReportingRuntime {
  kind: EngineKind;
  runtime: ContainerRuntime;
  /** Every AGENT_CONTAINER_STATUS the reporter sent, in order. */
  statuses: Status[];
  quotaStops: QuotaStops;
  /** What the monitor under test is given too: the silent log and the reporter's send. */
  log: Logger;
  send: (message: AgentMessage) => void;
}

/**
 * A runtime for a fresh host (removed at the end) with a started status reporter; `binary` is
 * given the engine's kind and stands in for its CLI (a wrapper that fails on demand).
 */
export async function reportingRuntime(
  t: Test,
  binary?: (kind: EngineKind) => Promise<string>,
): Promise<ReportingRuntime> {
  const hostId = `hst_${randomBytes(16).toString('hex')}`;
  const kind = await engineFor(t, hostId);
  const log = pino({ level: 'silent' });
  const runtime = createCliRuntime({
    kind,
    hostId,
    log,
    ...(binary === undefined ? {} : { binary: await binary(kind) }),
  });
  const statuses: Status[] = [];
  const send = (message: AgentMessage) => {
    if (message.type === 'AGENT_CONTAINER_STATUS') statuses.push(message);
  };
  const quotaStops = createQuotaStops();
  const reporter = createStatusReporter({ runtime, log, send, quotaStops });
  reporter.start();
  t.teardown(() => reporter.stop());
  return { kind, runtime, statuses, quotaStops, log, send };
}

/** Polls `probe` every 100 ms until it gives a value. */
export async function until<T>(
  what: string,
  probe: () => T | undefined,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
