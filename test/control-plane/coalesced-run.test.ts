// The one-at-a-time runner behind the relay's claims and the event probes: requests during a run
// make exactly one more run (not one each), a request after a run has ended starts another, a
// failed run is reported and later runs still happen, and stop() waits for the run in progress
// and runs nothing more.
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { createCoalescedRun } from '../../packages/control-plane/src/coalesced-run.js';

/** A task the test finishes by hand, counting starts and how many ran at once. */
function heldRuns() {
  const state = { started: 0, running: 0, most: 0, finish: [] as ((error?: Error) => void)[] };
  const task = () => {
    state.started += 1;
    state.running += 1;
    state.most = Math.max(state.most, state.running);
    return new Promise<void>((resolve, reject) => {
      state.finish.push((error) => {
        state.running -= 1;
        if (error === undefined) resolve();
        else reject(error);
      });
    });
  };
  return { state, task };
}

/** Lets every settled run's follow-up start (a few turns of the microtask queue and a tick). */
const settle = () => sleep(10);

void t.test('requests during a run make exactly one more run', async (t) => {
  const { state, task } = heldRuns();
  const runs = createCoalescedRun(task, () => t.fail('no error'));
  runs.request();
  t.equal(state.started, 1, 'the first request starts a run at once');
  for (let i = 0; i < 5; i++) runs.request();
  await settle();
  t.equal(state.started, 1, 'nothing more while the run is in progress');
  state.finish.shift()?.();
  await settle();
  t.equal(state.started, 2, 'the five requests made one follow-up run');
  state.finish.shift()?.();
  await settle();
  t.equal(state.started, 2, 'and no more after it');
  t.equal(state.most, 1, 'never two at once');
  await runs.stop();
});

void t.test('a request after the run has ended starts a new one', async (t) => {
  const { state, task } = heldRuns();
  const runs = createCoalescedRun(task, () => t.fail('no error'));
  runs.request();
  state.finish.shift()?.();
  await settle();
  t.equal(state.started, 1);
  runs.request();
  t.equal(state.started, 2, 'started at once: nothing was running');
  state.finish.shift()?.();
  await runs.stop();
});

void t.test('a failed run is reported and does not stop later runs', async (t) => {
  const errors: unknown[] = [];
  const { state, task } = heldRuns();
  const runs = createCoalescedRun(task, (error) => errors.push(error));
  runs.request();
  runs.request();
  state.finish.shift()?.(new Error('database away'));
  await settle();
  t.same(
    errors.map((error) => (error as Error).message),
    ['database away'],
  );
  t.equal(state.started, 2, 'the queued run still ran');
  state.finish.shift()?.();
  await settle();
  runs.request();
  t.equal(state.started, 3, 'and so does a later request');
  state.finish.shift()?.();
  await runs.stop();
});

void t.test('a task that throws before returning a promise is reported too', async (t) => {
  const errors: unknown[] = [];
  let calls = 0;
  const runs = createCoalescedRun(
    () => {
      calls += 1;
      throw new Error('no connection');
    },
    (error) => errors.push(error),
  );
  runs.request();
  await settle();
  runs.request();
  await settle();
  t.equal(calls, 2);
  t.equal(errors.length, 2);
  await runs.stop();
});

void t.test('stop() waits for the run in progress and drops the queued one', async (t) => {
  const { state, task } = heldRuns();
  const runs = createCoalescedRun(task, () => t.fail('no error'));
  runs.request();
  runs.request();
  let stopped = false;
  const stopping = runs.stop().then(() => (stopped = true));
  await settle();
  t.notOk(stopped, 'stop() waits for the run in progress');
  state.finish.shift()?.();
  await stopping;
  await settle();
  runs.request();
  await settle();
  t.equal(state.started, 1, 'neither the queued run nor a later request ran');
});
