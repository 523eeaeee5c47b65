// The binary frame header of the agent socket: round trips at the edges of its ranges, reads views
// at an offset, and refuses truncated, empty, oversized, reserved-channel and unknown-kind frames.
import t from 'tap';
import {
  CHANNEL_FRAME_HEADER_BYTES,
  decodeChannelFrame,
  encodeChannelFrame,
  FrameKind,
  MAX_CHANNEL_ID,
  MAX_TERMINAL_CHUNK_BYTES,
} from '@rexec/protocol';

const bytes = (...values: number[]) => new Uint8Array(values);

void t.test('a frame round-trips for the smallest and largest channel and payload', (t) => {
  const largest = new Uint8Array(MAX_TERMINAL_CHUNK_BYTES).map((_, i) => i % 251);
  for (const [channel, payload] of [
    [1, bytes(0x61)],
    [MAX_CHANNEL_ID, largest],
    [0x0102_0304, new TextEncoder().encode('héllo\r\n')],
  ] as const) {
    const frame = encodeChannelFrame(channel, payload);
    t.equal(frame.byteLength, CHANNEL_FRAME_HEADER_BYTES + payload.byteLength);
    const decoded = decodeChannelFrame(frame);
    t.ok(decoded.ok);
    if (!decoded.ok) continue;
    t.equal(decoded.value.kind, FrameKind.TERMINAL_DATA);
    t.equal(decoded.value.channel, channel);
    t.same(Array.from(decoded.value.payload), Array.from(payload));
  }
  t.end();
});

void t.test('the header is the kind byte then the channel in big-endian order', (t) => {
  const frame = encodeChannelFrame(0x0102_0304, bytes(0xff));
  t.same(Array.from(frame), [0x01, 0x01, 0x02, 0x03, 0x04, 0xff]);
  t.end();
});

void t.test('exec frames carry their stream in the kind byte', (t) => {
  for (const kind of [FrameKind.EXEC_STDOUT, FrameKind.EXEC_STDERR, FrameKind.EXEC_STDIN]) {
    const frame = encodeChannelFrame(7, bytes(0x6f, 0x6b), kind);
    t.same(Array.from(frame), [kind, 0, 0, 0, 7, 0x6f, 0x6b]);
    const decoded = decodeChannelFrame(frame);
    t.ok(decoded.ok && decoded.value.kind === kind);
  }
  t.end();
});

void t.test('a frame inside a larger buffer and an ArrayBuffer both decode', (t) => {
  const pool = new Uint8Array(64);
  pool.set(encodeChannelFrame(9, bytes(1, 2, 3)), 10);
  const view = pool.subarray(10, 10 + CHANNEL_FRAME_HEADER_BYTES + 3);
  const fromView = decodeChannelFrame(view);
  t.ok(fromView.ok && fromView.value.channel === 9);
  if (fromView.ok) t.same(Array.from(fromView.value.payload), [1, 2, 3]);
  const fromArrayBuffer = decodeChannelFrame(encodeChannelFrame(5, bytes(7)).slice().buffer);
  t.ok(fromArrayBuffer.ok && fromArrayBuffer.value.channel === 5);
  t.end();
});

void t.test('truncated frames are error results', (t) => {
  const frame = encodeChannelFrame(3, bytes(42));
  for (let length = 0; length < CHANNEL_FRAME_HEADER_BYTES; length += 1) {
    const result = decodeChannelFrame(frame.subarray(0, length));
    t.notOk(result.ok, `${length} bytes`);
    if (!result.ok) t.match(result.error.message, /truncated/);
  }
  t.end();
});

void t.test(
  'a header without payload, channel 0, an unknown kind or a huge payload is refused',
  (t) => {
    const cases: [Uint8Array, string][] = [
      [bytes(1, 0, 0, 0, 3), 'payload'],
      [bytes(1, 0, 0, 0, 0, 42), 'channel'],
      [bytes(9, 0, 0, 0, 3, 42), 'kind'],
      [
        new Uint8Array(CHANNEL_FRAME_HEADER_BYTES + MAX_TERMINAL_CHUNK_BYTES + 1).fill(1),
        'payload',
      ],
    ];
    for (const [frame, path] of cases) {
      const result = decodeChannelFrame(frame);
      t.notOk(result.ok, path);
      if (!result.ok) t.equal(result.error.issues[0]?.path, path);
    }
    t.end();
  },
);

void t.test('encoding refuses channels and payloads outside the header ranges', (t) => {
  for (const channel of [0, -1, 1.5, MAX_CHANNEL_ID + 1, Number.NaN]) {
    t.throws(() => encodeChannelFrame(channel, bytes(1)), RangeError, `channel ${channel}`);
  }
  t.throws(() => encodeChannelFrame(1, new Uint8Array(0)), RangeError, 'empty payload');
  t.throws(() => encodeChannelFrame(1, new Uint8Array(MAX_TERMINAL_CHUNK_BYTES + 1)), RangeError);
  t.end();
});
