// The tracker of background creates (lifecycle/launches.ts): shutdown's settle() waits for every
// launch under way, a launch that rejects is logged and never fails settle(), and settle() gives up
// after its timeout with a warning naming how many were left to reconciliation.
import t from 'tap';
import { createLaunches } from '../../../packages/control-plane/src/lifecycle/launches.js';
import { capturedLog } from '../../helpers/captured-log.js';

function deferred() {
  let resolve = (): void => undefined;
  let reject = (_error: unknown): void => undefined;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

void t.test('settle waits for every launch under way', async (t) => {
  const { log } = capturedLog();
  const launches = createLaunches(log);
  await launches.settle();
  t.pass('with none under way it resolves at once');
  const [first, second] = [deferred(), deferred()];
  launches.track(first.promise);
  launches.track(second.promise);
  t.equal(launches.size, 2);
  let settled = false;
  const settling = launches.settle(60_000).then(() => (settled = true));
  first.resolve();
  await new Promise((resolve) => setImmediate(resolve));
  t.notOk(settled, 'not while one is still under way');
  t.equal(launches.size, 1, 'the finished one is no longer tracked');
  second.resolve();
  await settling;
  t.equal(launches.size, 0);
});

void t.test('a launch that rejects is logged and settle still resolves', async (t) => {
  const { log, lines } = capturedLog();
  const launches = createLaunches(log);
  const failing = deferred();
  launches.track(failing.promise);
  failing.reject(new Error('the launch broke'));
  await launches.settle(60_000);
  const line = lines.find((entry) => entry['msg'] === 'a background create failed unexpectedly');
  t.match(line?.['err'], { message: 'the launch broke' });
});

void t.test('settle gives up after its timeout and says how many were left', async (t) => {
  const { log, lines } = capturedLog();
  const launches = createLaunches(log);
  const stuck = deferred();
  launches.track(stuck.promise);
  await launches.settle(20);
  const line = lines.find(
    (entry) => entry['msg'] === 'creates still under way at shutdown; left to reconciliation',
  );
  t.equal(line?.['launches'], 1);
  stuck.resolve();
});
