// The background exec's output ring: offsets count both streams together, reads stay within one
// chunk and one stream, and once the ring holds more than its capacity the oldest bytes go (whole
// chunks, then the front of the oldest), so it never keeps more than its capacity.
import { FrameKind } from '@rexec/protocol';
import t from 'tap';
import { OutputRing } from '../../../packages/agent/src/exec/output-ring.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

void t.test('offsets run across both streams in the order written', (t) => {
  const ring = new OutputRing(1024);
  t.equal(ring.start, 0);
  t.equal(ring.end, 0);
  t.equal(ring.read(0, 100), undefined, 'nothing to read yet');
  ring.push(FrameKind.EXEC_STDOUT, bytes('out\n'));
  ring.push(FrameKind.EXEC_STDERR, bytes('err\n'));
  ring.push(FrameKind.EXEC_STDOUT, bytes(''));
  t.equal(ring.end, 8, 'an empty write adds nothing');
  t.same(ring.read(0, 100), { kind: FrameKind.EXEC_STDOUT, bytes: bytes('out\n') });
  t.same(ring.read(2, 100), { kind: FrameKind.EXEC_STDOUT, bytes: bytes('t\n') });
  t.same(ring.read(4, 2), { kind: FrameKind.EXEC_STDERR, bytes: bytes('er') });
  t.equal(ring.read(8, 100), undefined, 'the end has nothing after it');
  t.end();
});

void t.test(
  'past its capacity the ring drops the oldest bytes, keeping exactly its capacity',
  (t) => {
    const ring = new OutputRing(10);
    for (const word of ['aaaa', 'bbbb', 'cccc', 'dddd'])
      ring.push(FrameKind.EXEC_STDOUT, bytes(word));
    t.equal(ring.end, 16);
    t.equal(ring.start, 6, 'the first chunk and the front of the second were dropped');
    t.same(ring.read(6, 100)?.bytes, bytes('bb'));
    t.same(ring.read(8, 100)?.bytes, bytes('cccc'));
    t.same(ring.read(13, 100)?.bytes, bytes('ddd'));
    const big = new OutputRing(4);
    const text = 'one chunk larger than the ring';
    big.push(FrameKind.EXEC_STDERR, bytes(text));
    t.equal(big.start, text.length - 4, 'a single read larger than the ring keeps only its end');
    t.same(big.read(big.start, 100), { kind: FrameKind.EXEC_STDERR, bytes: bytes('ring') });
    t.end();
  },
);
