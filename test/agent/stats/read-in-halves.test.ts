// The fallback read of stats-reader.ts: after the whole-host `stats` call failed, this host's
// containers are read by name in halves until the ones the engine cannot read are alone. The read
// here is a function that fails any group holding a "bad" name, as podman fails a whole call for
// one container it cannot read.
import t from 'tap';
import { readInHalves } from '../../../packages/agent/src/stats/index.js';
import type { EngineStatsSample } from '../../../packages/agent/src/stats/stats-parser.js';

function sample(name: string): EngineStatsSample {
  return {
    name,
    cpuPercent: 1,
    cpuNanos: null,
    readAtNanos: null,
    memoryBytes: 1,
    memoryLimitBytes: null,
    pids: 1,
    netRxBytes: null,
    netTxBytes: null,
  };
}

function engine(bad: ReadonlySet<string>, removed: ReadonlySet<string> = new Set()) {
  const calls: string[][] = [];
  const read = (names?: readonly string[]): Promise<EngineStatsSample[]> => {
    calls.push([...(names ?? [])]);
    const culprit = (names ?? []).find((name) => bad.has(name));
    if (culprit !== undefined) {
      return Promise.reject(
        new Error(`cannot get cgroup path unless container ${culprit} is running`),
      );
    }
    const missing = (names ?? []).find((name) => removed.has(name));
    if (missing !== undefined) {
      // podman's words for a name it does not have.
      const words = `no container with name or ID "${missing}" found: no such container`;
      return Promise.reject(new Error(`unable to look up container ${missing}: ${words}`));
    }
    return Promise.resolve((names ?? []).map(sample));
  };
  return { read, calls };
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `rexec-ctr_${i}`);

void t.test('one unreadable container among many costs only its own sample', async (t) => {
  const all = names(100);
  const { read, calls } = engine(new Set(['rexec-ctr_37']));
  const result = await readInHalves(read, all, 24);
  t.same(result.unread, ['rexec-ctr_37']);
  t.same(
    result.samples.map((entry) => entry.name).sort(),
    all.filter((name) => name !== 'rexec-ctr_37').sort(),
  );
  t.match(String(result.error), /rexec-ctr_37/, 'the failure is kept for the log');
  // One call for all, then two per halving down to the single name (100 → 50 → 25 → 13 → 6 → 3
  // → 1): 1 + 2·6.
  t.equal(calls.length, 13, `${calls.length} engine calls`);
});

void t.test('a name the engine has no container of is gone, not unread', async (t) => {
  const all = names(8);
  const { read } = engine(new Set(['rexec-ctr_2']), new Set(['rexec-ctr_5']));
  const result = await readInHalves(read, all, 24);
  t.same(result.gone, ['rexec-ctr_5'], 'removed since the listing');
  t.same(result.unread, ['rexec-ctr_2'], 'there but unreadable');
  t.equal(result.samples.length, 6, 'the others are read');
});

void t.test('a group that reads cleanly is one call', async (t) => {
  const { read, calls } = engine(new Set());
  const result = await readInHalves(read, names(5), 24);
  t.equal(result.samples.length, 5);
  t.same(result.unread, []);
  t.equal(result.error, undefined);
  t.equal(calls.length, 1);
});

void t.test('the calls are bounded; what is left is unread, not lost silently', async (t) => {
  const all = names(64);
  const bad = new Set(all.filter((_, i) => i % 4 === 0));
  const { read, calls } = engine(bad);
  const result = await readInHalves(read, all, 10);
  t.equal(calls.length, 10, 'never more than maxCalls');
  const read_ = new Set(result.samples.map((entry) => entry.name));
  t.equal(read_.size + result.unread.length, all.length, 'every name is read or listed unread');
  t.notOk(
    result.unread.some((name) => read_.has(name)),
    'nothing is both read and unread',
  );
  t.notOk(
    [...read_].some((name) => bad.has(name)),
    'no unreadable container has a sample',
  );
});

void t.test('nothing to read is no call at all', async (t) => {
  const { read, calls } = engine(new Set());
  t.same(await readInHalves(read, [], 24), {
    samples: [],
    gone: [],
    unread: [],
    error: undefined,
  });
  t.equal(calls.length, 0);
});

void t.test('an engine that fails everything leaves every name unread', async (t) => {
  const all = names(8);
  const result = await readInHalves(async () => Promise.reject(new Error('engine down')), all, 24);
  t.same(result.samples, []);
  t.same([...result.unread].sort(), [...all].sort());
  t.match(String(result.error), /engine down/);
});
