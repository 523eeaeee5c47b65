// Starts a real control plane or agent as a child process for end-to-end suites: port 0, temp
// directories, a known admin token, and the environment each reads (DESIGN §2). Spawning, the
// ready wait and stopping are child-process.ts's job.
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { removeAfterProcesses, spawnUntilReady } from './child-process.js';
import type { RunningProcess } from './child-process.js';

export type ControlPlane = RunningProcess & { url: string; adminToken: string; dataDir: string };
export type Agent = RunningProcess & { stateDir: string };

async function tempDir(t: Test, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  removeAfterProcesses(t, dir);
  return dir;
}

/** A token in the format the control plane issues: `rexec_` + 32 random bytes as hex. */
export function generateToken(): string {
  return `rexec_${randomBytes(32).toString('hex')}`;
}

/**
 * A control plane on 127.0.0.1 port 0 with a bootstrap admin token. Uses embedded PGlite in
 * dataDir unless opts.env sets REXEC_DATABASE_URL. Pass dataDir to restart on earlier state; a
 * dataDir made here is deleted when the test ends.
 */
export async function startControlPlane(
  t: Test,
  opts: {
    env?: Record<string, string>;
    dataDir?: string;
    /** Run the built dist/main.js, as `npm start` does, instead of the TypeScript source. */
    built?: boolean;
  } = {},
): Promise<ControlPlane> {
  const dataDir = opts.dataDir ?? (await tempDir(t, 'rexec-cp-'));
  const adminToken = opts.env?.['REXEC_BOOTSTRAP_ADMIN_TOKEN'] ?? generateToken();
  const running = await spawnUntilReady(t, {
    name: 'control plane',
    entry: `packages/control-plane/${opts.built === true ? 'dist/main.js' : 'src/main.ts'}`,
    built: opts.built === true,
    readyMsg: 'listening',
    env: {
      REXEC_PORT: '0',
      REXEC_BIND: '127.0.0.1',
      REXEC_DATA_DIR: dataDir,
      REXEC_BOOTSTRAP_ADMIN_TOKEN: adminToken,
      // The suites' users run the machine's local test images (localhost/rexec-test/…), as an
      // operator sharing its own images would allow; the default is tested in-process.
      REXEC_ALLOWED_REGISTRIES: 'public,localhost',
      // Every client of a suite is 127.0.0.1, and suites try wrong and revoked tokens on purpose:
      // one address's failure budget would refuse every later request of the suite. The limits
      // themselves are tested in-process (abuse-limits.test.ts, agent-auth-limits.test.ts).
      REXEC_AUTH_FAILURES_PER_IP_PER_MIN: '1000000',
      REXEC_ENROLLS_PER_IP_PER_MIN: '1000000',
      ...opts.env,
    },
  });
  const url = running.ready['url'];
  if (typeof url !== 'string') {
    await running.stop();
    throw new Error(
      `control plane logged "listening" without a string url field:\n${running.output()}`,
    );
  }
  return { ...running, url, adminToken, dataDir };
}

/** An agent dialling url; ready once it logs "connected". A stateDir made here is deleted at the end. */
export async function startAgent(
  t: Test,
  opts: {
    url: string;
    joinToken?: string;
    hostName: string;
    stateDir?: string;
    env?: Record<string, string>;
    /** See SpawnOptions.wrap. */
    wrap?: readonly string[];
    /** See SpawnOptions.stopGraceMs. */
    stopGraceMs?: number;
    /** Run the built dist/main.js, as `npm start` does, instead of the TypeScript source. */
    built?: boolean;
  },
): Promise<Agent> {
  const stateDir = opts.stateDir ?? (await tempDir(t, 'rexec-agent-'));
  const running = await spawnUntilReady(t, {
    name: `agent ${opts.hostName}`,
    entry: `packages/agent/${opts.built === true ? 'dist/main.js' : 'src/main.ts'}`,
    built: opts.built === true,
    readyMsg: 'connected',
    env: {
      REXEC_URL: opts.url,
      REXEC_HOST_NAME: opts.hostName,
      REXEC_AGENT_STATE_DIR: stateDir,
      // Each test agent its own runtime directory (pid files), never the machine's /run one.
      REXEC_AGENT_RUNTIME_DIR: join(stateDir, 'run'),
      ...(opts.joinToken === undefined ? {} : { REXEC_JOIN_TOKEN: opts.joinToken }),
      ...opts.env,
    },
    ...(opts.wrap === undefined ? {} : { wrap: opts.wrap }),
    ...(opts.stopGraceMs === undefined ? {} : { stopGraceMs: opts.stopGraceMs }),
  });
  return { ...running, stateDir };
}
