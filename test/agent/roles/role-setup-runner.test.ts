// The setup step of a create, on the real engine: barebone does nothing, a failed setup stops the
// container and throws with the log's tail, and the tail is cut and marked to fit the wire.
import { randomBytes } from 'node:crypto';
import { SETUP_LOG_TRUNCATED_MARKER } from '@rexec/protocol';
import { pino } from 'pino';
import t from 'tap';
import {
  createRoleSetupRunner,
  RoleSetupFailedError,
  wireSetupLog,
} from '../../../packages/agent/src/roles/role-setup-runner.js';
import { createCliRuntime } from '../../../packages/agent/src/runtime/cli-runtime.js';
import { removeTestHost, requireEngine } from '../../helpers/engine.js';
import { busyboxSpec } from '../runtime/fixture.js';

void t.test('a failed setup stops the container and reports the log tail', async (t) => {
  const kind = await requireEngine(t);
  const hostId = `roles-runner-${randomBytes(4).toString('hex')}`;
  const log = pino({ level: 'silent' });
  const runtime = createCliRuntime({ kind, hostId, log, kernelOomWatch: false });
  t.teardown(() => removeTestHost(kind, hostId));
  const { containerId } = await runtime.createAndStart(busyboxSpec());
  const runner = createRoleSetupRunner({ runtime, log });
  t.equal(await runner.ensure(containerId, 'barebone'), null, 'barebone has no setup');
  const error = await runner.ensure(containerId, 'node').then(
    () => null,
    (failure: unknown) => failure,
  );
  t.ok(error instanceof RoleSetupFailedError);
  if (!(error instanceof RoleSetupFailedError)) return;
  t.match(error.message, /role node needs a package manager/);
  t.match(error.log, /FAILED: role node needs a package manager/);
  t.equal(error.timedOut, false);
  t.equal((await runtime.inspect(containerId))?.state, 'exited', 'the container was stopped');
});

void t.test('the wire gets the tail, marked when anything was dropped', (t) => {
  t.equal(wireSetupLog('short log\n', false), 'short log\n');
  const cutByAgent = wireSetupLog('tail only\n', true);
  t.equal(cutByAgent, `${SETUP_LOG_TRUNCATED_MARKER}\ntail only\n`);
  const long = wireSetupLog(`${'x'.repeat(20_000)}\nlast line\n`, false);
  t.ok(long.startsWith(`${SETUP_LOG_TRUNCATED_MARKER}\n`));
  t.ok(long.endsWith('\nlast line\n'));
  t.ok(long.length <= 8_192, 'fits the wire DetailText');
  t.end();
});
