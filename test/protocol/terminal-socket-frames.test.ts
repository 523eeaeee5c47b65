// A user's terminal socket: control frames in both directions decode or give error results naming
// the path; the connect query and the browser's token subprotocol are read; errors map to closes.
import t from 'tap';
import {
  CloseCode,
  decodeTerminalClientMessage,
  decodeTerminalServerMessage,
  encodeTerminalClientMessage,
  encodeTerminalServerMessage,
  MAX_TERMINAL_CONTROL_BYTES,
  ProtocolEncodeError,
  readTerminalSubprotocols,
  TERMINAL_ERROR_CODES,
  TerminalConnectQuery,
  terminalCloseCode,
} from '@rexec/protocol';
import { TERMINAL_CLIENT_EXAMPLES, TERMINAL_SERVER_EXAMPLES } from './examples.js';
import { assertErrorAt, decodeSafely, sweepExamples } from './sweep.js';

void t.test('client to server', (t) => {
  sweepExamples(t, decodeTerminalClientMessage, TERMINAL_CLIENT_EXAMPLES, 2_000);
  t.end();
});

void t.test('server to client', (t) => {
  sweepExamples(t, decodeTerminalServerMessage, TERMINAL_SERVER_EXAMPLES, 2_000);
  t.end();
});

void t.test('resize dimensions outside 1..1000 or not integers are refused by name', (t) => {
  for (const [cols, rows, path] of [
    [0, 24, 'cols'],
    [80, 1001, 'rows'],
    [80.5, 24, 'cols'],
    ['80', 24, 'cols'],
  ] as const) {
    const result = decodeTerminalClientMessage(JSON.stringify({ type: 'resize', cols, rows }));
    assertErrorAt(t, result, path, `${cols}x${rows}`);
  }
  t.end();
});

void t.test('an unknown frame type, or a server frame sent by a client, is refused', (t) => {
  assertErrorAt(t, decodeTerminalClientMessage('{"type":"exec","cmd":"ls"}'), 'type', 'exec');
  assertErrorAt(t, decodeTerminalClientMessage('{"type":"pong"}'), 'type', 'pong from a client');
  assertErrorAt(t, decodeTerminalServerMessage('{"type":"ping"}'), 'type', 'ping from a server');
  t.end();
});

void t.test('non-JSON and oversized frames are error results, never exceptions', (t) => {
  for (const raw of ['', 'resize 80 24', '{"type":"ping"', '\u0000']) {
    assertErrorAt(t, decodeSafely(t, decodeTerminalClientMessage, raw), '', JSON.stringify(raw));
  }
  const big = JSON.stringify({ type: 'ping', pad: 'x'.repeat(MAX_TERMINAL_CONTROL_BYTES) });
  const result = decodeSafely(t, decodeTerminalClientMessage, big);
  assertErrorAt(t, result, '', 'oversized frame');
  if (!result.ok) t.match(result.error.message, /over the 4096-byte limit/);
  t.end();
});

void t.test('encoding terminal frames validates them', (t) => {
  t.equal(
    encodeTerminalClientMessage({ type: 'resize', cols: 100, rows: 30 }),
    '{"type":"resize","cols":100,"rows":30}',
  );
  t.equal(encodeTerminalServerMessage({ type: 'pong' }), '{"type":"pong"}');
  t.throws(() => encodeTerminalServerMessage({ type: 'exit', code: 300 }), ProtocolEncodeError);
  t.throws(
    () => encodeTerminalServerMessage({ type: 'ready', session: 'no spaces', resumed: false }),
    { name: 'ProtocolEncodeError', message: /session/ },
  );
  t.end();
});

void t.test('the connect query defaults to session main at 80x24', (t) => {
  t.same(TerminalConnectQuery.parse({}), { session: 'main', cols: 80, rows: 24 });
  t.same(TerminalConnectQuery.parse({ session: 'build-2', cols: '132', rows: '43' }), {
    session: 'build-2',
    cols: 132,
    rows: 43,
  });
  t.end();
});

void t.test('the connect query refuses bad sessions and dimensions by name', (t) => {
  for (const [query, path] of [
    [{ session: '../etc' }, 'session'],
    [{ session: 'x'.repeat(65) }, 'session'],
    [{ cols: '0' }, 'cols'],
    [{ cols: '1e3' }, 'cols'],
    [{ rows: '-5' }, 'rows'],
    [{ rows: '1001' }, 'rows'],
  ] as const) {
    const parsed = TerminalConnectQuery.safeParse(query);
    t.notOk(parsed.success, JSON.stringify(query));
    if (!parsed.success) t.same(parsed.error.issues[0]?.path, [path]);
  }
  t.end();
});

void t.test('the token subprotocol is read from the offered list', (t) => {
  t.same(readTerminalSubprotocols(['rexec.terminal.v1', 'rexec.token.rexec_abc']), {
    terminal: true,
    token: 'rexec_abc',
  });
  t.same(readTerminalSubprotocols([' rexec.token.first', 'rexec.token.second']), {
    terminal: false,
    token: 'first',
  });
  t.same(readTerminalSubprotocols(['rexec.token.', 'chat']), { terminal: false, token: undefined });
  t.end();
});

void t.test('every known terminal error code maps to a named close code', (t) => {
  const codes = Object.values(CloseCode) as number[];
  for (const code of TERMINAL_ERROR_CODES) t.ok(codes.includes(terminalCloseCode(code)), code);
  t.equal(terminalCloseCode('session_lost'), CloseCode.SESSION_LOST);
  t.equal(terminalCloseCode('too_many_sessions'), CloseCode.TOO_MANY_SESSIONS);
  t.equal(terminalCloseCode('session_replaced'), CloseCode.REPLACED);
  t.equal(terminalCloseCode('constructor'), CloseCode.TERMINAL_FAILED, 'no prototype lookups');
  t.equal(terminalCloseCode('from_a_newer_agent'), CloseCode.TERMINAL_FAILED);
  t.end();
});
