// Delivers a signal to every process of one exec inside its container. Signalling the engine's exec
// client reaches nothing inside (the engine keeps the command running without it), and the command
// may have started background children or new process groups, so each exec runs with a unique
// REXEC_EXEC_ID in its environment, which children inherit: a short script run by a second exec,
// as the same user, finds them all in /proc and signals them. That is the exec's "process group".
import { execa } from 'execa';
import { containerName } from '../runtime/index.js';
import type { ExecSignal } from '@rexec/protocol';
import type { Logger } from 'pino';

export const EXEC_ID_VARIABLE = 'REXEC_EXEC_ID';

const SIGNAL_TIMEOUT_MS = 10_000;

// $1 is the marker, $2 the signal name; plain POSIX sh plus tr and grep (busybox has both). The
// script's own shell carries no marker, so it never signals itself.
const SIGNAL_SCRIPT = `
m="${EXEC_ID_VARIABLE}=$1"; marked=""
for d in /proc/[0-9]*; do
  if tr '\\000' '\\n' < "$d/environ" 2>/dev/null | grep -qxF "$m"; then marked="$marked \${d#/proc/}"; fi
done
[ -z "$marked" ] || kill -$2 $marked 2>/dev/null
printf '%s' "$marked"
exit 0
`;

/**
 * Signals every marked process; resolves with how many it found once the script ran, rejects with
 * the engine's message when it could not run (the container stopped, say).
 */
export async function signalExec(
  binary: string,
  target: { containerId: string; execId: string; user?: string | undefined },
  signal: ExecSignal,
): Promise<number> {
  const user = target.user === undefined ? [] : ['--user', target.user];
  const { stdout } = await execa(
    binary,
    [
      'exec',
      ...user,
      containerName(target.containerId),
      'sh',
      '-c',
      SIGNAL_SCRIPT,
      'rexec-signal',
      target.execId,
      signal,
    ],
    { timeout: SIGNAL_TIMEOUT_MS },
  );
  return stdout.split(' ').filter((pid) => pid !== '').length;
}

/** How long a signal waits for its command to appear in the container. */
const PENDING_SIGNAL_MS = 30_000;
/** How often a signal that found nothing looks again. */
const PENDING_SIGNAL_RETRY_MS = 250;

interface SignalDelivery {
  /** Sends the signal once; resolves with how many processes it reached. */
  send(): Promise<number>;
  /** Whether the exec has ended (then a signal that found nothing is done). */
  ended(): boolean;
  log: Logger;
}

/**
 * Delivers a user's signal. The API answers an exec's start once the engine's client runs, which
 * on a busy host can be seconds before the command exists in the container: a signal sent in that
 * window finds no process, so it looks again until it reaches one, the exec ends, or
 * PENDING_SIGNAL_MS passes. A signal is never lost just because it came early.
 */
function deliverSignal(signal: ExecSignal, delivery: SignalDelivery): void {
  const deadline = Date.now() + PENDING_SIGNAL_MS;
  const attempt = () => {
    delivery.send().then(
      (reached) => {
        if (reached > 0 || delivery.ended()) return;
        if (Date.now() >= deadline) {
          delivery.log.info({ signal }, 'a signal found no process of its exec');
          return;
        }
        setTimeout(attempt, PENDING_SIGNAL_RETRY_MS).unref();
      },
      (error: unknown) => {
        // The command may have ended meanwhile, or the container stopped: both end the exec anyway.
        delivery.log.info({ err: error, signal }, 'could not signal an exec');
      },
    );
  };
  attempt();
}

/** After a kill, how long the engine's client may take to notice before it is killed itself. */
const CLIENT_KILL_GRACE_MS = 5_000;
/** How often a kill is repeated while the command is still there. */
const KILL_REPEAT_MS = 1_000;

interface KillSteps {
  /** Whether the exec has ended (then the repeating stops). */
  ended(): boolean;
  /** Sends KILL to the exec's processes inside the container. */
  kill(): void;
  /** Kills the engine's exec client on the host, the last resort. */
  killClient(): void;
  /** Holds the pending repeat, so the exec can clear it when it ends. */
  scheduled(timer: NodeJS.Timeout): void;
}

/**
 * Kills an exec until it is gone. A kill sent just after the start can run before the command
 * exists in the container, so it is repeated every KILL_REPEAT_MS; once CLIENT_KILL_GRACE_MS has
 * passed the engine's client is killed instead (its exit then ends the exec here).
 */
function killUntilGone(steps: KillSteps): void {
  let attempts = 0;
  const again = () => {
    if (steps.ended()) return;
    attempts += 1;
    if (attempts * KILL_REPEAT_MS > CLIENT_KILL_GRACE_MS) {
      steps.killClient();
      return;
    }
    steps.kill();
    steps.scheduled(setTimeout(again, KILL_REPEAT_MS));
  };
  again();
}

export interface ExecTerminationOptions {
  /** Sends `signal` to the exec's processes once; resolves with how many it reached. */
  send: (signal: ExecSignal) => Promise<number>;
  /** Whether the exec has ended. */
  ended: () => boolean;
  /** Kills the engine's exec client on the host, the last resort of a kill. */
  killClient: () => void;
  log: Logger;
}

/**
 * How one exec, attached or background, is signalled and killed: a user's signal waits for its
 * command to appear (deliverSignal), a kill repeats until the command is gone (killUntilGone).
 * The exec calls ended() once its client exited, which stops a repeating kill.
 */
export class ExecTermination {
  readonly #options: ExecTerminationOptions;
  #killing: NodeJS.Timeout | null = null;

  constructor(options: ExecTerminationOptions) {
    this.#options = options;
  }

  signal(signal: ExecSignal): void {
    const { send, ended, log } = this.#options;
    deliverSignal(signal, { send: () => send(signal), ended, log });
  }

  /** Kills every process of the exec, repeating until it is gone; once is enough to call. */
  kill(): void {
    if (this.#killing !== null || this.#options.ended()) return;
    killUntilGone({
      ended: this.#options.ended,
      kill: () => this.#killOnce(),
      killClient: this.#options.killClient,
      scheduled: (timer) => (this.#killing = timer),
    });
  }

  /** The exec's client exited: no kill repeats after this. */
  ended(): void {
    if (this.#killing !== null) clearTimeout(this.#killing);
  }

  /** One KILL, no waiting for the command to appear: kill() repeats it anyway. */
  #killOnce(): void {
    this.#options.send('KILL').catch((error: unknown) => {
      this.#options.log.info({ err: error }, 'could not kill an exec');
    });
  }
}
