// What a socket may hand the decoders: text, Buffer, ArrayBuffer or parsed values. Each bad input
// (not UTF-8, not JSON, not an object, too large) is an error result with a clear message.
import t from 'tap';
import {
  decodeAgentMessage,
  decodeChannelFrame,
  decodeControlMessage,
  decodeTerminalClientMessage,
  decodeTerminalServerMessage,
  MAX_TERMINAL_CONTROL_BYTES,
} from '@rexec/protocol';
import { AGENT_EXAMPLES } from './agent-examples.js';
import { CONTROL_EXAMPLES } from './control-examples.js';
import { TERMINAL_CLIENT_EXAMPLES, TERMINAL_SERVER_EXAMPLES } from './examples.js';
import { assertErrorAt, decodeSafely } from './sweep.js';

const DECODERS = {
  decodeAgentMessage,
  decodeControlMessage,
  decodeTerminalClientMessage,
  decodeTerminalServerMessage,
};

void t.test('no input, however strange, makes a decoder throw', (t) => {
  const circular: Record<string, unknown> = { type: 'ping' };
  circular.self = circular;
  const inputs: unknown[] = [
    undefined,
    null,
    42,
    10n,
    Symbol('x'),
    () => 1,
    [],
    '',
    ' ',
    'null',
    '42',
    '"AGENT_HELLO"',
    '[{"type":"AGENT_HELLO"}]',
    '{"type":',
    '{"type":"AGENT_HELLO"} trailing',
    '\uFEFF{}',
    { type: { $gt: '' } },
    '{"__proto__":{"type":"ping"}}',
    circular,
    new Uint8Array(0),
    new ArrayBuffer(3),
    new Uint8Array([0xc3, 0x28]),
    '['.repeat(100_000),
  ];
  for (const [name, decode] of Object.entries(DECODERS)) {
    for (const input of inputs) {
      const result = decodeSafely(t, decode, input);
      if (name === 'decodeTerminalClientMessage' && input === circular) {
        t.ok(result.ok, 'a parsed value is validated as is; extra fields are ignored');
      } else {
        t.notOk(
          result.ok,
          `${name} refuses ${typeof input === 'string' ? JSON.stringify(input.slice(0, 20)) : typeof input}`,
        );
      }
    }
  }
  t.end();
});

void t.test('non-JSON text is an error at the root saying so', (t) => {
  const result = decodeAgentMessage('HELLO from agent');
  assertErrorAt(t, result, '', 'not JSON');
  if (!result.ok) t.match(result.error.message, /not valid JSON/);
  t.end();
});

void t.test('bytes that are not UTF-8 are an error at the root saying so', (t) => {
  const result = decodeControlMessage(new Uint8Array([0x7b, 0xff, 0x7d]));
  assertErrorAt(t, result, '', 'not UTF-8');
  if (!result.ok) t.match(result.error.message, /not valid UTF-8/);
  t.end();
});

void t.test('JSON that is not an object is an error at the root', (t) => {
  for (const text of ['42', 'null', '[]', '"ping"']) {
    assertErrorAt(t, decodeTerminalClientMessage(text), '', text);
  }
  t.end();
});

void t.test('Buffer and ArrayBuffer frames decode like text', (t) => {
  const text = '{"type":"resize","cols":90,"rows":30}';
  const fromBuffer = decodeTerminalClientMessage(Buffer.from(text));
  const fromArrayBuffer = decodeTerminalClientMessage(new TextEncoder().encode(text).buffer);
  t.same(fromBuffer, { ok: true, value: { type: 'resize', cols: 90, rows: 30 } });
  t.same(fromArrayBuffer, fromBuffer);
  t.end();
});

void t.test('the size limit counts UTF-8 bytes, for text and for bytes alike', (t) => {
  const frame = (pad: string) => JSON.stringify({ type: 'ping', pad });
  const overhead = frame('').length;
  const atLimit = frame('x'.repeat(MAX_TERMINAL_CONTROL_BYTES - overhead));
  t.equal(Buffer.byteLength(atLimit), MAX_TERMINAL_CONTROL_BYTES);
  t.ok(decodeTerminalClientMessage(atLimit).ok, 'exactly at the limit is fine');
  t.ok(decodeTerminalClientMessage(Buffer.from(atLimit)).ok, 'also as bytes');
  const multiByte = frame('€'.repeat(Math.ceil((MAX_TERMINAL_CONTROL_BYTES - overhead) / 3) + 1));
  t.ok(multiByte.length < MAX_TERMINAL_CONTROL_BYTES, 'fewer characters than the limit');
  for (const input of [multiByte, Buffer.from(multiByte)]) {
    const result = decodeTerminalClientMessage(input);
    assertErrorAt(t, result, '', 'one byte too many');
    if (!result.ok) t.match(result.error.message, /over the 4096-byte limit/);
  }
  t.end();
});

void t.test('an error lists at most 20 issues and says how many there were', (t) => {
  const result = decodeAgentMessage({
    type: 'AGENT_HELLO',
    inventory: Array.from({ length: 30 }, () => ({})),
  });
  t.notOk(result.ok);
  if (!result.ok) {
    t.equal(result.error.issues.length, 20);
    t.match(result.error.message, /and \d+ more/);
  }
  t.end();
});

void t.test('corrupted copies of every example give results, never exceptions', (t) => {
  // A fixed-seed generator keeps the corruptions the same on every run.
  let seed = 0x2f6b_1d3c;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const sets: [(raw: unknown) => unknown, Record<string, { message: object }>][] = [
    [decodeAgentMessage, AGENT_EXAMPLES],
    [decodeControlMessage, CONTROL_EXAMPLES],
    [decodeTerminalClientMessage, TERMINAL_CLIENT_EXAMPLES],
    [decodeTerminalServerMessage, TERMINAL_SERVER_EXAMPLES],
  ];
  let decoded = 0;
  for (const [decode, examples] of sets) {
    for (const { message } of Object.values(examples)) {
      const bytes = new TextEncoder().encode(JSON.stringify(message));
      for (let round = 0; round < 50; round += 1) {
        const corrupt = bytes.slice(0, Math.max(1, Math.floor(bytes.length * (0.5 + random()))));
        for (let flips = 0; flips < 3; flips += 1) {
          corrupt[Math.floor(random() * corrupt.length)] = Math.floor(random() * 256);
        }
        t.doesNotThrow(() => decode(corrupt));
        decoded += 1;
      }
    }
  }
  t.ok(decoded > 1000);
  for (let round = 0; round < 200; round += 1) {
    const frame = new Uint8Array(Math.floor(random() * 16)).map(() => Math.floor(random() * 256));
    t.doesNotThrow(() => decodeChannelFrame(frame));
  }
  t.end();
});
