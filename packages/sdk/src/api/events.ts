// Events (`GET /events`, pages oldest first) and their live stream (`GET /events/stream`, an async
// iterable that reconnects with Last-Event-ID when the server ends the stream, e.g. on a replica's
// shutdown) and, for admins, the audit log (`GET /audit`). Browser-safe: fetch and web streams only.
import { AuditList, Event, EventList } from '@rexec/protocol';
import { RexecError } from '../errors.js';
import { decode } from '../http/decode.js';
import type { HttpClient } from '../http/http-client.js';
import { sseMessages } from './sse-frames.js';

export interface EventFilterOptions {
  /** Exact types or group prefixes (`container.*`). */
  types?: string[];
  containerId?: string;
  /** Admins: every user's and host's events. */
  all?: boolean;
}

export interface EventListOptions extends EventFilterOptions {
  /** The previous page's `next_cursor`. */
  cursor?: string;
  limit?: number;
}

export interface EventStreamOptions extends EventFilterOptions {
  /** Resume right after this event id; without it the stream starts now. */
  after?: string;
  /** Wait before reconnecting after the server ended the stream (default 1000 ms). */
  reconnectDelayMs?: number;
}

function filterQuery(options: EventFilterOptions): Record<string, string | undefined> {
  return {
    type: options.types === undefined ? undefined : options.types.join(','),
    container_id: options.containerId,
    all: options.all === true ? 'true' : undefined,
  };
}

export class Events {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  async list(options: EventListOptions = {}): Promise<EventList> {
    const query = { ...filterQuery(options), cursor: options.cursor, limit: options.limit };
    return decode(EventList, await this.#http.send('GET', '/events', { query }), 'GET /events');
  }

  /**
   * Every matching event from now (or after `after`) as it happens, for as long as the caller
   * iterates: `for await (const event of rexec.events.stream())`. Leaving the loop closes the
   * request. A refused request (401, 403, 400) rejects; a stream the server ends is resumed.
   */
  async *stream(options: EventStreamOptions = {}): AsyncGenerator<Event> {
    let lastId = options.after;
    for (;;) {
      const response = await this.#http.raw('GET', '/events/stream', {
        query: filterQuery(options),
        headers: {
          accept: 'text/event-stream',
          ...(lastId === undefined ? {} : { 'last-event-id': lastId }),
        },
      });
      if (response.body === null) throw new TypeError('GET /events/stream answered no body');
      for await (const message of sseMessages(response.body)) {
        const parsed = Event.safeParse(JSON.parse(message.data));
        if (!parsed.success) {
          throw new RexecError({
            status: response.status,
            code: 'invalid_response',
            message: `GET /events/stream: an event does not match the protocol: ${parsed.error.message}`,
          });
        }
        lastId = parsed.data.id;
        yield parsed.data;
      }
      await new Promise((resolve) => setTimeout(resolve, options.reconnectDelayMs ?? 1000));
    }
  }
}

export interface AuditListOptions {
  /** The previous page's `next_cursor` (older entries). */
  cursor?: string;
  limit?: number;
  userId?: string;
  action?: string;
  /** ISO timestamps bounding `at`. */
  since?: string;
  until?: string;
}

/** Admin only. */
export class Audit {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  async list(options: AuditListOptions = {}): Promise<AuditList> {
    const query = {
      cursor: options.cursor,
      limit: options.limit,
      user_id: options.userId,
      action: options.action,
      since: options.since,
      until: options.until,
    };
    return decode(AuditList, await this.#http.send('GET', '/audit', { query }), 'GET /audit');
  }
}
