// The signed target of work forwarded between replicas: it verifies only under the same cluster
// secret, unchanged, within FORWARD_MAX_AGE_S of the receiver's clock and well formed; the replay
// guard takes each signature once, and the same work signed twice in one second is two signatures.
import t from 'tap';
import {
  createReplayGuard,
  FORWARD_MAX_AGE_S,
  ExecForwardTarget,
  FileForwardTarget,
  forwardKey,
  signForward,
  TerminalForwardTarget,
  verifyForward,
} from '../../../packages/control-plane/src/terminal/forward-signature.js';

const target = {
  containerId: 'ctr_1',
  hostId: 'hst_1',
  userId: 'usr_1',
  tokenId: 'tok_1',
  session: 'main',
  cols: 80,
  rows: 24,
};
const key = forwardKey('a'.repeat(64));
const now = Date.UTC(2026, 11, 6, 12);

void t.test('a signature verifies under the same secret, within the age', (t) => {
  const header = signForward(key, target, now);
  t.same(verifyForward(key, header, TerminalForwardTarget, now), { ok: true, target });
  t.same(verifyForward(key, header, TerminalForwardTarget, now + FORWARD_MAX_AGE_S * 1000), {
    ok: true,
    target,
  });
  t.end();
});

void t.test('the same work signed twice in one second is two signatures, each used once', (t) => {
  const first = signForward(key, target, now);
  const second = signForward(key, target, now);
  t.not(first, second, 'each signature has its own nonce');
  t.same(verifyForward(key, second, TerminalForwardTarget, now), { ok: true, target });
  const guard = createReplayGuard(() => now);
  t.ok(guard.firstUse(first), 'the first opens');
  t.ok(guard.firstUse(second), 'so does the second: a terminal resumed at once is no replay');
  t.end();
});

void t.test('everything else is refused, with the reason', (t) => {
  const header = signForward(key, target, now);
  const [version, seconds, nonce, payload, mac] = header.split('.') as [
    string,
    string,
    string,
    string,
    string,
  ];
  const tampered = Buffer.from(JSON.stringify({ ...target, userId: 'usr_2' })).toString(
    'base64url',
  );
  const cases: [string, string | undefined, number, RegExp][] = [
    ['no header', undefined, now, /no x-rexec-forward/],
    ['another secret', signForward(forwardKey('b'.repeat(64)), target, now), now, /bad signature/],
    ['a changed target', `${version}.${seconds}.${nonce}.${tampered}.${mac}`, now, /bad signature/],
    ['another nonce', `${version}.${seconds}.${'A'.repeat(22)}.${payload}.${mac}`, now, /bad/],
    ['too old', header, now + (FORWARD_MAX_AGE_S + 1) * 1000, /expired/],
    ['from the future', header, now - (FORWARD_MAX_AGE_S + 1) * 1000, /expired/],
    ['malformed', `${version}.${seconds}.${payload}.${mac}`, now, /malformed/],
    ['a bad nonce', `${version}.${seconds}.n.${payload}.${mac}`, now, /malformed/],
    ['another version', `v2.${seconds}.${nonce}.${payload}.${mac}`, now, /malformed/],
  ];
  for (const [what, given, at, reason] of cases) {
    const check = verifyForward(key, given, TerminalForwardTarget, at);
    t.equal(check.ok, false, what);
    if (!check.ok) t.match(check.reason, reason, what);
  }
  const wrongShape = signForward(key, { ...target, cols: 0 }, now);
  t.match(verifyForward(key, wrongShape, TerminalForwardTarget, now), {
    ok: false,
    reason: /invalid target/,
  });
  t.end();
});

void t.test('one kind of work’s signature does not pass as another’s', (t) => {
  const terminal = signForward(key, target, now);
  t.match(verifyForward(key, terminal, ExecForwardTarget, now), {
    ok: false,
    reason: /invalid target/,
  });
  const exec = signForward(
    key,
    { containerId: 'ctr_1', hostId: 'hst_1', bodySha256: 'a'.repeat(64) },
    now,
  );
  t.match(verifyForward(key, exec, TerminalForwardTarget, now), {
    ok: false,
    reason: /invalid target/,
  });
  t.match(verifyForward(key, exec, ExecForwardTarget, now), { ok: true });
  t.match(verifyForward(key, exec, FileForwardTarget, now), {
    ok: false,
    reason: /invalid target/,
  });
  const file = signForward(
    key,
    { containerId: 'ctr_1', hostId: 'hst_1', opSha256: 'a'.repeat(64) },
    now,
  );
  t.match(verifyForward(key, file, ExecForwardTarget, now), { ok: false, reason: /invalid/ });
  t.match(verifyForward(key, file, TerminalForwardTarget, now), { ok: false, reason: /invalid/ });
  t.match(verifyForward(key, file, FileForwardTarget, now), { ok: true });
  t.end();
});

void t.test('a signature is used once within its lifetime, and forgotten after', (t) => {
  let clock = now;
  const guard = createReplayGuard(() => clock);
  t.ok(guard.firstUse('a'), 'the first use');
  t.notOk(guard.firstUse('a'), 'the same signature again is a replay');
  t.ok(guard.firstUse('b'), 'another signature is its own');
  clock += 2 * FORWARD_MAX_AGE_S * 1000 - 1;
  t.notOk(guard.firstUse('a'), 'still a replay while it could still verify');
  clock += 2;
  t.ok(guard.firstUse('a'), 'forgotten once it could no longer verify anyway');
  t.end();
});
