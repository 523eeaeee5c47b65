// The HTTP server's deadlines. There is none for a whole request: an upload of REXEC_MAX_UPLOAD_MB
// on a slow link takes minutes (a 30 s deadline answered 408 to any upload slower than ~34 MB/s).
// Headers have one (HEADERS_TIMEOUT_MS), a body that stops moving for bodyIdleMs has its socket
// closed, so a stalled client holds nothing for long, and an idle kept-alive connection is closed
// only after the clients' own idle limits, so that a client never sends on a socket being closed.
import type { IncomingMessage } from 'node:http';

/** Headers must arrive within this (node's headersTimeout). */
export const HEADERS_TIMEOUT_MS = 30_000;
/** A body with no bytes for this long is given up. */
export const DEFAULT_BODY_IDLE_MS = 30_000;
/**
 * How long an idle kept-alive connection stays open: longer than Go's http.Transport keeps an
 * idle one (90 s), so the client closes first. Were the server first (fastify's default is 72 s),
 * a request sent on a connection as it closes fails with EOF, and Go retries only GET-like ones.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 95_000;

/** Whether the request has a body still to come: a length above 0, or a chunked one. */
function hasBody(request: IncomingMessage): boolean {
  if (request.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(request.headers['content-length'] ?? 0);
  return Number.isFinite(length) && length > 0;
}

/**
 * Arms an idle timeout on the request's socket until its body has been read; node destroys a
 * socket whose timeout fires when nobody listens for the server's `timeout` event. A bodyless
 * request is never armed (`request.complete` is still false when the hooks run, and its `end`
 * only comes once the answer is done, so an event stream or a DELETE waiting for its agent would
 * be cut), nor is a long answer after the body (a synchronous exec).
 */
export function guardBodyIdle(request: IncomingMessage, idleMs: number): void {
  if (request.complete || !hasBody(request)) return;
  const socket = request.socket;
  socket.setTimeout(idleMs);
  const disarm = () => socket.setTimeout(0);
  request.once('end', disarm);
  request.once('close', disarm);
}
