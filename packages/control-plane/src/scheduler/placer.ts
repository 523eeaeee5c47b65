// The scheduler's placement, one object per database that main.ts creates: it orders the hosts for
// a create (an unlocked snapshot shared by the creates in flight, ranked once per resource shape
// by the strategy) and offers them, best first, to the statement that reserves. That statement
// (rexec_create_container, migrations 0004, 0010, 0015) re-checks every guard under the host's
// row lock, so a stale snapshot costs a step down the list, never an over-booking; placements on
// other hosts, replicas or users never wait for each other. A user's placements go one at a time.
import type { Db } from '../db/open.js';
import { NO_PLACEMENT_METRICS, type PlacementRecorder } from '../metrics/recorders.js';
import { overcommitPercent } from './cpu-overcommit.js';
import {
  heldSlack,
  preferHeld,
  scorePlacements,
  type PlacementHost,
  type PlacementStrategy,
  type Resources,
  type ScoredHost,
} from './placement.js';
import { loadSnapshot } from './snapshot.js';

/**
 * How many of the best-ranked hosts a create first offers Postgres. The ranking comes from a
 * recent snapshot, so the first few almost always have room; sending the whole fleet (200 host
 * ids) with every create cost both sides visible CPU to write and parse an array never read past
 * its first entries. When none of the head has room, the whole ranking is offered.
 */
const HEAD_CANDIDATES = 16;

/** What the reserving statement made of an offer. */
export interface Offer {
  /** True when nothing more is to be offered: it reserved, or refused for a reason of its own. */
  settled: boolean;
}

export interface PlacementAsk {
  /** Whose placement: one user's go one at a time. */
  userId: string;
  resources: Resources;
}

export interface SharedSnapshot {
  hosts: readonly PlacementHost[];
  /**
   * True when this caller joined a read that was already under way, which may have been taken
   * before the caller's request arrived: a caller that finds no room on it must look again on a
   * fresh one before it answers no_capacity.
   */
  joined: boolean;
}

export interface Placer {
  /** REXEC_CPU_OVERCOMMIT as the whole percent the placement functions take (400 = 4×). */
  readonly cpuOvercommitPercent: number;
  /** Where the create path reports each placement's outcome and time (metrics). */
  readonly placements: PlacementRecorder;
  /**
   * Offers `reserve` the hosts for `ask`, best first, until an offer is settled: the head of the
   * ranking, then the whole of it, then, when the snapshot was a shared read that may predate the
   * call, the ranking of a fresh one (no_capacity is only ever decided on a snapshot taken after
   * the call). Returns the last offer's outcome.
   */
  place<T extends Offer>(
    ask: PlacementAsk,
    reserve: (candidates: readonly string[]) => Promise<T>,
  ): Promise<T>;
  /** The schedulable hosts: the read under way if there is one, else a new one. */
  snapshot(): Promise<SharedSnapshot>;
}

export interface PlacerOptions {
  db: Db;
  strategy: PlacementStrategy;
  /** How many times its CPU capacity a host may reserve (REXEC_CPU_OVERCOMMIT, ≥ 1). */
  cpuOvercommit: number;
  /** Placement outcomes and times for metrics; none recorded when absent. */
  placements?: PlacementRecorder;
  /**
   * With several replicas: whether this one holds the host's agent socket. Such hosts go first
   * (preferHeld, heldSlack: under spread only among those about as good as the best), so most
   * creates skip the command relay.
   */
  held?: (hostId: string) => boolean;
}

interface Ranking {
  all: readonly string[];
  head: readonly string[];
  /** Every host with its score, for preferHeld. */
  scored: readonly ScoredHost[];
  /** The head with the hosts this replica holds first (preferHeld), made on first use. */
  heldHead?: readonly string[];
  /** True when `all` has hosts beyond `head`. */
  rest: boolean;
}

export function createPlacer(options: PlacerOptions): Placer {
  const { db, strategy, held } = options;
  const slack = heldSlack(strategy);
  const percent = overcommitPercent(options.cpuOvercommit);
  let readUnderWay: Promise<PlacementHost[]> | null = null;
  // Creates that share a snapshot mostly ask for the same resources: one ranking (every host
  // scored and sorted) serves them all. Keyed by the snapshot's array, so it goes when it does.
  const rankings = new WeakMap<readonly PlacementHost[], Map<string, Ranking>>();
  // Placements by one user queue here before they take a pooled connection: in Postgres they
  // would queue anyway on the user row lock, but there each waiter holds one of the pool's few
  // connections while other users' creates wait for a free one. The row lock still orders
  // replicas.
  const turns = new Map<string, Promise<unknown>>();

  /**
   * loadSnapshot, shared by every create that asks while a read is under way. Under load dozens
   * of creates are in flight and each read returns every schedulable host, whose decoding was the
   * largest cost left per placement; sharing one is as stale as the read itself, no more.
   */
  async function snapshot(): Promise<SharedSnapshot> {
    if (readUnderWay !== null) return { hosts: await readUnderWay, joined: true };
    const read = loadSnapshot(db);
    readUnderWay = read;
    try {
      return { hosts: await read, joined: false };
    } finally {
      if (readUnderWay === read) readUnderWay = null;
    }
  }

  function rank(resources: Resources, hosts: readonly PlacementHost[]): Ranking {
    let byResources = rankings.get(hosts);
    if (byResources === undefined) {
      byResources = new Map();
      rankings.set(hosts, byResources);
    }
    const key = `${resources.cpuMillicores}/${resources.memoryMb}/${resources.diskMb}`;
    let ranking = byResources.get(key);
    if (ranking === undefined) {
      const scored = scorePlacements({ resources }, hosts, strategy, percent);
      const all = scored.map((entry) => entry.id);
      const rest = all.length > HEAD_CANDIDATES;
      ranking = { all, head: rest ? all.slice(0, HEAD_CANDIDATES) : all, scored, rest };
      byResources.set(key, ranking);
    }
    return ranking;
  }

  /**
   * The head, with the hosts this replica holds first (preferHeld). Ordered once per ranking:
   * which sockets this replica holds changes far less often than the snapshot.
   */
  function headFor(ranking: Ranking): readonly string[] {
    if (held === undefined) return ranking.head;
    ranking.heldHead ??= preferHeld(ranking.scored, held, slack).slice(0, HEAD_CANDIDATES);
    return ranking.heldHead;
  }

  async function offer<T extends Offer>(
    resources: Resources,
    reserve: (candidates: readonly string[]) => Promise<T>,
  ): Promise<T> {
    // Unlocked and before the reservation: it only orders the candidates.
    const shared = await snapshot();
    const ranking = rank(resources, shared.hosts);
    let outcome = await reserve(headFor(ranking));
    // Every host at the head was full or being reserved on: the rest of the fleet, in order.
    if (!outcome.settled && ranking.rest) outcome = await reserve(ranking.all);
    // The shared read may predate this call (a host back online, room given back).
    if (!outcome.settled && shared.joined) {
      outcome = await reserve(rank(resources, await loadSnapshot(db)).all);
    }
    return outcome;
  }

  /** Runs `run` once every earlier placement of `userId` settled, either way. */
  async function inTurn<T>(userId: string, run: () => Promise<T>): Promise<T> {
    const before = turns.get(userId) ?? Promise.resolve();
    // Settled either way: a failed create must not fail the ones queued behind it.
    const result = before.then(run, run);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    turns.set(userId, tail);
    try {
      return await result;
    } finally {
      if (turns.get(userId) === tail) turns.delete(userId);
    }
  }

  return {
    cpuOvercommitPercent: percent,
    placements: options.placements ?? NO_PLACEMENT_METRICS,
    place: (ask, reserve) => inTurn(ask.userId, () => offer(ask.resources, reserve)),
    snapshot,
  };
}
