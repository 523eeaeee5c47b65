// Waits for a container to leave `creating`: resolves when it is `running`, rejects with a
// `container_failed` RexecError carrying its status_reason when it ends anywhere else, or with
// `timeout`. Polls GET /containers/:id, riding out 429s by their Retry-After.
import type { Container } from '@rexec/protocol';
import { RexecError } from '../errors.js';
import { sleep } from '../http/retry.js';

export interface WaitOptions {
  /** Give up after this long (default 5 minutes: a first pull of a large image takes a while). */
  timeoutMs?: number;
  /** Longest pause between polls (default 1000); polling starts faster and slows down to it. */
  pollIntervalMs?: number;
  /** Called with every state observed while waiting, the first one included. */
  onProgress?: (container: Container, elapsedMs: number) => void;
}

export const DEFAULT_WAIT_TIMEOUT_MS = 5 * 60_000;
const FIRST_POLL_MS = 200;

function failed(container: Container): RexecError {
  const reason = container.status_reason ?? 'unknown';
  const message =
    container.status === 'error'
      ? `Container ${container.name} failed to start: ${reason}.`
      : `Container ${container.name} is ${container.status} (${reason}) instead of running.`;
  return new RexecError({
    status: 0,
    code: 'container_failed',
    message,
    details: { container, status: container.status, status_reason: container.status_reason },
  });
}

export async function waitRunning(
  get: () => Promise<Container>,
  first: Container,
  options: WaitOptions = {},
): Promise<Container> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const maxPollMs = options.pollIntervalMs ?? 1_000;
  if (!(timeoutMs > 0) || !(maxPollMs > 0)) {
    throw new TypeError('timeoutMs and pollIntervalMs must be positive numbers');
  }
  const started = Date.now();
  let pollMs = Math.min(FIRST_POLL_MS, maxPollMs);
  let container = first;
  for (;;) {
    options.onProgress?.(container, Date.now() - started);
    if (container.status === 'running') return container;
    if (container.status !== 'creating') throw failed(container);
    const remaining = timeoutMs - (Date.now() - started);
    if (remaining <= 0) {
      throw new RexecError({
        status: 0,
        code: 'timeout',
        message: `Container ${container.name} was still creating after ${Math.round(timeoutMs / 1000)} s.`,
        details: { container },
      });
    }
    await sleep(Math.min(pollMs, remaining));
    pollMs = Math.min(maxPollMs, pollMs * 1.5);
    try {
      container = await get();
    } catch (error) {
      // A rate-limited poll says nothing about the container: wait as told and look again.
      if (!(error instanceof RexecError) || error.status !== 429) throw error;
      await sleep(Math.min((error.retryAfter ?? 1) * 1000, Math.max(0, remaining)));
    }
  }
}
