// One Server-Sent Events subscriber: writes every event after its position as `id:`/`event:`/
// `data:` frames, reads again whenever event-wake.ts says the table moved, sends a comment
// heartbeat so proxies and clients can tell a quiet stream from a dead one, and waits for the
// socket to drain before reading more. Authorising and choosing the start position is the route's.
import type { ServerResponse } from 'node:http';
import type { Event } from '@rexec/protocol';
import type { EventFilter, EventPosition, EventRecord } from '../services/event-reads.js';
import type { EventWake } from './event-wake.js';

/** DESIGN §8.3: a comment line this often keeps idle streams alive through proxies. */
export const DEFAULT_SSE_HEARTBEAT_MS = 15_000;
/** Events read per query while catching up. */
const STREAM_BATCH = 500;

export interface EventStreamOptions {
  /** Wakes the stream when events may be readable, and reads them (shared between streams). */
  wake: EventWake;
  filter: EventFilter;
  from: EventPosition;
  heartbeatMs: number;
  toEvent: (record: EventRecord) => Event;
  /** Called when reading fails; the stream is then ended (the client resumes by Last-Event-ID). */
  onError: (error: unknown) => void;
}

export function frame(event: Event): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Serves `response` (headers already written) until the client goes away. */
export function runEventStream(response: ServerResponse, options: EventStreamOptions): void {
  let position = options.from;
  let closed = false;
  let pumping = false;
  let again = false;

  const drained = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        response.off('drain', done);
        response.off('close', done);
        resolve();
      };
      response.on('drain', done);
      response.on('close', done);
    });

  async function pumpOnce(): Promise<void> {
    for (;;) {
      const records = await options.wake.read(options.filter, position, STREAM_BATCH);
      for (const record of records) {
        if (closed) return;
        const writable = response.write(frame(options.toEvent(record)));
        position = { txId: record.txId, id: record.id };
        if (!writable) await drained();
      }
      if (records.length < STREAM_BATCH || closed) return;
    }
  }

  function pump(): void {
    if (closed) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    again = false;
    pumpOnce()
      .then(() => {
        pumping = false;
        if (again) pump();
      })
      .catch((error: unknown) => {
        pumping = false;
        options.onError(error);
        response.end();
      });
  }

  const unsubscribe = options.wake.subscribe({ wake: pump, close: () => response.end() });
  const heartbeat = setInterval(() => {
    if (!closed) response.write(': heartbeat\n\n');
  }, options.heartbeatMs);
  response.on('close', () => {
    closed = true;
    unsubscribe();
    clearInterval(heartbeat);
  });
  pump();
}
