#!/usr/bin/env node
// `npm start`: builds the workspace and the web console if needed, runs the control plane on the
// embedded database (REXEC_DATA_DIR, default ./.rexec; REXEC_PORT, default 8080), which serves the
// console at /, and, when podman or docker can run containers, one local agent joined with a join
// token minted through the admin API on first run (its credential stays in REXEC_DATA_DIR/agent). Children log to REXEC_DATA_DIR/logs; their
// warnings are echoed here. SIGINT/SIGTERM stop the agent first, then the control plane; exit 0.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ApiError,
  checkAdminToken,
  hostIsolated,
  mintJoinToken,
  readAdminToken,
} from './start/api.mjs';
import { build, buildConsole, needsBuild, needsConsoleBuild } from './start/build.mjs';
import { startChild } from './start/child.mjs';
import { chooseImage, detectEngine } from './start/engine.mjs';
import { noEngineHint, summary } from './start/summary.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const LISTEN_TIMEOUT_MS = 120_000;
const CONNECT_TIMEOUT_MS = 60_000;
// The agent finishes accepted commands before it says goodbye; give it longer than the control plane.
const AGENT_STOP_GRACE_MS = 30_000;
const CONTROL_PLANE_STOP_GRACE_MS = 15_000;

const say = (text) => process.stderr.write(`rexec: ${text}\n`);
const set = (value) => (value === undefined || value.trim() === '' ? undefined : value);

const dataDir = resolve(set(process.env.REXEC_DATA_DIR) ?? join(root, '.rexec'));
const logsDir = join(dataDir, 'logs');
const agentStateDir = join(dataDir, 'agent');

/** Running children, in start order; stopped in reverse. */
const children = [];
let stopping = null;

function stopAll(reason) {
  stopping ??= (async () => {
    if (reason !== null) say(`${reason}: stopping`);
    let clean = true;
    // A child that already ended was reported when it did; only the ones stopped now count.
    for (const child of [...children].reverse().filter((each) => each.isRunning())) {
      const grace = child.name === 'agent' ? AGENT_STOP_GRACE_MS : CONTROL_PLANE_STOP_GRACE_MS;
      const { code, signal } = await child.stop('SIGTERM', grace);
      const log = `${logsDir}/${logName(child)}`;
      if (signal === 'SIGTERM') {
        // Ended by the signal we sent rather than by its own clean exit: stopped, but say so.
        say(`the ${child.name} ended on SIGTERM without exiting by itself; see ${log}`);
      } else if (code !== 0) {
        clean = false;
        say(
          `the ${child.name} ${signal === null ? `exited with ${code}` : `was killed (${signal})`}; see ${log}`,
        );
      }
    }
    return clean;
  })();
  return stopping;
}

const logName = (child) => `${child.name.replace(' ', '-')}.log`;

for (const signal of ['SIGINT', 'SIGTERM']) {
  // Repeats are ignored: npm and the terminal may both deliver one Ctrl-C, and the stop is bounded.
  process.on(signal, () => {
    void stopAll(`got ${signal}`).then((clean) => process.exit(clean ? 0 : 1));
  });
}
// Last resort if this process dies on an error: the children are in their own process groups.
process.on('exit', () => {
  for (const child of children) {
    if (child.isRunning() && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
  }
});

function spawnChild(name, entry, env) {
  const child = startChild({
    name,
    entry: join(root, entry),
    env,
    cwd: root,
    logFile: join(logsDir, logName({ name })),
    onWarning: (text) => process.stderr.write(`[${name}] ${text}\n`),
  });
  children.push(child);
  return child;
}

/** The URL the local agent dials: a wildcard bind address is reached through loopback. */
function localUrl(listening) {
  const url = new URL(listening);
  if (url.hostname === '0.0.0.0') url.hostname = '127.0.0.1';
  if (url.hostname === '[::]') url.hostname = '[::1]';
  return url.origin;
}

async function startControlPlane() {
  const controlPlane = spawnChild('control plane', 'packages/control-plane/dist/main.js', {
    // One machine, one local agent it joins itself: no approval step (a variable still wins).
    REXEC_HOST_APPROVAL: 'auto',
    ...process.env,
    REXEC_DATA_DIR: dataDir,
  });
  const listening = await controlPlane.waitFor('listening', LISTEN_TIMEOUT_MS);
  if (listening === null || typeof listening.url !== 'string') {
    if (stopping !== null) return null;
    say(`the control plane did not start; its last output:\n${controlPlane.tail()}`);
    await stopAll(null);
    process.exit(1);
  }
  void controlPlane.exited.then(async ({ code }) => {
    if (stopping !== null) return;
    say(`the control plane exited unexpectedly (${code}); see ${logsDir}/control-plane.log`);
    await stopAll(null);
    process.exit(1);
  });
  return localUrl(listening.url);
}

async function adminTokenFor(url) {
  const token = readAdminToken(process.env, dataDir);
  if (token === null) {
    say(`no admin token: ${dataDir}/admin-token is missing and REXEC_BOOTSTRAP_ADMIN_TOKEN unset`);
    return null;
  }
  try {
    await checkAdminToken(url, token);
    return token;
  } catch (error) {
    say(`the admin token does not work against this database (${error.message})`);
    return null;
  }
}

/** Starts the local agent; resolves to a one-line description of the host, or null. */
async function startAgent(url, adminToken, engine) {
  const enrolled = existsSync(join(agentStateDir, 'agent-state.json'));
  let joinToken = '';
  if (!enrolled) {
    if (adminToken === null) {
      say('cannot join a local agent without a working admin token');
      return null;
    }
    try {
      joinToken = await mintJoinToken(url, adminToken);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      say(`cannot mint a join token: ${error.message}`);
      return null;
    }
  }
  const agent = spawnChild('agent', 'packages/agent/dist/main.js', {
    ...process.env,
    REXEC_URL: url,
    REXEC_AGENT_STATE_DIR: agentStateDir,
    // Beside its state, so npm start needs no root for /run/rexec-agent; a variable still wins.
    REXEC_AGENT_RUNTIME_DIR: process.env.REXEC_AGENT_RUNTIME_DIR || join(agentStateDir, 'run'),
    REXEC_RUNTIME: engine,
    // Empty counts as unset for the agent: a second run uses its stored credential.
    REXEC_JOIN_TOKEN: joinToken,
  });
  void agent.exited.then(({ code }) => {
    if (stopping !== null) return;
    say(`the agent exited (${code}): ${agent.lastError() ?? `see ${logsDir}/agent.log`}`);
    if (enrolled && code === 1) {
      say(`if its credential belongs to another database, remove ${agentStateDir} to join afresh`);
    }
    say('the API keeps serving; creates answer 503 no_capacity until a host joins');
  });
  const connected = await agent.waitFor('connected', CONNECT_TIMEOUT_MS);
  if (connected === null) {
    if (agent.isRunning() && stopping === null) {
      say(`the agent has not connected yet; it keeps retrying (see ${logsDir}/agent.log)`);
    }
    return null;
  }
  if (adminToken !== null) await warnIfUnisolated(url, adminToken, String(connected.host_id));
  const how = enrolled ? 'its stored credential' : 'a new join token';
  return `${String(connected.host_name)} (${String(connected.host_id)}) on ${engine}, joined with ${how}; state in ${agentStateDir}`;
}

// Fail closed (issue 16): a host without the guard gets no containers until an admin trusts it.
// npm start does not trust it on the operator's behalf; it says what is missing and how.
async function warnIfUnisolated(url, adminToken, hostId) {
  try {
    if (await hostIsolated(url, adminToken, hostId)) return;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    say(`cannot read the local host: ${error.message}`);
    return;
  }
  say(
    'the local agent could not install its host guard (it needs root and iptables), so containers ' +
      'would reach this machine and its LAN; no container is placed on it until you trust it:\n' +
      '  curl -X POST -H "Authorization: Bearer <admin token>" ' +
      `${url}/api/v1/hosts/${hostId}/trust`,
  );
}

async function main() {
  if (needsBuild(root)) {
    say('building the control plane and the agent (tsc -b)…');
    const code = await build(root);
    if (stopping !== null) return;
    if (code !== 0) process.exit(code);
  }
  if (needsConsoleBuild(root)) {
    say('building the web console (vite build)…');
    const code = await buildConsole(root);
    if (stopping !== null) return;
    // The API works without the console: say so and go on rather than refuse to start.
    if (code !== 0) say(`the console build failed (${code}); serving the API only`);
  }
  mkdirSync(logsDir, { recursive: true, mode: 0o700 });
  say(`data in ${dataDir}; child logs in ${logsDir}`);

  const url = await startControlPlane();
  if (url === null) return;
  const adminToken = await adminTokenFor(url);
  const found = detectEngine(set(process.env.REXEC_RUNTIME));
  let host = null;
  let image = null;
  if (found.kind !== null && stopping === null) {
    host = await startAgent(url, adminToken, found.kind);
    // Protocol constants come from the freshly built package, so the catalog is never copied here.
    const { IMAGE_CATALOG, OCI_REFERENCE_PATTERN } = await import('@rexec/protocol');
    image = chooseImage(found.kind, IMAGE_CATALOG, OCI_REFERENCE_PATTERN);
  }
  if (stopping !== null) return;
  const tokenSource = set(process.env.REXEC_BOOTSTRAP_ADMIN_TOKEN)
    ? 'from REXEC_BOOTSTRAP_ADMIN_TOKEN'
    : `stored in ${join(dataDir, 'admin-token')}`;
  process.stdout.write(
    summary({
      url,
      adminToken,
      tokenSource,
      host,
      engineHint: found.kind === null ? noEngineHint(found.problems) : null,
      image,
      logsDir,
    }),
  );
}

await main();
