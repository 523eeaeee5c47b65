// Waits out a reconnect delay (PROTOCOL.md §6) but ends it early when the control plane comes back:
// every RECONNECT_PROBE.intervalMs a GET of its /readyz, and once that has failed (refused, timed
// out, or a load balancer's 502/503 with no replica behind it) and then answers 200 again (a
// restarted process, a database back), the wait ends after a short random jitter. A control plane
// ready all along (up but struggling with upgrades) changes nothing, so the backoff still protects
// it. A bare TCP connect was the probe before; behind a proxy or a load balancer, whose port
// accepts whatever is behind it, it never saw the control plane go. Dialling is the loop's job.
import { setTimeout as sleep } from 'node:timers/promises';
import { RECONNECT_PROBE } from '@rexec/protocol';
import { request } from '../http-request.js';

export type WaitEnd = 'elapsed' | 'returned' | 'aborted';

/** The readiness URL probed while waiting: the control plane's `/readyz`. */
export type ProbeTarget = URL;

export function probeTarget(url: URL): ProbeTarget {
  return new URL('/readyz', url);
}

/** Whether the control plane answers its readiness check with 200 within the probe's timeout. */
export async function controlPlaneReady(target: ProbeTarget): Promise<boolean> {
  try {
    const answer = await request(target, {
      timeoutMs: RECONNECT_PROBE.connectTimeoutMs,
      readBody: false,
    });
    return answer.status === 200;
  } catch {
    // Refused, reset, timed out, a TLS failure: not ready, whatever the reason.
    return false;
  }
}

async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    // Aborted: the caller is stopping, which the result says.
    return false;
  }
}

export interface WaitOptions {
  random?: () => number;
  /**
   * The control plane was just found unreachable (a dial that got no answer): the first probe that
   * finds it ready ends the wait, as one after a failed probe would.
   */
  unreachable?: boolean;
  /** How readiness is probed; a real GET (controlPlaneReady) unless a test watches the probes. */
  ready?: (target: ProbeTarget) => Promise<boolean>;
}

export async function waitToReconnect(
  delayMs: number,
  target: ProbeTarget,
  signal: AbortSignal,
  options: WaitOptions = {},
): Promise<WaitEnd> {
  const { random = Math.random, ready = controlPlaneReady } = options;
  const deadline = Date.now() + delayMs;
  let sawNotReady = options.unreachable === true;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return 'elapsed';
    if (!(await pause(Math.min(left, RECONNECT_PROBE.intervalMs), signal))) return 'aborted';
    if (Date.now() >= deadline) return 'elapsed';
    const up = await ready(target);
    if (signal.aborted) return 'aborted';
    if (!up) {
      sawNotReady = true;
    } else if (sawNotReady) {
      const jitter = Math.round(random() * RECONNECT_PROBE.returnJitterMs);
      return (await pause(Math.min(jitter, Math.max(0, deadline - Date.now())), signal))
        ? 'returned'
        : 'aborted';
    }
  }
}
