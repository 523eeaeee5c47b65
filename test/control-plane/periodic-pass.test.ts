// The timer behind every background pass of the control plane: passes never overlap, a failed pass
// is reported and the next tick runs again, `again` chains passes without waiting, and stop()
// waits for the pass in progress and runs no more.
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { createPeriodicPass } from '../../packages/control-plane/src/periodic-pass.js';

/** A pass the test finishes by hand, counting starts and how many ran at once. */
function heldPasses() {
  const state = { started: 0, running: 0, most: 0, release: [] as (() => void)[] };
  const pass = () => {
    state.started += 1;
    state.running += 1;
    state.most = Math.max(state.most, state.running);
    return new Promise<number>((resolve) => {
      state.release.push(() => {
        state.running -= 1;
        resolve(state.started);
      });
    });
  };
  return { state, pass };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await sleep(5);
}

void t.test('a pass still running is not stacked on, and stop() waits for it', async (t) => {
  const { state, pass } = heldPasses();
  const timer = createPeriodicPass(pass, { intervalMs: 5, onError: () => t.fail('no error') });
  timer.start();
  await until(() => state.started === 1);
  await sleep(60); // a dozen ticks go by while the pass is held
  t.equal(state.started, 1, 'no second pass while the first runs');
  let stopped = false;
  const stopping = timer.stop().then(() => (stopped = true));
  await sleep(20);
  t.notOk(stopped, 'stop() waits for the pass in progress');
  state.release.shift()?.();
  await stopping;
  await sleep(30);
  t.equal(state.started, 1, 'no pass after stop()');
  t.equal(state.most, 1);
});

void t.test('a failed pass is reported and the next tick tries again', async (t) => {
  const errors: unknown[] = [];
  let calls = 0;
  const timer = createPeriodicPass(
    () => {
      calls += 1;
      return calls === 1 ? Promise.reject(new Error('database away')) : Promise.resolve(calls);
    },
    { intervalMs: 5, onError: (error) => errors.push(error) },
  );
  timer.start();
  await until(() => calls >= 2);
  await timer.stop();
  t.equal(errors.length, 1);
  t.match(errors[0], { message: 'database away' });
});

void t.test(
  'again() runs the next pass at once; atStart runs one before any interval',
  async (t) => {
    const seen: number[] = [];
    let calls = 0;
    const timer = createPeriodicPass(
      () => {
        calls += 1;
        seen.push(calls);
        return Promise.resolve(calls);
      },
      // An interval no test waits for: every pass here comes from atStart or again().
      {
        intervalMs: 3_600_000,
        atStart: true,
        again: (n) => n < 3,
        onError: () => t.fail('no error'),
      },
    );
    timer.start();
    await until(() => calls >= 3);
    await sleep(30);
    await timer.stop();
    t.same(seen, [1, 2, 3], 'three passes chained, then none until the interval');
  },
);
