// startControlPlane against the real control plane (packages/control-plane/src/main.ts): it
// listens on a free port, the generated bootstrap admin token works, and SIGTERM stops it cleanly.
// What the API answers is the control plane suites' business; this only proves the helper.
import { existsSync } from 'node:fs';
import t from 'tap';
import { startControlPlane } from '../helpers/processes.js';

void t.test('a control plane starts on a free port with a working admin token', async (t) => {
  const controlPlane = await startControlPlane(t);
  t.match(controlPlane.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.not(controlPlane.url, 'http://127.0.0.1:8080', 'port 0 picked a free port');
  t.ok(existsSync(controlPlane.dataDir), 'its data directory exists');

  const me = await fetch(`${controlPlane.url}/api/v1/me`, {
    headers: { authorization: `Bearer ${controlPlane.adminToken}` },
  });
  t.equal(me.status, 200, 'the admin token authenticates');
  t.equal(((await me.json()) as { user?: { is_admin?: boolean } }).user?.is_admin, true);

  t.equal(await controlPlane.stop(), 0, 'SIGTERM stops it with exit code 0');
  await t.rejects(fetch(`${controlPlane.url}/healthz`), 'nothing listens any more');
});
