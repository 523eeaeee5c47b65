// TerminalOutput on its own: small output leaves at once, streamed output travels in big frames,
// credit is never exceeded and the PTY is paused only for credit. Chunks pushed in one tick count
// as streaming (they follow a frame within COALESCE_MS); nothing here measures time.
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { MAX_TERMINAL_CHUNK_BYTES } from '@rexec/protocol';
import {
  COALESCE_MS,
  STREAM_CHUNK_BYTES,
  TerminalOutput,
} from '../../../packages/agent/src/terminal/terminal-output.js';

const PTY_READ = 4096;

function rig(credit: number) {
  const frames: Buffer[] = [];
  let settled = 0;
  const output = new TerminalOutput(
    credit,
    (payload) => frames.push(Buffer.from(payload)),
    () => settled++,
  );
  return { output, frames, settled: () => settled };
}

/** Distinct bytes per chunk, so a reordering or a lost byte shows. */
function chunk(index: number, size = PTY_READ): Buffer {
  return Buffer.alloc(size, index % 251);
}

void t.test('a keystroke echo leaves at once, even right after streamed output', (t) => {
  const { output, frames } = rig(1 << 20);
  output.push(Buffer.from('k'));
  t.same(frames, [Buffer.from('k')], 'the first echo went out in the push');
  output.push(chunk(1));
  output.push(chunk(2));
  const before = frames.length;
  output.push(Buffer.from('$ '));
  t.equal(frames.length, before + 1, 'a prompt flushes what waited before it, in one frame');
  t.same(
    Buffer.concat(frames),
    Buffer.concat([Buffer.from('k'), chunk(1), chunk(2), Buffer.from('$ ')]),
  );
  t.equal(output.queuedBytes, 0);
  t.end();
});

void t.test(
  'streamed output is held briefly and leaves in frames of up to the maximum',
  async (t) => {
    const { output, frames, settled } = rig(1 << 20);
    const chunks = Array.from({ length: 40 }, (_, i) => chunk(i));
    for (const piece of chunks) output.push(piece);
    // 40 reads of 4 KB: the first leaves alone, full frames leave at once, the rest is held.
    t.equal(frames.length, 3, 'the first read, then two full frames');
    t.equal(frames[1]?.byteLength, MAX_TERMINAL_CHUNK_BYTES);
    t.equal(frames[2]?.byteLength, MAX_TERMINAL_CHUNK_BYTES);
    t.ok(output.queuedBytes > 0, 'the tail is held for reads still to come');
    t.notOk(output.blocked, 'held output does not pause the PTY');
    await sleep(COALESCE_MS * 10);
    t.equal(frames.length, 4, 'the held tail left in one frame');
    t.equal(settled(), 1, 'the owner was told after it left on its own');
    t.same(Buffer.concat(frames), Buffer.concat(chunks), 'every byte, in order, once');
    t.ok(frames.every((frame) => frame.byteLength <= MAX_TERMINAL_CHUNK_BYTES));
  },
);

void t.test('reads smaller than a stream chunk are never held', (t) => {
  const { output, frames } = rig(1 << 20);
  const small = STREAM_CHUNK_BYTES - 1;
  for (let i = 0; i < 10; i++) output.push(chunk(i, small));
  t.equal(frames.length, 10, 'one frame per read');
  t.equal(output.queuedBytes, 0);
  t.end();
});

void t.test('output never exceeds the credit; the PTY pauses until credit comes', (t) => {
  const window = 10_000;
  const { output, frames } = rig(window);
  const chunks = Array.from({ length: 6 }, (_, i) => chunk(i));
  for (const piece of chunks) output.push(piece);
  output.flush();
  const sent = () => frames.reduce((sum, frame) => sum + frame.byteLength, 0);
  t.equal(sent(), window, 'exactly the window went out');
  t.ok(output.blocked, 'what is left waits for credit: the PTY is paused');
  output.grant(5_000);
  t.equal(sent(), window + 5_000, 'a grant sends as much as it allows');
  output.grant(1 << 20);
  t.equal(sent(), 6 * PTY_READ, 'the rest after the next grant');
  t.notOk(output.blocked);
  t.same(Buffer.concat(frames), Buffer.concat(chunks));
  t.end();
});

void t.test('held output is not blocked unless it is beyond the credit', (t) => {
  const { output } = rig(6_000);
  output.push(chunk(0));
  output.push(chunk(1));
  t.equal(output.queuedBytes, PTY_READ, 'the second read is held, beyond what credit is left');
  t.ok(output.blocked, 'over the credit: paused even while a batch is being held');
  t.end();
});

void t.test('a send that hands credit back at once keeps going', (t) => {
  const frames: Buffer[] = [];
  const output: TerminalOutput = new TerminalOutput(
    PTY_READ,
    (payload) => {
      frames.push(Buffer.from(payload));
      output.grant(payload.byteLength);
    },
    () => undefined,
  );
  for (let i = 0; i < 5; i++) output.push(chunk(i));
  output.flush();
  t.equal(output.queuedBytes, 0, 'drained through the credit returned during each send');
  t.same(Buffer.concat(frames), Buffer.concat(Array.from({ length: 5 }, (_, i) => chunk(i))));
  t.end();
});

void t.test('clear drops held output and nothing is sent afterwards', async (t) => {
  const { output, frames, settled } = rig(1 << 20);
  output.push(chunk(0));
  output.push(chunk(1));
  t.equal(frames.length, 1);
  output.clear();
  output.push(chunk(2));
  output.grant(1 << 20);
  output.flush();
  await sleep(COALESCE_MS * 10);
  t.equal(frames.length, 1, 'nothing after the clear');
  t.equal(settled(), 0, 'the held batch did not fire');
  t.equal(output.queuedBytes, 0);
});

void t.test('credit arriving while a batch is held does not cut it short', async (t) => {
  const { output, frames } = rig(1 << 20);
  output.push(chunk(0));
  output.push(chunk(1));
  output.push(chunk(2));
  output.grant(PTY_READ);
  t.equal(frames.length, 1, 'the held reads still wait for the rest of the batch');
  await sleep(COALESCE_MS * 10);
  t.equal(frames.length, 2, 'and leave together');
  t.equal(frames[1]?.byteLength, 2 * PTY_READ);
});
