// Table-driven tests of the pure placement rules: eligibility (connectivity, scheduling state,
// room in every dimension), the binpack/spread choice between eligible hosts, and the ranking the
// scheduler walks down when its first choice is taken, with the hosts this replica holds moved
// ahead among the near-best.
import t from 'tap';
import {
  choosePlacement,
  HELD_SLACK,
  heldSlack,
  preferHeld,
  rankPlacements,
  type PlacementHost,
  type PlacementStrategy,
  type Resources,
} from '../../../packages/control-plane/src/scheduler/placement.js';

const capacity: Resources = { cpuMillicores: 8000, memoryMb: 16384, diskMb: 102400 };
const none: Resources = { cpuMillicores: 0, memoryMb: 0, diskMb: 0 };
const small: Resources = { cpuMillicores: 1000, memoryMb: 1024, diskMb: 10240 };

function host(id: string, overrides: Partial<PlacementHost> = {}): PlacementHost {
  return {
    id,
    status: 'online',
    scheduling: 'active',
    capacity,
    reserved: none,
    isolated: true,
    ...overrides,
  };
}

const half: Resources = { cpuMillicores: 4000, memoryMb: 8192, diskMb: 51200 };
const almostFull: Resources = { cpuMillicores: 7500, memoryMb: 16000, diskMb: 100000 };

const cases: {
  name: string;
  hosts: PlacementHost[];
  request?: Resources;
  strategy?: PlacementStrategy;
  expected: string | null;
}[] = [
  { name: 'no hosts: nothing to place on', hosts: [], expected: null },
  { name: 'one empty online host is chosen', hosts: [host('hst_a')], expected: 'hst_a' },
  {
    name: 'an unreachable host is skipped',
    hosts: [host('hst_a', { status: 'unreachable' }), host('hst_b', { reserved: half })],
    expected: 'hst_b',
  },
  {
    name: 'a cordoned host is skipped',
    hosts: [host('hst_a', { scheduling: 'cordoned' })],
    expected: null,
  },
  {
    name: 'a draining host is skipped',
    hosts: [host('hst_a', { scheduling: 'draining' }), host('hst_b')],
    expected: 'hst_b',
  },
  {
    name: 'a host without cpu room is skipped',
    hosts: [host('hst_a', { reserved: { ...none, cpuMillicores: 7500 } })],
    expected: null,
  },
  {
    name: 'a host without memory room is skipped',
    hosts: [host('hst_a', { reserved: { ...none, memoryMb: 16000 } }), host('hst_b')],
    expected: 'hst_b',
  },
  {
    name: 'a host without disk room is skipped',
    hosts: [host('hst_a', { reserved: { ...none, diskMb: 100000 } })],
    expected: null,
  },
  {
    name: 'a request that exactly fills the host fits',
    hosts: [host('hst_a', { reserved: almostFull })],
    request: { cpuMillicores: 500, memoryMb: 384, diskMb: 2400 },
    expected: 'hst_a',
  },
  {
    name: 'a host with zero capacity never fits a non-empty request',
    hosts: [host('hst_a', { capacity: none })],
    expected: null,
  },
  {
    name: 'binpack picks the fuller host',
    hosts: [host('hst_a'), host('hst_b', { reserved: half })],
    strategy: 'binpack',
    expected: 'hst_b',
  },
  {
    name: 'spread picks the emptier host',
    hosts: [host('hst_b', { reserved: half }), host('hst_a')],
    strategy: 'spread',
    expected: 'hst_a',
  },
  {
    name: 'binpack skips a fuller host that has no room left',
    hosts: [host('hst_a', { reserved: almostFull }), host('hst_b', { reserved: half })],
    strategy: 'binpack',
    expected: 'hst_b',
  },
  {
    name: 'ties go to the smaller id (binpack)',
    hosts: [host('hst_b'), host('hst_a')],
    strategy: 'binpack',
    expected: 'hst_a',
  },
  {
    name: 'ties go to the smaller id (spread)',
    hosts: [host('hst_b'), host('hst_a')],
    strategy: 'spread',
    expected: 'hst_a',
  },
  {
    name: 'a bigger host with the same reservation is emptier, so spread prefers it',
    hosts: [
      host('hst_a', { reserved: half }),
      host('hst_b', {
        reserved: half,
        capacity: { cpuMillicores: 16000, memoryMb: 32768, diskMb: 204800 },
      }),
    ],
    strategy: 'spread',
    expected: 'hst_b',
  },
];

for (const c of cases) {
  void t.test(c.name, (t) => {
    const strategy = c.strategy ?? 'binpack';
    t.equal(choosePlacement({ resources: c.request ?? small }, c.hosts, strategy), c.expected);
    t.end();
  });
}

const quarter: Resources = { cpuMillicores: 2000, memoryMb: 4096, diskMb: 25600 };
const fleet = [
  host('hst_c', { reserved: quarter }),
  host('hst_a', { reserved: half }),
  host('hst_d', { scheduling: 'draining' }),
  host('hst_b'),
  host('hst_e', { reserved: almostFull }),
  host('hst_f', { reserved: half }),
];

const rankings: { strategy: PlacementStrategy; expected: string[] }[] = [
  // hst_e cannot take `small` on memory; hst_d is draining; hst_a and hst_f tie, smaller id first.
  { strategy: 'binpack', expected: ['hst_a', 'hst_f', 'hst_c', 'hst_b'] },
  { strategy: 'spread', expected: ['hst_b', 'hst_c', 'hst_a', 'hst_f'] },
];

for (const r of rankings) {
  void t.test(`${r.strategy} ranks every eligible host, best first`, (t) => {
    t.same(rankPlacements({ resources: small }, fleet, r.strategy), r.expected);
    t.equal(choosePlacement({ resources: small }, fleet, r.strategy), r.expected[0]);
    t.end();
  });
}

void t.test('with no eligible host the ranking is empty', (t) => {
  t.same(
    rankPlacements({ resources: capacity }, [host('hst_a', { reserved: small })], 'spread'),
    [],
  );
  t.end();
});

const overcommitCases: {
  name: string;
  percent: number;
  reserved: Resources;
  request: Resources;
  fits: boolean;
}[] = [
  {
    name: 'at 4× CPU fits up to four times the cores',
    percent: 400,
    reserved: { ...none, cpuMillicores: 31_000 },
    request: { ...none, cpuMillicores: 1000 },
    fits: true,
  },
  {
    name: 'at 4× CPU one millicore past four times is refused',
    percent: 400,
    reserved: { ...none, cpuMillicores: 31_000 },
    request: { ...none, cpuMillicores: 1001 },
    fits: false,
  },
  {
    name: 'at 1.5× CPU the room is rounded down to whole millicores',
    percent: 150,
    reserved: { ...none, cpuMillicores: 11_999 },
    request: { ...none, cpuMillicores: 1 },
    fits: true,
  },
  {
    name: 'overcommit never stretches memory',
    percent: 400,
    reserved: { ...none, memoryMb: 16384 },
    request: { ...none, memoryMb: 1 },
    fits: false,
  },
  {
    name: 'overcommit never stretches disk',
    percent: 400,
    reserved: { ...none, diskMb: 102_000 },
    request: { ...none, diskMb: 401 },
    fits: false,
  },
  {
    name: 'without overcommit CPU stops at capacity',
    percent: 100,
    reserved: { ...none, cpuMillicores: 8000 },
    request: { ...none, cpuMillicores: 1 },
    fits: false,
  },
];

for (const c of overcommitCases) {
  void t.test(c.name, (t) => {
    const placed = choosePlacement(
      { resources: c.request },
      [host('hst_a', { reserved: c.reserved })],
      'binpack',
      c.percent,
    );
    t.equal(placed, c.fits ? 'hst_a' : null);
    t.end();
  });
}

void t.test('binpack scores CPU against the overcommitted room', (t) => {
  // Both hosts have 4 cores; with 4× overcommit the one with 12 cores reserved is fuller by CPU.
  const fleet = [
    host('hst_a', { capacity: { ...capacity, cpuMillicores: 4000 }, reserved: none }),
    host('hst_b', {
      capacity: { ...capacity, cpuMillicores: 4000 },
      reserved: { ...none, cpuMillicores: 12_000 },
    }),
  ];
  t.same(rankPlacements({ resources: small }, fleet, 'binpack', 400), ['hst_b', 'hst_a']);
  t.same(rankPlacements({ resources: small }, fleet, 'binpack', 100), ['hst_a']);
  t.end();
});

void t.test('held hosts go first among those within the slack of the best', (t) => {
  const ranked = [
    { id: 'hst_a', score: 0.1 },
    { id: 'hst_b', score: 0.12 },
    { id: 'hst_c', score: 0.14 },
    { id: 'hst_d', score: 0.15 },
    { id: 'hst_e', score: 0.151 },
    { id: 'hst_f', score: 0.3 },
  ];
  const holds =
    (...ids: string[]) =>
    (id: string) =>
      ids.includes(id);
  const cases: { held: string[]; expected: string[] }[] = [
    { held: [], expected: ['hst_a', 'hst_b', 'hst_c', 'hst_d', 'hst_e', 'hst_f'] },
    { held: ['hst_c'], expected: ['hst_c', 'hst_a', 'hst_b', 'hst_d', 'hst_e', 'hst_f'] },
    { held: ['hst_d', 'hst_b'], expected: ['hst_b', 'hst_d', 'hst_a', 'hst_c', 'hst_e', 'hst_f'] },
    // 0.051 and 0.2 behind the best: beyond the slack, so their places stand.
    { held: ['hst_e', 'hst_f'], expected: ['hst_a', 'hst_b', 'hst_c', 'hst_d', 'hst_e', 'hst_f'] },
  ];
  for (const c of cases) {
    t.same(preferHeld(ranked, holds(...c.held)), c.expected, `held: ${c.held.join(', ')}`);
  }
  t.same(preferHeld([], holds('hst_a')), [], 'nothing ranked, nothing offered');
  t.same(preferHeld(ranked, holds('hst_f'), 1)[0], 'hst_f', 'a wider slack reaches further');
  t.equal(heldSlack('spread'), HELD_SLACK, 'spread keeps its evenness within the slack');
  t.same(
    preferHeld(ranked, holds('hst_f', 'hst_c'), heldSlack('binpack')),
    ['hst_c', 'hst_f', 'hst_a', 'hst_b', 'hst_d', 'hst_e'],
    'binpack takes every held host first, in its order',
  );
  t.end();
});
