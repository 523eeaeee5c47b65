// Background execs over REST and the stream socket (DESIGN §8.1): start one and open its stream,
// reattach to one from an offset, read its status, signal it. The socket's protocol is
// exec-stream.ts's; `containers.execStream/reattach/execStatus/execSignal` call these.
import { EXEC_STREAM_SUBPROTOCOL, ExecStarted, ExecStatus, type ExecSignal } from '@rexec/protocol';
import { segment } from '../api/path.js';
import { decode } from '../http/decode.js';
import type { HttpClient } from '../http/http-client.js';
import { socketEndpoint } from '../http/base-url.js';
import type { TransportFactory } from '../terminal/transport.js';
import { openExecStream, type ExecStream } from './exec-stream.js';

/** What `execStream` runs; as `exec`, but stdin streams (`stdin` here is a first chunk, ended). */
export type ExecStreamOptions = (
  { argv: string[]; command?: undefined } | { command: string; argv?: undefined }
) & {
  cwd?: string;
  env?: Record<string, string>;
  user?: string;
  /** The whole stdin, sent and ended; leave it out to write stdin through the stream. */
  stdin?: string;
  /** 1–3600, default 60; on timeout every process of the command is killed. */
  timeoutSeconds?: number;
};

export async function startExecStream(
  http: HttpClient,
  transport: TransportFactory,
  ref: string,
  options: ExecStreamOptions,
): Promise<ExecStream> {
  const { timeoutSeconds, ...rest } = options;
  const body = {
    ...Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined)),
    ...(timeoutSeconds === undefined ? {} : { timeout_seconds: timeoutSeconds }),
    background: true,
  };
  const answer = await http.send('POST', `/containers/${segment(ref, 'container')}/exec`, {
    body,
  });
  const started = decode(ExecStarted, answer, 'POST /containers/:id/exec');
  return reattachExec(http, transport, ref, started.exec_id, { offset: 0 });
}

export function reattachExec(
  http: HttpClient,
  transport: TransportFactory,
  ref: string,
  execId: string,
  options: { offset?: number } = {},
): ExecStream {
  const offset = options.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new TypeError(`offset must be a whole number of bytes, got ${offset}`);
  }
  const url = socketEndpoint(
    http.root,
    `/containers/${segment(ref, 'container')}/exec/${segment(execId, 'exec')}/stream`,
    { offset },
  );
  return openExecStream(
    transport,
    { url: url.href, token: http.token, subprotocol: EXEC_STREAM_SUBPROTOCOL },
    execId,
    offset,
  );
}

export async function getExecStatus(
  http: HttpClient,
  ref: string,
  execId: string,
): Promise<ExecStatus> {
  const path = `/containers/${segment(ref, 'container')}/exec/${segment(execId, 'exec')}`;
  return decode(ExecStatus, await http.send('GET', path), 'GET /containers/:id/exec/:exec_id');
}

export async function signalExec(
  http: HttpClient,
  ref: string,
  execId: string,
  signal: ExecSignal,
): Promise<ExecStatus> {
  const path = `/containers/${segment(ref, 'container')}/exec/${segment(execId, 'exec')}/signal`;
  const answer = await http.send('POST', path, { body: { signal } });
  return decode(ExecStatus, answer, 'POST /containers/:id/exec/:exec_id/signal');
}
