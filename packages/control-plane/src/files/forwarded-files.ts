// File operations through any replica: a replica whose host's agent socket is held by another
// replica runs the operation there, as one signed HTTP call to the holder's /internal/v1/files
// (the holder's side is http/routes/files-forward.ts). Both bodies are framed the same way: one
// line of JSON (the operation going, the read's entry coming back), then the raw bytes, streamed
// either way under TCP's own flow control, so a forwarded transfer holds no more in memory than a
// local one. The signature names the container, the host and the SHA-256 of the operation's line.
import { Readable } from 'node:stream';
import { AgentFileDone, ErrorBody, FileEntry, type FileOp } from '@rexec/protocol';
import { z } from 'zod';
import { internal, invalidRequest, RexecError } from '../errors.js';
import {
  FORWARD_FILES_PATH,
  FORWARD_HEADER,
  sha256Hex as sha256,
  signForward,
} from '../terminal/forward-signature.js';
import type { FileService, FileTarget, ReadStarted } from './file-service.js';

/** The content type of a forwarded file operation's body: the op's line, then the bytes. */
export const FORWARDED_FILES_TYPE = 'application/vnd.rexec.forwarded-file';
/** A head line longer than this is refused: two paths of PATH_MAX escaped, and room to spare. */
export const MAX_HEAD_BYTES = 128 * 1024;
/** A metadata operation that takes longer is given up (the holder gives up at 90 s). */
const META_TIMEOUT_MS = 120_000;

/** The first line of a read's answer: the file, for a plain read. */
export const ReadHead = z.object({ entry: FileEntry.optional() });

/**
 * Reads `stream` up to its first newline and returns that line; the bytes after it stay in the
 * stream, unread. Rejects when the stream ends first or the line passes `maxBytes`.
 */
export async function readHead(stream: Readable, maxBytes = MAX_HEAD_BYTES): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for (;;) {
    const chunk = stream.read() as Buffer | string | null;
    if (chunk === null) {
      if (stream.readableEnded || stream.destroyed) {
        throw invalidRequest('The forwarded body ended before its first line.');
      }
      await readableOrEnd(stream);
      continue;
    }
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const newline = bytes.indexOf(0x0a);
    if (newline >= 0) {
      parts.push(bytes.subarray(0, newline));
      if (newline + 1 < bytes.length) stream.unshift(bytes.subarray(newline + 1));
      return Buffer.concat(parts).toString('utf8');
    }
    parts.push(bytes);
    size += bytes.length;
    if (size > maxBytes)
      throw invalidRequest(`The forwarded body's first line passes ${maxBytes} bytes.`);
  }
}

function readableOrEnd(stream: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error?: Error) => {
      stream.off('readable', onReadable);
      stream.off('end', onReadable);
      stream.off('close', onReadable);
      stream.off('error', settle);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onReadable = () => settle();
    stream.once('readable', onReadable);
    stream.once('end', onReadable);
    stream.once('close', onReadable);
    stream.once('error', settle);
  });
}

/** The holder's error answer as the same RexecError, so the user sees what they would have there. */
async function errorOf(response: Response): Promise<RexecError> {
  const text = await response.text();
  let parsed: ReturnType<typeof ErrorBody.safeParse> | undefined;
  try {
    parsed = ErrorBody.safeParse(JSON.parse(text));
  } catch {
    parsed = undefined;
  }
  if (parsed?.success !== true) {
    return internal(`The holding replica answered ${response.status} without an error body.`);
  }
  const { error, code, request_id: _requestId, ...details } = parsed.data;
  return new RexecError(code, error, details);
}

function unreachable(target: FileTarget, cause: unknown): RexecError {
  return new RexecError(
    'host_unavailable',
    'The replica holding the container’s host could not be reached or did not answer; try again.',
    { host_id: target.hostId },
    cause,
  );
}

/**
 * The file service of a host held by the replica at `holderUrl`: every operation runs there.
 * `maxUploadBytes` is this replica's own limit, which the route checks before anything is sent.
 */
export function forwardedFileService(
  holderUrl: string,
  key: Buffer,
  maxUploadBytes: number,
): FileService {
  async function call(
    target: FileTarget,
    op: FileOp,
    upload: Readable | null,
    signal: AbortSignal,
  ): Promise<Response> {
    const head = JSON.stringify(op);
    const header = signForward(key, { ...target, opSha256: sha256(head) });
    const body =
      upload === null
        ? `${head}\n`
        : (Readable.toWeb(
            Readable.from(
              (async function* () {
                yield Buffer.from(`${head}\n`);
                yield* upload;
              })(),
            ),
          ) as ReadableStream);
    let response: Response;
    try {
      response = await fetch(`${holderUrl}${FORWARD_FILES_PATH}`, {
        method: 'POST',
        headers: { 'content-type': FORWARDED_FILES_TYPE, [FORWARD_HEADER]: header },
        body,
        signal,
        ...(upload === null ? {} : { duplex: 'half' }),
      });
    } catch (error) {
      throw unreachable(target, error);
    }
    if (!response.ok) throw await errorOf(response);
    return response;
  }

  async function done(response: Response, target: FileTarget): Promise<AgentFileDone> {
    let answer: unknown;
    try {
      answer = JSON.parse(await response.text());
    } catch (error) {
      // Gone before its whole answer.
      throw unreachable(target, error);
    }
    const parsed = AgentFileDone.safeParse(answer);
    if (!parsed.success) throw internal('The holding replica answered a file operation oddly.');
    return parsed.data;
  }

  return {
    maxUploadBytes,
    async meta(target, op) {
      const response = await call(target, op, null, AbortSignal.timeout(META_TIMEOUT_MS));
      return done(response, target);
    },
    async read(target, op, signal): Promise<ReadStarted> {
      const response = await call(target, op, null, signal);
      if (response.body === null)
        throw internal('The holding replica answered a read without a body.');
      // The tests compile this with the DOM lib too, whose ReadableStream is another type.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
      const body = Readable.fromWeb(response.body as Parameters<typeof Readable.fromWeb>[0]);
      let head: z.infer<typeof ReadHead>;
      try {
        head = ReadHead.parse(JSON.parse(await readHead(body)));
      } catch (error) {
        body.destroy();
        throw unreachable(target, error);
      }
      return { ...(head.entry === undefined ? {} : { entry: head.entry }), body };
    },
    async write(target, op, upload, signal) {
      return done(await call(target, op, upload, signal), target);
    },
  };
}
