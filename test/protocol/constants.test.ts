// The protocol's numbers keep their promises: close codes are unique, named and private-range,
// the heartbeat settings make a silent host unreachable within 10 s, and backoff is capped and jittered.
import t from 'tap';
import {
  AGENT_FATAL_CLOSE_CODES,
  agentShouldReconnect,
  CloseCode,
  closeCodeName,
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_TIMEOUT_MS,
  HEARTBEAT_WATCHDOG_TICK_MS,
  PROTOCOL_VERSION,
  RECONNECT_BACKOFF,
  reconnectDelayMs,
  SUPPORTED_PROTOCOL_VERSIONS,
  UNREACHABLE_DEADLINE_MS,
} from '@rexec/protocol';

void t.test('close codes are unique, in 4000-4999, and named', (t) => {
  const codes = Object.values(CloseCode) as number[];
  t.equal(new Set(codes).size, codes.length, 'unique');
  for (const [name, code] of Object.entries(CloseCode)) {
    t.ok(code >= 4000 && code <= 4999, `${name} in range`);
    t.equal(closeCodeName(code), name);
  }
  t.equal(closeCodeName(1006), undefined, 'a transport code has no Rexec name');
  t.end();
});

void t.test('an agent stops retrying only for credential, version and replacement closes', (t) => {
  for (const code of [CloseCode.UNAUTHORIZED, CloseCode.CREDENTIAL_REVOKED]) {
    t.notOk(agentShouldReconnect(code), String(closeCodeName(code)));
  }
  t.notOk(agentShouldReconnect(CloseCode.UNSUPPORTED_PROTOCOL_VERSION));
  t.notOk(agentShouldReconnect(CloseCode.REPLACED));
  t.equal(AGENT_FATAL_CLOSE_CODES.size, 4);
  for (const code of [
    CloseCode.HEARTBEAT_TIMEOUT,
    CloseCode.SERVER_SHUTTING_DOWN,
    CloseCode.PROTOCOL_VIOLATION,
    CloseCode.INTERNAL_ERROR,
    1006,
  ]) {
    t.ok(agentShouldReconnect(code), `reconnect after ${code}`);
  }
  t.end();
});

void t.test('a silent host is declared unreachable within the 10 s deadline', (t) => {
  t.equal(HEARTBEAT_INTERVAL_MS, 3000);
  t.ok(HEARTBEAT_TIMEOUT_MS >= 2 * HEARTBEAT_INTERVAL_MS, 'one lost heartbeat is tolerated');
  t.ok(HEARTBEAT_TIMEOUT_MS + HEARTBEAT_WATCHDOG_TICK_MS < UNREACHABLE_DEADLINE_MS);
  t.equal(UNREACHABLE_DEADLINE_MS, 10_000);
  t.end();
});

void t.test('this package speaks protocol version 1', (t) => {
  t.equal(PROTOCOL_VERSION, 1);
  t.ok(SUPPORTED_PROTOCOL_VERSIONS.includes(PROTOCOL_VERSION));
  t.end();
});

void t.test('backoff grows by its factor, stops at the cap, and jitters downwards only', (t) => {
  const noJitter = () => 0;
  t.equal(reconnectDelayMs(0, noJitter), RECONNECT_BACKOFF.initialMs);
  t.equal(reconnectDelayMs(1, noJitter), RECONNECT_BACKOFF.initialMs * RECONNECT_BACKOFF.factor);
  t.equal(reconnectDelayMs(50, noJitter), RECONNECT_BACKOFF.capMs);
  t.equal(reconnectDelayMs(10_000, noJitter), RECONNECT_BACKOFF.capMs, 'no overflow');
  const fullJitter = () => 0.999_999;
  const lowest = reconnectDelayMs(50, fullJitter);
  t.ok(lowest >= RECONNECT_BACKOFF.capMs * (1 - RECONNECT_BACKOFF.jitter) - 1);
  t.ok(lowest < RECONNECT_BACKOFF.capMs);
  let previous = 0;
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const delay = reconnectDelayMs(attempt, noJitter);
    t.ok(delay >= previous && delay <= RECONNECT_BACKOFF.capMs, `attempt ${attempt}: ${delay}`);
    previous = delay;
  }
  t.end();
});

void t.test('backoff refuses a negative or fractional attempt', (t) => {
  t.throws(() => reconnectDelayMs(-1), RangeError);
  t.throws(() => reconnectDelayMs(0.5), RangeError);
  t.end();
});
