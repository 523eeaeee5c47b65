// GET /events (a page in the stable order, newest last) and GET /events/stream (the same events as
// Server-Sent Events, resumable with Last-Event-ID). Users see their own containers' events;
// admins everything with `all=true`. Ordering and visibility rules are services/event-reads.ts's.
import { EventId, EventList, EventQuery } from '@rexec/protocol';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/open.js';
import { forbidden, invalidRequest, unavailable } from '../../errors.js';
import { runEventStream } from '../../events/event-stream.js';
import {
  currentPosition,
  positionOf,
  readEvents,
  START_POSITION,
  type EventFilter,
  type EventPosition,
} from '../../services/event-reads.js';
import type { RouteDependencies } from '../route-dependencies.js';
import { callerOf } from '../auth.js';
import { toEvent } from '../mappers.js';
import { ERROR_RESPONSES } from './responses.js';

function filterOf(request: FastifyRequest, query: EventQuery): EventFilter {
  const caller = callerOf(request);
  const all = query.all === 'true';
  if (all && !caller.user.isAdmin) throw forbidden('Only administrators may read all events.');
  return {
    ownerUserId: all ? null : caller.user.id,
    types: query.type ?? [],
    ...(query.container_id === undefined ? {} : { containerId: query.container_id }),
  };
}

async function cursorPosition(db: Db, cursor: string, field: string): Promise<EventPosition> {
  const position = await positionOf(db, cursor);
  if (position === null) {
    throw invalidRequest(`No event has the id given as ${field}.`, [
      { path: field, message: 'unknown event id' },
    ]);
  }
  return position;
}

const STREAM_DESCRIPTION =
  'Server-Sent Events (`text/event-stream`): each event as `id:` (its id), `event:` (its type) ' +
  'and `data:` (the event JSON). Without `cursor` or `Last-Event-ID` the stream starts now; with ' +
  'either it resumes right after that event, without loss or duplicates. A `: heartbeat` comment ' +
  'is sent every 15 s.';

export function eventRoutes({
  database,
  eventWake,
  sseHeartbeatMs,
}: RouteDependencies): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    app.get(
      '/events',
      {
        config: { rateLimit: 'list' },
        schema: { querystring: EventQuery, response: { 200: EventList, ...ERROR_RESPONSES } },
      },
      async (request) => {
        const filter = filterOf(request, request.query);
        const { cursor, limit } = request.query;
        const from =
          cursor === undefined
            ? START_POSITION
            : await cursorPosition(database.db, cursor, 'cursor');
        const records = await readEvents(database.db, filter, from, limit);
        return {
          events: records.map(toEvent),
          next_cursor: records.at(-1)?.id ?? cursor ?? null,
        };
      },
    );
    app.get(
      '/events/stream',
      {
        config: { rateLimit: 'list' },
        schema: {
          description: STREAM_DESCRIPTION,
          querystring: EventQuery,
          headers: z.object({ 'last-event-id': EventId.optional() }),
          response: { ...ERROR_RESPONSES },
        },
      },
      async (request, reply) => {
        if (eventWake === undefined) throw unavailable('The event stream is not running here.');
        const filter = filterOf(request, request.query);
        const resumeFrom = request.headers['last-event-id'] ?? request.query.cursor;
        const field = request.headers['last-event-id'] === undefined ? 'cursor' : 'Last-Event-ID';
        const from =
          resumeFrom === undefined
            ? await currentPosition(database.db)
            : await cursorPosition(database.db, resumeFrom, field);
        void reply.hijack();
        reply.raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
          'x-request-id': request.id,
        });
        // Tells EventSource clients how soon to reconnect after the stream drops.
        reply.raw.write('retry: 2000\n\n');
        runEventStream(reply.raw, {
          wake: eventWake,
          filter,
          from,
          heartbeatMs: sseHeartbeatMs,
          toEvent,
          onError: (error) => request.log.error({ err: error }, 'event stream read failed'),
        });
      },
    );
    done();
  };
}
