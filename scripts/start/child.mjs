// One child process of `npm start` (the control plane or the agent): spawned in its own process
// group so a terminal's Ctrl-C reaches only start.mjs, which then stops the children in order; its
// output appended to a log file (mode 0600, it may carry a token); its JSON log lines parsed so the
// caller can wait for a readiness message and echo warnings. Deciding what to start is start.mjs's.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

// pino's numeric levels: 40 warn, 50 error, 60 fatal.
const WARN_LEVEL = 40;
const LEVEL_NAMES = { 40: 'warn', 50: 'error', 60: 'fatal' };
const TAIL_LINES = 30;

/**
 * Starts `node <entry>` with env, logging to logFile. `onWarning(text)` receives each warn-or-worse
 * log line as one short sentence for the terminal.
 */
export function startChild({ name, entry, env, cwd, logFile, onWarning }) {
  const log = createWriteStream(logFile, { flags: 'a', mode: 0o600 });
  log.write(`--- ${new Date().toISOString()} npm start: ${name} starting\n`);
  const child = spawn(process.execPath, [entry], {
    cwd,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail = [];
  const waiters = [];
  const onLine = (line) => {
    log.write(`${line}\n`);
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    const record = parseJsonLine(line);
    if (record === null) return;
    if (typeof record.level === 'number' && record.level >= WARN_LEVEL) {
      onWarning(describe(record));
    }
    for (const waiter of [...waiters]) {
      if (record.msg === waiter.msg) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(record);
      }
    }
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);

  const exited = new Promise((resolve) => {
    child.once('error', (error) => {
      onLine(`npm start: could not spawn ${name}: ${error.message}`);
      resolve({ code: 1, signal: null });
    });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  void exited.then(({ code, signal }) => {
    log.end(`--- ${new Date().toISOString()} npm start: ${name} exited (${code ?? signal})\n`);
    for (const waiter of waiters.splice(0)) waiter.resolve(null);
  });

  const isRunning = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    pid: child.pid,
    exited,
    isRunning,
    /** Resolves to the first log record with this msg, or null if the child exits or time runs out. */
    waitFor(msg, timeoutMs) {
      if (!isRunning()) return Promise.resolve(null);
      return new Promise((resolve) => {
        const waiter = {
          msg,
          resolve: (record) => {
            clearTimeout(timer);
            resolve(record);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          resolve(null);
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    /** Sends signal, then SIGKILL after graceMs; resolves to how it ended ({code, signal}). */
    async stop(signal, graceMs) {
      if (isRunning()) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const ended = await exited;
      clearTimeout(timer);
      return ended;
    },
    /** The child's recent output, for explaining a failure. */
    tail: () => tail.join('\n'),
    /** The message of its last fatal or error line, if it wrote one. */
    lastError() {
      for (const line of [...tail].reverse()) {
        const record = parseJsonLine(line);
        if (record !== null && typeof record.level === 'number' && record.level >= 50) {
          return describe(record);
        }
      }
      return null;
    },
  };
}

function parseJsonLine(line) {
  if (!line.startsWith('{')) return null;
  try {
    const value = JSON.parse(line);
    return typeof value === 'object' && value !== null ? value : null;
  } catch {
    return null; // not a log record: plain output, kept in the log file only
  }
}

function describe(record) {
  const level = LEVEL_NAMES[record.level] ?? 'warn';
  const code = typeof record.code === 'string' ? ` [${record.code}]` : '';
  const error =
    typeof record.err === 'object' && record.err !== null && typeof record.err.message === 'string'
      ? `: ${record.err.message}`
      : '';
  return `${level}: ${String(record.msg ?? '(no message)')}${code}${error}`;
}
