// Debian's HAProxy run by the test itself with the real deploy/haproxy.cfg, in the foreground (-db)
// on a free loopback port, its replicas given through the environment as the file expects; never
// the packaged systemd service. It keeps each server's last state from HAProxy's own "Server
// replicas/<name> is UP|DOWN" lines, and is stopped at the end of the test that started it.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Test } from 'tap';
import { REPO_ROOT } from '../helpers/child-process.js';
import { freePort } from '../helpers/net.js';

const HAPROXY_BINARY = 'haproxy';
export const HAPROXY_CONFIG = join(REPO_ROOT, 'deploy/haproxy.cfg');
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const OUTPUT_LIMIT_LINES = 400;

export type ServerName = 'replica-1' | 'replica-2';

export interface Balancer {
  /** `http://127.0.0.1:<port>`, where clients and agents reach the replicas. */
  url: string;
  /** The state HAProxy last announced for a server; undefined before any change. */
  state(server: ServerName): 'UP' | 'DOWN' | undefined;
  /** HAProxy's last lines, stdout and stderr interleaved. */
  output(): string;
}

/** Starts HAProxy on replicas' `host:port` and waits until it answers /healthz. */
export async function startBalancer(
  t: Test,
  replicas: Record<ServerName, string>,
): Promise<Balancer> {
  const port = await freePort();
  const child = spawn(HAPROXY_BINARY, ['-f', HAPROXY_CONFIG, '-db'], {
    env: {
      PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      REXEC_LB_BIND: `127.0.0.1:${port}`,
      REXEC_REPLICA_1: replicas['replica-1'],
      REXEC_REPLICA_2: replicas['replica-2'],
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  });

  const lines: string[] = [];
  const states = new Map<ServerName, 'UP' | 'DOWN'>();
  // HAProxy says it on stderr and again through `log stdout`; either is enough.
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      if (lines.length > OUTPUT_LIMIT_LINES) lines.shift();
      const change = /Server replicas\/(replica-[12]) is (UP|DOWN)\b/.exec(line);
      if (change !== null) states.set(change[1] as ServerName, change[2] as 'UP' | 'DOWN');
    });
  }
  const output = () => lines.join('\n');
  const url = `http://127.0.0.1:${port}`;

  const exited = new Promise<never>((_resolve, reject) => {
    child.once('error', (error) =>
      reject(
        new Error(
          `${HAPROXY_BINARY} could not be started (${error.message}); .ci/run installs Debian's haproxy`,
        ),
      ),
    );
    child.once('exit', (code, signal) =>
      reject(new Error(`${HAPROXY_BINARY} exited (code ${code}, signal ${signal}):\n${output()}`)),
    );
  });
  exited.catch(() => undefined); // only awaited while starting; a later exit fails the requests
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const answered = await Promise.race([
      fetch(`${url}/healthz`).then(
        (response) => response.ok,
        () => false, // not listening yet
      ),
      exited,
    ]);
    if (answered) break;
    if (Date.now() > deadline) throw new Error(`HAProxy did not answer /healthz:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, state: (server) => states.get(server), output };
}
