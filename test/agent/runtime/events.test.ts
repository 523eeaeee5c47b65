// watchEvents against the real engine: an outside `kill` arrives as `die` with its exit code, an
// OOM kill inside the memory limit arrives as `oom` plus `die` with oomKilled (on podman 4 with
// cgroup v1 that fact comes from the kernel log, since the engine misses it), and the stream
// survives its engine process dying, replaying the gap without duplicates.
import { execa } from 'execa';
import t from 'tap';
import type {
  RuntimeEvent,
  RuntimeEventKind,
  RuntimeEventStream,
} from '../../../packages/agent/src/runtime/types.js';
import { busyboxSpec, engine, makeRuntime } from './fixture.js';

const WAIT_MS = 15_000;

/** Collects a stream's events and lets a test wait for one matching a predicate. */
function collect(stream: RuntimeEventStream) {
  const seen: RuntimeEvent[] = [];
  const waiters: { match: (e: RuntimeEvent) => boolean; resolve: (e: RuntimeEvent) => void }[] = [];
  const done = (async () => {
    for await (const event of stream) {
      seen.push(event);
      for (const waiter of waiters.filter((w) => w.match(event))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
    }
  })();
  function next(containerId: string, kind: RuntimeEventKind, after = 0): Promise<RuntimeEvent> {
    const match = (e: RuntimeEvent) => e.containerId === containerId && e.kind === kind;
    const earlier = seen.slice(after).find(match);
    if (earlier !== undefined) return Promise.resolve(earlier);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${kind} event for ${containerId} within ${WAIT_MS} ms`)),
        WAIT_MS,
      );
      waiters.push({
        match,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }
  return { seen, next, done };
}

// The bound is the wait itself: `next` rejects when no event came within WAIT_MS.
void t.test('an outside kill is reported as die with the exit code', async (t) => {
  const { runtime, kind } = await makeRuntime(t);
  const stream = runtime.watchEvents();
  t.teardown(() => stream.stop());
  const events = collect(stream);
  const spec = busyboxSpec();
  // Creating after the watch began also proves the stream is live before the kill.
  const created = await runtime.createAndStart(spec);
  await events.next(spec.containerId, 'start');

  const beforeKill = events.seen.length;
  await engine(kind, ['kill', created.engineId]);
  const die = await events.next(spec.containerId, 'die', beforeKill);
  t.notOk(
    events.seen.slice(0, beforeKill).some((e) => e.kind === 'die'),
    'nothing died before the kill',
  );
  t.equal(die.exitCode, 137, 'SIGKILL exit code');
  t.equal(die.oomKilled, false);
  t.equal(die.engineId, created.engineId);
  t.notOk(
    events.seen.some((e) => e.kind === 'oom'),
    'a plain kill is not an OOM',
  );

  const observed = await runtime.inspect(spec.containerId);
  t.match(observed, { state: 'exited', exitCode: 137, oomKilled: false });

  await runtime.remove(spec.containerId);
  await events.next(spec.containerId, 'destroy');
  await stream.stop();
  await events.done;
  t.pass('stop ends the iteration');
});

void t.test(
  'a container that exceeds its memory is reported as oom and die with oomKilled',
  async (t) => {
    const { runtime } = await makeRuntime(t);
    const stream = runtime.watchEvents();
    t.teardown(() => stream.stop());
    const events = collect(stream);
    const spec = busyboxSpec({
      memoryMb: 16,
      // The pause lets the test see `start` first; tail then buffers /dev/zero until the limit.
      command: ['sh', '-c', 'sleep 1; tail /dev/zero'],
    });
    await runtime.createAndStart(spec);
    const oom = await events.next(spec.containerId, 'oom');
    t.equal(oom.oomKilled, true);
    const die = await events.next(spec.containerId, 'die');
    t.equal(die.oomKilled, true);
    t.equal(die.exitCode, 137);
    t.ok(events.seen.indexOf(oom) < events.seen.indexOf(die), 'oom comes before die');
    t.equal(events.seen.filter((e) => e.kind === 'oom').length, 1, 'reported once');

    const observed = await runtime.inspect(spec.containerId);
    t.match(observed, { state: 'exited', oomKilled: true });
    const listed = await runtime.list();
    t.equal(listed[0]?.oomKilled, true);

    // A new run clears the verdict: the container is no longer OOM-killed once started again.
    const restarted = await runtime.start(spec.containerId);
    t.equal(restarted.oomKilled, false);
  },
);

void t.test(
  'the stream restarts when the engine process dies and replays the gap once',
  async (t) => {
    const { runtime, hostId } = await makeRuntime(t, { kernelOomWatch: false });
    const restarts: Error[] = [];
    const stream = runtime.watchEvents({ onRestart: (reason) => restarts.push(reason) });
    t.teardown(() => stream.stop());
    const events = collect(stream);
    const spec = busyboxSpec();
    await runtime.createAndStart(spec);
    await events.next(spec.containerId, 'start');

    // Only the events process of this test's unique host id is killed, by its pid.
    const found = await execa('pgrep', ['-f', `label=io.rexec.host-id=${hostId}`], {
      reject: false,
    });
    const pids = found.stdout.split('\n').filter((pid) => pid !== '');
    t.equal(pids.length, 1, 'one events process for this host');
    process.kill(Number(pids[0]), 'SIGKILL');
    const stoppedAt = events.seen.length;
    await runtime.stop(spec.containerId, 1);

    const die = await events.next(spec.containerId, 'die', stoppedAt);
    t.ok(restarts.length >= 1, 'onRestart was called');
    t.type(die.exitCode, 'number');
    const starts = events.seen.filter((e) => e.kind === 'start');
    t.equal(starts.length, 1, 'the replayed start is not delivered twice');
  },
);
