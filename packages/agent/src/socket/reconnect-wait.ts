// Waits out a reconnect delay (PROTOCOL.md §6) but ends it early when the control plane comes back:
// every RECONNECT_PROBE.intervalMs a bare TCP connect to its port, and once the port has refused
// and then accepts again (a restarted process), the wait ends after a short random jitter. A port
// that accepts all along (up but refusing upgrades, or a load balancer) changes nothing, so the
// backoff still protects a control plane that is up and struggling. Dialling is the loop's job.
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { RECONNECT_PROBE } from '@rexec/protocol';

export type WaitEnd = 'elapsed' | 'returned' | 'aborted';

export interface ProbeTarget {
  host: string;
  port: number;
}

export function probeTarget(url: URL): ProbeTarget {
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  // URL keeps an IPv6 literal's brackets; net.connect wants the bare address.
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

/** Whether a TCP connect to target succeeds within the probe's timeout. */
export function portAccepts(target: ProbeTarget): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: target.host, port: target.port });
    const done = (accepted: boolean) => {
      socket.destroy();
      resolve(accepted);
    };
    socket.setTimeout(RECONNECT_PROBE.connectTimeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
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
  /** How the port is probed; a real TCP connect (portAccepts) unless a test watches the probes. */
  accepts?: (target: ProbeTarget) => Promise<boolean>;
}

export async function waitToReconnect(
  delayMs: number,
  target: ProbeTarget,
  signal: AbortSignal,
  options: WaitOptions = {},
): Promise<WaitEnd> {
  const { random = Math.random, accepts = portAccepts } = options;
  const deadline = Date.now() + delayMs;
  let sawRefused = false;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return 'elapsed';
    if (!(await pause(Math.min(left, RECONNECT_PROBE.intervalMs), signal))) return 'aborted';
    if (Date.now() >= deadline) return 'elapsed';
    const open = await accepts(target);
    if (signal.aborted) return 'aborted';
    if (!open) {
      sawRefused = true;
    } else if (sawRefused) {
      const jitter = Math.round(random() * RECONNECT_PROBE.returnJitterMs);
      return (await pause(Math.min(jitter, Math.max(0, deadline - Date.now())), signal))
        ? 'returned'
        : 'aborted';
    }
  }
}
