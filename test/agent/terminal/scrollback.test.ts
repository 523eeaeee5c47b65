// The scrollback ring: keeps the newest bytes up to its capacity, across wrap-arounds and chunks
// larger than the whole ring, and refuses a capacity that cannot hold anything.
import t from 'tap';
import { Scrollback } from '../../../packages/agent/src/terminal/scrollback.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');

void t.test('keeps everything below the capacity, oldest first', (t) => {
  const ring = new Scrollback(8);
  t.equal(ring.snapshot().toString(), '');
  ring.append(bytes('abc'));
  ring.append(bytes('de'));
  t.equal(ring.snapshot().toString(), 'abcde');
  t.equal(ring.length, 5);
  t.end();
});

void t.test('drops the oldest bytes once full, across the wrap', (t) => {
  const ring = new Scrollback(8);
  ring.append(bytes('abcdef'));
  ring.append(bytes('ghij'));
  t.equal(ring.snapshot().toString(), 'cdefghij');
  ring.append(bytes('k'));
  t.equal(ring.snapshot().toString(), 'defghijk');
  ring.append(bytes('lmnopq'));
  t.equal(ring.snapshot().toString(), 'jklmnopq');
  t.equal(ring.length, 8);
  t.end();
});

void t.test('a chunk larger than the ring leaves its own tail', (t) => {
  const ring = new Scrollback(4);
  ring.append(bytes('xy'));
  ring.append(bytes('0123456789'));
  t.equal(ring.snapshot().toString(), '6789');
  t.end();
});

void t.test('many small appends equal the tail of their concatenation', (t) => {
  const ring = new Scrollback(1000);
  let all = '';
  for (let index = 0; index < 700; index += 1) {
    const piece = `${index},`;
    all += piece;
    ring.append(bytes(piece));
  }
  t.equal(ring.snapshot().toString(), all.slice(-1000));
  t.end();
});

void t.test('the capacity must be a positive integer', (t) => {
  t.throws(() => new Scrollback(0), RangeError);
  t.throws(() => new Scrollback(1.5), RangeError);
  t.end();
});
