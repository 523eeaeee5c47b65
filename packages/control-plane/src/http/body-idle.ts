// How long a request body may stall. There is no deadline for a whole request: an upload of
// REXEC_MAX_UPLOAD_MB on a slow link takes minutes (a 30 s deadline answered 408 to any upload
// slower than ~34 MB/s). Headers still have a deadline (HEADERS_TIMEOUT_MS), and a body that stops
// moving for bodyIdleMs has its socket closed, so a stalled client holds nothing for long.
import type { IncomingMessage } from 'node:http';

/** Headers must arrive within this (node's headersTimeout). */
export const HEADERS_TIMEOUT_MS = 30_000;
/** A body with no bytes for this long is given up. */
export const DEFAULT_BODY_IDLE_MS = 30_000;

/**
 * Arms an idle timeout on the request's socket until its body has been read; node destroys a
 * socket whose timeout fires when nobody listens for the server's `timeout` event. Bodyless
 * requests (already complete) and long answers after the body (a synchronous exec) are untouched.
 */
export function guardBodyIdle(request: IncomingMessage, idleMs: number): void {
  if (request.complete) return;
  const socket = request.socket;
  socket.setTimeout(idleMs);
  const disarm = () => socket.setTimeout(0);
  request.once('end', disarm);
  request.once('close', disarm);
}
