// `npm start` end to end on the real podman/docker found here: a temp REXEC_DATA_DIR and a random
// REXEC_PORT; the printed token works, the printed curl line (run by a real shell and curl) makes a
// container that becomes running, a Ctrl-C stops every process with exit 0 and leaves the container
// up, and a second run reuses the token, the host and the container.
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { Container, HostList } from '@rexec/protocol';
import { engine, removeTestHost, requireEngine } from '../helpers/engine.js';
import { callApi } from '../helpers/rest.js';
import { freePort } from '../helpers/net.js';
import { alive, descendants, startRexec } from './npm-start.js';
import type { NpmStart } from './npm-start.js';

// Two full `npm start` runs (and a rebuild when sources changed) take minutes on a busy 2-core
// machine.
t.setTimeout(900_000);

async function containerStatus(url: string, token: string, id: string): Promise<string> {
  const answer = await callApi(url, token, 'GET', `/containers/${id}`);
  if (answer.status !== 200) throw new Error(`GET container answered ${answer.status}`);
  return Container.parse(answer.body).status;
}

async function waitForStatus(url: string, token: string, id: string, wanted: string) {
  const deadline = Date.now() + 300_000;
  let status = await containerStatus(url, token, id);
  while (status !== wanted && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    status = await containerStatus(url, token, id);
  }
  return status;
}

/** Ctrl-C to the group; returns the exit code and the pids that were its process tree. */
async function interrupt(run: NpmStart) {
  const pids = descendants(run.process.pid ?? 0);
  const code = await run.interrupt('SIGINT');
  // Children exit on their own after npm does; give a loaded machine a minute to let them go.
  const deadline = Date.now() + 60_000;
  while (pids.some(alive) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { code, pids, left: pids.filter(alive) };
}

void t.test('npm start runs Rexec with a local agent and keeps it across restarts', async (t) => {
  const kind = await requireEngine(t);
  const dataDir = await mkdtemp(join(tmpdir(), 'rexec-start-'));
  const port = await freePort();
  const env = { REXEC_DATA_DIR: dataDir, REXEC_PORT: String(port), REXEC_RUNTIME: kind };
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const first = await startRexec(t, env);
  const { url, adminToken, curlCreate } = first.summary;
  t.equal(url, `http://127.0.0.1:${port}`, 'REXEC_PORT is honoured and the URL printed');
  t.equal(first.summary.console, `${url}/`, 'the console URL is printed');
  const consolePage = await fetch(first.summary.console);
  t.equal(consolePage.status, 200, 'the console is built and served');
  t.match(await consolePage.text(), /<title>Rexec console<\/title>/);
  t.equal(
    (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim(),
    adminToken,
    'the printed token is the stored one',
  );
  const me = await callApi(url, adminToken, 'GET', '/me');
  t.equal(me.status, 200, 'the printed admin token works');
  t.match(first.summary.host, /joined with a new join token/);
  const hosts = HostList.parse((await callApi(url, adminToken, 'GET', '/hosts')).body).hosts;
  t.equal(hosts.length, 1, 'one local host joined');
  const hostId = hosts[0]?.id;
  if (hostId === undefined) throw new Error('no host joined');
  // Agents leave containers running by design: remove what this host left behind.
  t.teardown(() => removeTestHost(kind, hostId));
  t.match(first.stdout(), new RegExp(`which ${kind} already has`), 'the image is said to be local');

  if (curlCreate === undefined) throw new Error(`no curl line printed:\n${first.stdout()}`);
  const created = await execa('sh', ['-c', curlCreate]);
  const container = Container.parse(JSON.parse(created.stdout));
  t.equal(container.host_id, hostId, 'placed on the local host');
  t.equal(await waitForStatus(url, adminToken, container.id, 'running'), 'running');

  const firstStop = await interrupt(first);
  t.equal(firstStop.code, 0, 'Ctrl-C exits 0');
  t.ok(firstStop.pids.length >= 3, 'npm, start.mjs and the children were seen');
  t.same(firstStop.left, [], 'no process of the tree is left');
  t.notMatch(first.stderr(), /was killed|exited with/, 'both children stopped within their grace');
  const inspect = await engine(kind, [
    'inspect',
    '--format',
    '{{.State.Running}}',
    `rexec-${container.id}`,
  ]);
  t.equal(inspect.stdout.trim(), 'true', 'the container keeps running while Rexec is down');

  const second = await startRexec(t, env);
  t.equal(second.summary.adminToken, adminToken, 'the same admin token');
  t.match(second.summary.host, /joined with its stored credential/);
  t.match(second.summary.host, hostId);
  const hostsAgain = HostList.parse((await callApi(url, adminToken, 'GET', '/hosts')).body).hosts;
  t.same(
    hostsAgain.map((host) => host.id),
    [hostId],
    'the same host, no second one',
  );
  t.equal(
    await waitForStatus(url, adminToken, container.id, 'running'),
    'running',
    'the container is still running',
  );
  const secondStop = await interrupt(second);
  t.equal(secondStop.code, 0, 'Ctrl-C exits 0 again');
  t.same(secondStop.left, [], 'no process left after the second run');
});
