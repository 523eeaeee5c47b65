// The console's terminal output flow control, with a stand-in for xterm whose writes are drawn only
// when the test says: output is handed over in slices, the shell is paused once more than the high
// water mark waits to be drawn and resumed once it is drawn down to the low one, and a new socket
// starts unpaused. The browser run (console.test.ts) covers the page itself.
import t from 'tap';
import type { Terminal as RemoteTerminal } from '../../packages/sdk/src/index.js';
import { outputFlow } from '../../packages/console/src/terminal/connection.js';

function slowXterm() {
  const waiting: { bytes: number; drawn: () => void }[] = [];
  return {
    waiting,
    write(data: string | Uint8Array, drawn?: () => void) {
      waiting.push({ bytes: data.length, drawn: drawn ?? (() => undefined) });
    },
    /** Draws the oldest writes until `bytes` are drawn. */
    draw(bytes: number) {
      let done = 0;
      while (done < bytes && waiting.length > 0) {
        const next = waiting.shift();
        done += next?.bytes ?? 0;
        next?.drawn();
      }
    },
  };
}

function remote() {
  const calls: string[] = [];
  const terminal = {
    pause: () => calls.push('pause'),
    resume: () => calls.push('resume'),
  } as unknown as RemoteTerminal;
  return { calls, terminal };
}

void t.test('a backlog past the high water pauses the shell; drawn down, it resumes', (t) => {
  const xterm = slowXterm();
  const flow = outputFlow(xterm);
  const { calls, terminal } = remote();
  flow.write(new Uint8Array(64 * 1024), terminal);
  t.equal(xterm.waiting.length, 8, 'a 64 KiB frame goes to xterm in 8 KiB slices');
  for (let i = 0; i < 15; i++) flow.write(new Uint8Array(64 * 1024), terminal);
  t.same(calls, [], '1 MiB waiting is not yet too much');
  flow.write(new Uint8Array(1024), terminal);
  t.same(calls, ['pause'], 'past 1 MiB the shell is paused');
  flow.write(new Uint8Array(64 * 1024), terminal);
  t.same(calls, ['pause'], 'once');
  xterm.draw(800 * 1024);
  t.same(calls, ['pause'], 'still more than 256 KiB waits');
  xterm.draw(64 * 1024);
  t.same(calls, ['pause', 'resume'], 'drawn down to 256 KiB, the shell resumes');
  xterm.draw(1024 * 1024);
  t.same(calls, ['pause', 'resume'], 'and is not resumed twice');
  t.end();
});

void t.test('a new socket starts unpaused and the old one is left alone', (t) => {
  const xterm = slowXterm();
  const flow = outputFlow(xterm);
  const first = remote();
  flow.write(new Uint8Array(2 * 1024 * 1024), first.terminal);
  t.same(first.calls, ['pause']);
  flow.reconnected();
  const second = remote();
  flow.write(new Uint8Array(1024), second.terminal);
  t.same(second.calls, ['pause'], 'the backlog is still there: the new socket is paused too');
  xterm.draw(4 * 1024 * 1024);
  t.same(first.calls, ['pause'], 'the closed socket is never resumed');
  t.same(second.calls, ['pause', 'resume']);
  t.end();
});
