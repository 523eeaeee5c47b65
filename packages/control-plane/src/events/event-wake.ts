// Tells this process's event readers (SSE streams) when the events table has moved on: one LISTEN
// connection per process, whatever the number of subscribers, plus a periodic probe of the last
// final event. The probe is what makes the wake-up correct rather than merely fast: a row becomes
// readable only when every older transaction has ended, which raises no notification of its own,
// and notifications are lost while the LISTEN connection reconnects. It also shares reads: the
// subscribers a wake-up sends after the same events with the same filter (a thousand dashboards of
// one team) run one query between them, not one each. Reading itself is event-reads.ts's.
import type { FastifyBaseLogger } from 'fastify';
import type pg from 'pg';
import { createCoalescedRun } from '../coalesced-run.js';
import { listenTo, type Listening } from '../db/listen.js';
import type { Database } from '../db/open.js';
import {
  headPosition,
  readEvents,
  type EventFilter,
  type EventPosition,
  type EventRecord,
} from '../services/event-reads.js';

/** The channel the events table's insert trigger notifies (migration 0015). */
export const EVENTS_CHANNEL = 'rexec_events';
/** How often the head is probed without a notification (and the LISTEN retried when down). */
export const DEFAULT_EVENT_PROBE_MS = 1_000;

export interface EventSubscriber {
  /** Called whenever new final events may be readable. */
  wake(): void;
  /** Called on stop(): the subscriber ends its stream (clients resume by Last-Event-ID). */
  close(): void;
}

export interface EventWake {
  /** Returns the unsubscribe. */
  subscribe(subscriber: EventSubscriber): () => void;
  /**
   * readEvents, shared: a call asking what a query already running asks (same filter, position
   * and limit) and started since the last wake-up gets that query's answer. Records are shared
   * between callers and must not be changed.
   */
  read(filter: EventFilter, after: EventPosition, limit: number): Promise<EventRecord[]>;
  /** Called once: after stop() it probes no more. */
  start(): Promise<void>;
  /** Stops listening and closes every subscriber, so the HTTP server can close. */
  stop(): Promise<void>;
}

export interface EventWakeOptions {
  database: Database;
  log: FastifyBaseLogger;
  probeMs?: number;
}

export function createEventWake({ database, log, probeMs }: EventWakeOptions): EventWake {
  const subscribers = new Set<EventSubscriber>();
  let head: EventPosition | null = null;
  let timer: NodeJS.Timeout | undefined;
  let listening: Listening | null = null;
  /** The LISTEN being set up: a tick while a connect is slow must not open a second one. */
  let connecting: Promise<void> | null = null;
  let stopped = false;
  // Bumped at every wake-up: a read started before one may not have seen what it announced, so
  // only reads of the same generation are shared.
  let generation = 0;
  const reading = new Map<string, Promise<EventRecord[]>>();

  const notifyAll = () => {
    generation++;
    for (const subscriber of subscribers) subscriber.wake();
  };

  async function probeOnce(): Promise<void> {
    const next = await headPosition(database.db);
    if (head !== null && next.txId === head.txId && next.id === head.id) return;
    head = next;
    notifyAll();
  }

  // Probes never overlap: the notifications during one are answered by one probe after it.
  const probes = createCoalescedRun(probeOnce, (error) => {
    // The next tick probes again; readers keep their cursors, so nothing is lost meanwhile.
    log.warn({ err: error }, 'could not probe the events table');
  });

  async function listenOnce(pool: pg.Pool): Promise<void> {
    // Null when it failed (logged by listenTo): the probe alone wakes readers until a tick
    // listens again, as it does when the connection dies later (`alive` false).
    const started = await listenTo(pool, EVENTS_CHANNEL, log, () => probes.request());
    if (stopped) {
      await started?.stop();
      return;
    }
    listening = started;
    // Whatever was notified while not listening is found by this probe.
    if (started !== null) probes.request();
  }

  function listen(): Promise<void> {
    const pool = database.pool;
    if (pool === undefined || stopped || listening?.alive === true) return Promise.resolve();
    connecting ??= listenOnce(pool).finally(() => (connecting = null));
    return connecting;
  }

  return {
    subscribe(subscriber) {
      subscribers.add(subscriber);
      return () => subscribers.delete(subscriber);
    },
    read(filter, after, limit) {
      const key = JSON.stringify([
        generation,
        after.txId,
        after.id,
        limit,
        filter.ownerUserId,
        filter.containerId ?? null,
        [...filter.types].sort(),
      ]);
      let answer = reading.get(key);
      if (answer === undefined) {
        answer = readEvents(database.db, filter, after, limit).finally(() => reading.delete(key));
        reading.set(key, answer);
      }
      return answer;
    },
    async start() {
      await listen();
      probes.request();
      timer = setInterval(() => {
        void listen();
        probes.request();
      }, probeMs ?? DEFAULT_EVENT_PROBE_MS);
      timer.unref();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      for (const subscriber of [...subscribers]) subscriber.close();
      await probes.stop();
      // A LISTEN being set up sees `stopped` and gives its connection back itself.
      await connecting;
      const held = listening;
      listening = null;
      // UNLISTENs and gives the connection back; one that cannot UNLISTEN goes back as broken,
      // so the pool discards it instead of reusing it.
      await held?.stop();
    },
  };
}
