// Shapes a container's traffic both ways with tc inside its network namespace (entered with
// nsenter from the host, so the container itself needs no NET_ADMIN and cannot undo it): a tbf
// on eth0 for what it sends, and for what it receives an ingress redirect to an ifb device in the
// same namespace with a tbf on that. When to shape (after start) is the runtime's call.
import { execa } from 'execa';
import type { NetworkShaper } from '../runtime/index.js';

/** The ifb device created inside each container's namespace; a fresh namespace has no ifb0. */
export const SHAPING_IFB = 'rexec-ifb';
const CONTAINER_DEVICE = 'eth0';
const SHAPE_TIMEOUT_MS = 15_000;
// 64 KiB is one GSO super-packet: veth hands tbf whole 64 KiB segments, and a bucket smaller than
// a packet makes tbf drop or split it. At 8 Mbit/s that is 65 ms of traffic, so a multi-second
// transfer overshoots by ~1-2% at most; at high rates 10 ms worth keeps tbf from idling between
// timer wakeups.
const MIN_BURST_BYTES = 64 * 1024;
const BURST_MS = 10;
// A queue of 50 ms: enough that ingress (which TCP sees only through drops, no backpressure)
// does not drop so often that the sender stays far below the rate (measured ~97% of it here).
const LATENCY_MS = 50;

/** Thrown when tc or ip in the container's namespace fail; carries their stderr. */
export class ShapingError extends Error {
  readonly stderr: string;
  constructor(message: string, stderr: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ShapingError';
    this.stderr = stderr;
  }
}

export function tbfArgs(mbps: number): string {
  const bytesPerSecond = (mbps * 1_000_000) / 8;
  const burst = Math.max(MIN_BURST_BYTES, Math.ceil((bytesPerSecond * BURST_MS) / 1000));
  return `tbf rate ${mbps}mbit burst ${burst} latency ${LATENCY_MS}ms`;
}

/**
 * The tc batch. `replace` makes the root qdiscs idempotent; the ingress qdisc and its filter are
 * deleted first by the shell script (u32 filters have no clean `replace`), so a repeat after a
 * restart or a limit change leaves exactly one redirect.
 */
export function tcBatch(mbps: number): string {
  const tbf = tbfArgs(mbps);
  return [
    `qdisc replace dev ${CONTAINER_DEVICE} root ${tbf}`,
    `qdisc add dev ${CONTAINER_DEVICE} handle ffff: ingress`,
    // u32 matching everything: matchall is not built into every kernel (it is not here).
    `filter add dev ${CONTAINER_DEVICE} parent ffff: protocol all prio 1 u32 match u32 0 0 ` +
      `action mirred egress redirect dev ${SHAPING_IFB}`,
    `qdisc replace dev ${SHAPING_IFB} root ${tbf}`,
    '',
  ].join('\n');
}

// One nsenter per shaping, and in a new namespace (every create and start) three processes: a
// successful `ip link add` means no ingress qdisc can be there yet. Only a repeat in the same
// namespace brings the existing ifb up and deletes the old ingress qdisc (and its redirect).
const SCRIPT =
  `if ! ip link add ${SHAPING_IFB} up type ifb 2>/dev/null; then ` +
  `ip link set ${SHAPING_IFB} up || exit 1; ` +
  `tc qdisc del dev ${CONTAINER_DEVICE} ingress >/dev/null 2>&1; ` +
  'fi; ' +
  'exec tc -batch -';

export interface TcShaperOptions {
  /** The nsenter binary; `nsenter` on PATH by default. */
  nsenter?: string;
}

export function createTcShaper(options: TcShaperOptions = {}): NetworkShaper {
  const nsenter = options.nsenter ?? 'nsenter';
  return {
    async shape(pid, mbps) {
      if (!Number.isInteger(pid) || pid <= 0) {
        throw new ShapingError(`cannot shape: pid ${pid} is not a running container's`, '');
      }
      const result = await execa(nsenter, ['-t', String(pid), '-n', 'sh', '-c', SCRIPT], {
        input: tcBatch(mbps),
        reject: false,
        timeout: SHAPE_TIMEOUT_MS,
      });
      if (result.failed) {
        const stderr = result.stderr.trim();
        throw new ShapingError(
          `tc in the network namespace of pid ${pid} failed: ${stderr.split('\n').at(-1) || result.shortMessage}`,
          stderr,
          result,
        );
      }
    },
  };
}
