// Keeps one session alive (PROTOCOL.md §6): build HELLO, dial, run the session, and after any close
// or failed dial try again on the next of REXEC_URL's replicas (the same one when there is one),
// after reconnectDelayMs(round), where round counts the passes over every replica since the last
// session that lasted resetAfterMs or ended with 4008 (a replica shutting down: the next one is
// tried after the shortest delay). The wait is cut short when the replica to try next accepts
// connections again (reconnect-wait.ts). Fatal closes (4003–4006, HTTP 401 on upgrade) end the loop
// with an AgentFatalError for main to report. stop() says GOODBYE and closes with 4009.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  agentShouldReconnect,
  CloseCode,
  RECONNECT_BACKOFF,
  reconnectDelayMs,
} from '@rexec/protocol';
import type { AgentHello, AgentMessage } from '@rexec/protocol';
import { dial } from './connection.js';
import { AgentFatalError } from '../errors.js';
import type { AgentFatalCode } from '../errors.js';
import { probeTarget, waitToReconnect, type ProbeTarget } from './reconnect-wait.js';
import { describeClose, startSession } from './session.js';
import type { Session, SessionDeps, SessionEnd } from './session.js';

export interface ConnectLoopOptions extends Omit<SessionDeps, 'socket' | 'onWelcome'> {
  /** The control plane's replicas (never empty), tried in turn. */
  urls: readonly URL[];
  credential: string;
  /** Called on every WELCOME (each reconnect too). */
  onWelcome: SessionDeps['onWelcome'];
  random?: () => number;
}

export type LoopEnd = { kind: 'stopped' } | { kind: 'fatal'; error: AgentFatalError };

export interface ConnectLoop {
  /** Runs until stop() or a fatal close; never rejects. */
  run(): Promise<LoopEnd>;
  /** Sends on the established session; false (message dropped) when there is none. */
  send(message: AgentMessage): boolean;
  /** Sends AGENT_GOODBYE, closes with 4009 and ends run(). */
  stop(): Promise<void>;
}

const GOODBYE_CLOSE_WAIT_MS = 5_000;

const FATAL: Partial<Record<number, { code: AgentFatalCode; why: string }>> = {
  [CloseCode.UNAUTHORIZED]: {
    code: 'unauthorized',
    why: 'the control plane does not know this host credential; re-enroll with a join token',
  },
  [CloseCode.CREDENTIAL_REVOKED]: {
    code: 'credential_revoked',
    why: 'an admin revoked this host; re-enroll with a new join token',
  },
  [CloseCode.UNSUPPORTED_PROTOCOL_VERSION]: {
    code: 'unsupported_protocol_version',
    why: 'the control plane does not support this agent protocol version; upgrade the agent',
  },
  [CloseCode.REPLACED]: {
    code: 'replaced',
    why: "another agent process connected with this host's credential",
  },
};

function fatalFor(end: SessionEnd): AgentFatalError | null {
  if (agentShouldReconnect(end.code)) return null;
  const known = FATAL[end.code];
  const said = end.refuse === null ? '' : ` (control plane: ${end.refuse.message})`;
  return new AgentFatalError(
    known?.code ?? 'unauthorized',
    `connection closed with ${describeClose(end.code)}: ${known?.why ?? 'not retrying'}${said}`,
  );
}

export function createConnectLoop(options: ConnectLoopOptions): ConnectLoop {
  const { log } = options;
  const stopping = new AbortController();
  let session: Session | null = null;
  let finished: Promise<LoopEnd> | null = null;

  async function runSession(
    socketResult: Extract<Awaited<ReturnType<typeof dial>>, { ok: true }>,
    hello: AgentHello,
  ): Promise<SessionEnd> {
    const current = startSession({
      ...options,
      socket: socketResult.socket,
      buildHello: () => Promise.resolve(hello),
    });
    session = current;
    const end = await current.ended;
    session = null;
    return end;
  }

  async function loop(): Promise<LoopEnd> {
    const { urls } = options;
    if (urls.length === 0) throw new RangeError('the connect loop needs a control plane URL');
    const targets = urls.map(probeTarget);
    /** Which replica the next dial goes to. */
    let next = 0;
    /** Dials and sessions that failed since the last one that lasted (or ended with 4008). */
    let attempt = 0;
    /** The last dial got no answer at all: the wait may end as soon as a probe finds it ready. */
    let unreachable = false;
    /**
     * That shortcut was taken since the last session: once per outage, so a proxy that drops
     * upgrades while /readyz answers cannot turn the backoff into a retry every second.
     */
    let shortcutTaken = false;
    while (!stopping.signal.aborted) {
      // HELLO is built before dialling: `podman info` and the inventory take seconds on a busy host,
      // longer than either side lets a fresh socket wait (10 s for HELLO, 9 s of silence), and a
      // socket held open while they run was closed by both, again at every attempt.
      const hello = await options.buildHello().then(
        (built) => ({ ok: true as const, built }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      if (!hello.ok) {
        log.error({ err: hello.error }, 'could not build AGENT_HELLO; retrying');
        const delayMs = reconnectDelayMs(Math.floor(attempt / urls.length), options.random);
        attempt += 1;
        await sleep(delayMs, undefined, { signal: stopping.signal }).catch(() => undefined);
        continue;
      }
      if (stopping.signal.aborted) break;
      const url = urls[next] as URL;
      next = (next + 1) % urls.length;
      const dialed = await dial(url, options.credential);
      unreachable = !dialed.ok && !dialed.answered;
      if (dialed.ok) shortcutTaken = false;
      if (!dialed.ok && dialed.unauthorized) {
        return {
          kind: 'fatal',
          error: new AgentFatalError(
            'unauthorized',
            `${dialed.message}: the control plane refused this host credential; re-enroll with a join token`,
          ),
        };
      }
      if (dialed.ok) {
        if (stopping.signal.aborted) {
          dialed.socket.close(CloseCode.AGENT_SHUTTING_DOWN, 'agent shutting down');
          break;
        }
        log.info({ url: url.origin }, 'socket open to the control plane');
        const end = await runSession(dialed, hello.built);
        if (stopping.signal.aborted) break;
        const fatal = fatalFor(end);
        if (fatal !== null) return { kind: 'fatal', error: fatal };
        const lasted = end.welcomedAt === null ? 0 : Date.now() - end.welcomedAt;
        if (
          lasted >= RECONNECT_BACKOFF.resetAfterMs ||
          end.code === CloseCode.SERVER_SHUTTING_DOWN
        ) {
          attempt = 0;
        }
        log.warn(
          { code: end.code, close: describeClose(end.code), reason: end.reason, url: url.origin },
          'disconnected from the control plane',
        );
      } else {
        log.warn(
          { problem: dialed.message, url: url.origin },
          'could not connect to the control plane',
        );
      }
      const delayMs = reconnectDelayMs(Math.floor(attempt / urls.length), options.random);
      attempt += 1;
      log.info({ delayMs, attempt, url: urls[next]?.origin }, 'reconnecting');
      // With several replicas the next one is another: only its own probes say anything of it.
      const shortcut = unreachable && urls.length === 1 && !shortcutTaken;
      const waited = await waitToReconnect(delayMs, targets[next] as ProbeTarget, stopping.signal, {
        ...(options.random === undefined ? {} : { random: options.random }),
        unreachable: shortcut,
      });
      if (shortcut && waited === 'returned') shortcutTaken = true;
      if (waited === 'returned') {
        log.info('the control plane accepts connections again; reconnecting now');
      }
    }
    return { kind: 'stopped' };
  }

  return {
    run() {
      finished ??= loop();
      return finished;
    },
    send(message) {
      const current = session;
      if (current === null || !current.established) {
        log.debug({ type: message.type }, 'not connected; message dropped (HELLO will re-sync)');
        return false;
      }
      return current.send(message);
    },
    async stop() {
      stopping.abort();
      const current = session;
      if (current !== null) {
        if (current.established) {
          current.send({ type: 'AGENT_GOODBYE', reason: 'shutdown', message: 'agent stopping' });
        }
        current.close(CloseCode.AGENT_SHUTTING_DOWN, 'agent shutting down');
        await Promise.race([current.ended, sleep(GOODBYE_CLOSE_WAIT_MS)]);
      }
      if (finished !== null) await finished;
    },
  };
}
