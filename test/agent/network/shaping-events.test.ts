// Which engine `start` events make the agent shape a container again (runtime/container-shaping.ts),
// with a recording shaper and hand-fed events: the runtime's own run or start is shaped by itself,
// so its event is not (that was an inspect and a second shaping on every create); a start from
// outside, after our start ended or after a `die`, is shaped; a pid already shaped is not again.
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import t from 'tap';
import { createContainerShaping } from '../../../packages/agent/src/runtime/container-shaping.js';
import type {
  RuntimeEvent,
  RuntimeEventKind,
  RuntimeEventStream,
} from '../../../packages/agent/src/runtime/types.js';

function harness() {
  const shaped: Array<{ pid: number; mbps: number }> = [];
  let pid = 100;
  let located = 0;
  const shaping = createContainerShaping({
    kind: 'docker',
    shaper: {
      shape: (shapedPid, mbps) => {
        shaped.push({ pid: shapedPid, mbps });
        return Promise.resolve();
      },
    },
    log: pino({ level: 'silent' }),
    locate: () => {
      located++;
      return Promise.resolve({ pid, labels: { 'io.rexec.network-mbps': '8' } });
    },
  });
  const pending: RuntimeEvent[] = [];
  let wake: (() => void) | null = null;
  let ended = false;
  const source: RuntimeEventStream = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const next = pending.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    stop: () => {
      ended = true;
      wake?.();
      return Promise.resolve();
    },
  };
  const stream = shaping.tap(source);
  const consumed = (async () => {
    for await (const event of stream) void event;
  })();
  /** Feeds one event and waits until the tap (and any shaping it starts) had its turn. */
  async function emit(kind: RuntimeEventKind, at: Date): Promise<void> {
    pending.push({ kind, containerId: 'c1', engineId: 'e1', exitCode: null, oomKilled: false, at });
    wake?.();
    await sleep(50);
  }
  return {
    shaping,
    shaped,
    emit,
    located: () => located,
    newPid: () => (pid += 1),
    stop: async () => {
      await stream.stop();
      await consumed;
    },
  };
}

void t.test("the runtime's own start is not shaped again from its event", async (t) => {
  const h = harness();
  t.teardown(h.stop);
  const done = h.shaping.ownStart('c1');
  await h.emit('start', new Date());
  t.equal(h.located(), 0, 'no inspect for an event of our start under way');
  done();
  // Engines stamp events to the second at times: still before the end of our start.
  await h.emit('start', new Date(Math.floor(Date.now() / 1000) * 1000 - 1));
  t.same(h.shaped, [], 'nothing shaped from the events');
});

void t.test('a start from outside after ours ended is shaped', async (t) => {
  const h = harness();
  t.teardown(h.stop);
  const done = h.shaping.ownStart('c1');
  done();
  await sleep(5);
  h.newPid();
  await h.emit('start', new Date(Date.now() + 1));
  t.same(h.shaped, [{ pid: 101, mbps: 8 }], 'shaped from its label, in the new pid');
  await h.emit('start', new Date(Date.now() + 1));
  t.equal(h.shaped.length, 1, 'the same pid is not shaped twice');
});

void t.test('after a die, even an early-stamped start is shaped', async (t) => {
  const h = harness();
  t.teardown(h.stop);
  const done = h.shaping.ownStart('c1');
  const ourStart = new Date();
  done();
  await h.emit('die', new Date());
  h.newPid();
  await h.emit('start', ourStart);
  t.same(h.shaped, [{ pid: 101, mbps: 8 }], 'the die ended what counted as ours');
});

void t.test('a container the runtime never started is shaped on its start event', async (t) => {
  const h = harness();
  t.teardown(h.stop);
  await h.emit('start', new Date());
  t.same(h.shaped, [{ pid: 100, mbps: 8 }]);
});
