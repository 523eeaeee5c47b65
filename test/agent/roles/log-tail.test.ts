// The bounded log tail: keeps the last bytes, says when it dropped some, and never starts in the
// middle of a UTF-8 character.
import t from 'tap';
import { LogTail } from '../../../packages/agent/src/roles/log-tail.js';

void t.test('output within the limit is kept whole', (t) => {
  const tail = new LogTail(16);
  tail.push('hello ');
  tail.push(Buffer.from('world'));
  t.equal(tail.text(), 'hello world');
  t.equal(tail.truncated, false);
  t.end();
});

void t.test('only the last bytes are kept once the limit is passed', (t) => {
  const tail = new LogTail(8);
  for (let i = 0; i < 100; i++) tail.push(`line ${i}\n`);
  t.equal(tail.text(), 'line 99\n'.slice(-8));
  t.equal(tail.truncated, true);
  t.end();
});

void t.test('a cut inside a multi-byte character drops its remains', (t) => {
  const tail = new LogTail(5);
  tail.push('aaé€x');
  // 'é€x' is 2 + 3 + 1 bytes; the last 5 bytes start inside 'é'.
  t.equal(tail.text(), '€x');
  t.end();
});

void t.test('a nonsensical limit is refused', (t) => {
  t.throws(() => new LogTail(0), RangeError);
  t.throws(() => new LogTail(1.5), RangeError);
  t.end();
});
