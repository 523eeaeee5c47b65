// The agent's terminals (PROTOCOL.md §9): sessions keyed by (container id, session id), shared by
// every agent socket the agent has over its life, so a reconnect can resume them. Opens check the
// per-container limit and that the container runs, then probe and spawn `<engine> exec -it` under
// node-pty. Channels are per socket and live in terminal-connection.ts; one shell is
// terminal-session.ts.
import { randomBytes } from 'node:crypto';
import type { ControlTerminalOpen } from '@rexec/protocol';
import { spawn } from 'node-pty';
import type { Logger } from 'pino';
import type { TerminalConfig } from '../config.js';
import { containerName } from '../runtime/index.js';
import type { ContainerRuntime } from '../runtime/index.js';
import { createShellProbe, ShellNotFoundError } from './shell-probe.js';
import { killShellInContainer, TERMINAL_ID_VARIABLE } from './shell-kill.js';
import { createTerminalConnection } from './terminal-connection.js';
import { TerminalOpenError } from './terminal-open-error.js';
import type { TerminalConnection } from './terminal-connection.js';
import type { TerminalLink } from './terminal-link.js';
import { TerminalSession } from './terminal-session.js';

export interface TerminalManagerOptions {
  runtime: ContainerRuntime;
  /** The engine CLI the runtime drives (`podman`, `docker` or a path). */
  binary: string;
  config: TerminalConfig;
  log: Logger;
}

export interface OpenedSession {
  session: TerminalSession;
  resumed: boolean;
}

export interface TerminalManager {
  /** Serves the terminals of one established agent socket. */
  connect(link: TerminalLink): TerminalConnection;
  /** The session named by the open, started if needed; rejects with a TerminalOpenError. */
  open(message: ControlTerminalOpen): Promise<OpenedSession>;
  /** The engine said the container stopped or was removed: its shells end `container_stopped`. */
  containerStopped(containerId: string): void;
  /** Kills every shell; opens after this fail. */
  shutdown(): Promise<void>;
  readonly sessionCount: number;
}

const TERM = 'xterm-256color';
const SHUTDOWN_WAIT_MS = 10_000;

const sessionKey = (containerId: string, sessionId: string) => `${containerId}\u0000${sessionId}`;

export function createTerminalManager(options: TerminalManagerOptions): TerminalManager {
  const { runtime, binary, config, log } = options;
  const sessions = new Map<string, TerminalSession>();
  // Opens of a session still starting, so a second open of the same session waits for the first.
  const starting = new Map<string, { containerId: string; done: Promise<TerminalSession> }>();
  const probe = createShellProbe(binary);
  let stopped = false;

  function countFor(containerId: string): number {
    let count = 0;
    for (const session of sessions.values()) if (session.containerId === containerId) count += 1;
    for (const pending of starting.values()) if (pending.containerId === containerId) count += 1;
    return count;
  }

  async function start(message: ControlTerminalOpen, key: string): Promise<TerminalSession> {
    const containerId = message.container_id;
    let observed;
    try {
      observed = await runtime.inspect(containerId);
    } catch (error) {
      throw new TerminalOpenError('exec_failed', 'could not inspect the container', {
        cause: error,
      });
    }
    if (observed?.state !== 'running') {
      throw new TerminalOpenError(
        'container_not_running',
        `container ${containerId} is not running`,
      );
    }
    let plan;
    try {
      plan = await probe.plan(containerId, observed.engineId, message.shell);
    } catch (error) {
      if (error instanceof ShellNotFoundError) {
        throw new TerminalOpenError('shell_not_found', error.message, { cause: error });
      }
      throw new TerminalOpenError('exec_failed', 'could not prepare a shell in the container', {
        cause: error,
      });
    }
    if (stopped) throw new TerminalOpenError('exec_failed', 'the agent is shutting down');
    const terminalId = randomBytes(16).toString('hex');
    const args = [
      'exec',
      '-it',
      '-e',
      `TERM=${TERM}`,
      '-e',
      `${TERMINAL_ID_VARIABLE}=${terminalId}`,
    ];
    args.push('-w', plan.homeDir, containerName(containerId), plan.shell);
    let pty;
    try {
      pty = spawn(binary, args, {
        name: TERM,
        cols: message.cols,
        rows: message.rows,
        cwd: '/',
        env: { ...process.env, TERM },
        encoding: null,
      });
    } catch (error) {
      throw new TerminalOpenError('exec_failed', `could not start ${binary} exec`, {
        cause: error,
      });
    }
    const sessionLog = log.child({ containerId, session: message.session });
    const session = new TerminalSession({
      containerId,
      engineId: observed.engineId,
      sessionId: message.session,
      pty,
      scrollbackBytes: config.scrollbackBytes,
      graceMs: config.graceMs,
      log: sessionLog,
      killShell: () => killShellInContainer(binary, containerId, terminalId),
      containerRunning: async () => (await runtime.inspect(containerId))?.state === 'running',
      onGone: () => {
        if (sessions.get(key) === session) sessions.delete(key);
        sessionLog.info('terminal session ended');
      },
    });
    sessionLog.info({ shell: plan.shell, homeDir: plan.homeDir }, 'terminal session started');
    return session;
  }

  const manager: TerminalManager = {
    connect(link) {
      return createTerminalConnection({ manager, link, log });
    },
    async open(message) {
      const key = sessionKey(message.container_id, message.session);
      const pending = starting.get(key);
      if (pending !== undefined) {
        return { session: await pending.done, resumed: true };
      }
      const existing = sessions.get(key);
      if (existing !== undefined) return { session: existing, resumed: true };
      if (stopped) throw new TerminalOpenError('exec_failed', 'the agent is shutting down');
      if (countFor(message.container_id) >= config.maxSessionsPerContainer) {
        throw new TerminalOpenError(
          'too_many_sessions',
          `container ${message.container_id} already has ${config.maxSessionsPerContainer} terminal sessions`,
        );
      }
      const done = start(message, key);
      starting.set(key, { containerId: message.container_id, done });
      try {
        const session = await done;
        sessions.set(key, session);
        return { session, resumed: false };
      } finally {
        starting.delete(key);
      }
    },
    containerStopped(containerId) {
      for (const session of [...sessions.values()]) {
        if (session.containerId !== containerId) continue;
        probe.forget(session.engineId);
        session.fail('container_stopped', `container ${containerId} stopped`);
      }
    },
    async shutdown() {
      stopped = true;
      const all = [...sessions.values()].map((session) => session.terminate());
      await Promise.race([
        Promise.allSettled(all),
        new Promise((resolve) => setTimeout(resolve, SHUTDOWN_WAIT_MS).unref()),
      ]);
    },
    get sessionCount() {
      return sessions.size;
    },
  };
  return manager;
}
