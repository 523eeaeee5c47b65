// The per-key queue status reports go through: one key's work runs in the order handed in, one at a
// time, whatever each takes; other keys do not wait; a failure reaches its caller and does not stop
// the next work; finished keys are forgotten.
import t from 'tap';
import { KeyedQueue } from '../../../packages/control-plane/src/lifecycle/keyed-queue.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

void t.test('work of one key runs in order, one at a time', async (t) => {
  const queue = new KeyedQueue();
  const seen: string[] = [];
  let running = 0;
  const step = (name: string, ms: number) => async () => {
    running += 1;
    t.equal(running, 1, `${name} runs alone`);
    await pause(ms);
    seen.push(name);
    running -= 1;
  };
  await Promise.all([
    queue.run('a', step('first', 30)),
    queue.run('a', step('second', 1)),
    queue.run('a', step('third', 10)),
  ]);
  t.same(seen, ['first', 'second', 'third']);
  t.equal(queue.size, 0, 'nothing is kept once done');
});

void t.test('other keys do not wait, and a failure neither hides nor blocks', async (t) => {
  const queue = new KeyedQueue();
  const seen: string[] = [];
  const slow = queue.run('a', async () => {
    await pause(50);
    throw new Error('engine said no');
  });
  const after = queue.run('a', async () => {
    seen.push('a-after');
    await Promise.resolve();
  });
  await queue.run('b', async () => {
    seen.push('b');
    await Promise.resolve();
  });
  t.same(seen, ['b'], 'b ran while a was still busy');
  await t.rejects(slow, { message: 'engine said no' });
  await after;
  t.same(seen, ['b', 'a-after']);
});
