// Tells this process's event readers (SSE streams) when the events table has moved on: one LISTEN
// connection per process, whatever the number of subscribers, plus a periodic probe of the last
// final event. The probe is what makes the wake-up correct rather than merely fast: a row becomes
// readable only when every older transaction has ended, which raises no notification of its own,
// and notifications are lost while the LISTEN connection reconnects. It also shares reads: the
// subscribers a wake-up sends after the same events with the same filter (a thousand dashboards of
// one team) run one query between them, not one each. Reading itself is event-reads.ts's.
import type { FastifyBaseLogger } from 'fastify';
import type pg from 'pg';
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
  /** The LISTEN connection and the one way it goes back to the pool. */
  let client: { connection: pg.PoolClient; release: (error?: Error) => void } | null = null;
  let probing: Promise<void> | null = null;
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

  // Probes never overlap: a notification during a probe is answered by that probe's successor.
  function probe(): void {
    if (stopped) return;
    if (probing !== null) {
      void probing.then(probe);
      return;
    }
    probing = probeOnce()
      .catch((error: unknown) => {
        // The next tick probes again; readers keep their cursors, so nothing is lost meanwhile.
        log.warn({ err: error }, 'could not probe the events table');
      })
      .finally(() => {
        probing = null;
      });
  }

  async function listen(): Promise<void> {
    if (database.pool === undefined || client !== null || stopped) return;
    try {
      const connection = await database.pool.connect();
      // Released exactly once, whichever comes first: its error (the server ended the session,
      // also after stop() gave it back), a failed LISTEN or stop(). pg-pool throws on a second.
      let released = false;
      const release = (error?: Error) => {
        if (released) return;
        released = true;
        connection.release(error);
      };
      const held = { connection, release };
      connection.on('notification', probe);
      connection.on('error', (error) => {
        // The tick reconnects; until then the probe alone wakes readers.
        if (client === held) {
          client = null;
          log.warn({ err: error }, 'the events LISTEN connection failed');
        }
        release(error);
      });
      try {
        await connection.query(`LISTEN ${EVENTS_CHANNEL}`);
      } catch (error) {
        release(error instanceof Error ? error : new Error(String(error)));
        throw error;
      }
      if (stopped) {
        release();
        return;
      }
      client = held;
      // Whatever was notified while not listening is found by this probe.
      probe();
    } catch (error) {
      log.warn({ err: error }, 'could not LISTEN for events; probing only until the next try');
    }
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
      stopped = false;
      await listen();
      probe();
      timer = setInterval(() => {
        void listen();
        probe();
      }, probeMs ?? DEFAULT_EVENT_PROBE_MS);
      timer.unref();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      for (const subscriber of [...subscribers]) subscriber.close();
      await probing;
      const held = client;
      client = null;
      if (held !== null) {
        held.connection.removeAllListeners('notification');
        try {
          await held.connection.query(`UNLISTEN ${EVENTS_CHANNEL}`);
          held.release();
        } catch (error) {
          // A connection that cannot UNLISTEN is broken: the pool discards it instead of reusing it.
          held.release(error instanceof Error ? error : new Error(String(error)));
        }
      }
    },
  };
}
