// `npm start`'s script on a machine without a container engine: run with a PATH that holds only
// node and sh (so neither podman nor docker is found), it still serves the API with a working admin
// token, joins no agent, says which engine to install, and SIGTERM stops it with exit 0.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { callApi } from '../helpers/rest.js';
import { freePort } from '../helpers/net.js';
import { alive, descendants, startRexec } from './npm-start.js';

// A rebuild when sources changed and a first PGlite start take minutes on a busy 2-core machine.
t.setTimeout(600_000);

void t.test(
  'without podman or docker the API still serves and the engine hint is printed',
  async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'rexec-start-bare-'));
    const bin = await mkdtemp(join(tmpdir(), 'rexec-bin-'));
    t.teardown(async () => {
      await rm(dataDir, { recursive: true, force: true });
      await rm(bin, { recursive: true, force: true });
    });
    await symlink(process.execPath, join(bin, 'node'));
    await symlink('/bin/sh', join(bin, 'sh'));
    const port = await freePort();

    const run = await startRexec(
      t,
      { REXEC_DATA_DIR: dataDir, REXEC_PORT: String(port), PATH: bin },
      { file: process.execPath, args: ['scripts/start.mjs'] },
    );
    const out = run.stdout();
    t.match(out, /No container engine can run containers here/);
    t.match(out, /Install Podman \("apt-get install podman runc"/);
    t.match(out, /podman is not installed/);
    t.match(out, /docker is not installed/);
    t.match(run.summary.host, /none joined/);
    t.equal(run.summary.curlCreate, undefined, 'no create line that could only answer 503');
    t.equal(run.summary.url, `http://127.0.0.1:${port}`);
    const me = await callApi(run.summary.url, run.summary.adminToken, 'GET', '/me');
    t.equal(me.status, 200, 'the printed admin token works');
    t.notOk(existsSync(join(dataDir, 'agent')), 'no agent was started');

    const pids = descendants(run.process.pid ?? 0);
    t.equal(await run.interrupt('SIGTERM'), 0, 'SIGTERM exits 0');
    t.same(pids.filter(alive), [], 'the control plane is gone too');
  },
);
