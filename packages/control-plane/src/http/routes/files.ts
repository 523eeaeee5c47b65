// The files API (DESIGN §8.2): upload and download (raw bytes or tar, streamed, Range honoured),
// list, stat, remove, mkdir and move in the caller's container. Every route counts against the
// operations rate limit; another user's container is 404. Uploads are checked against
// REXEC_MAX_UPLOAD_MB and the container's disk quota before a byte moves when the client says
// the length; the agent enforces both while spooling when it does not. The transfer is the file
// service's; which states allow what is file-target.ts's.
import { Readable } from 'node:stream';
import {
  ArchiveWritten,
  ContainerRef,
  FileList,
  FilePathQuery,
  FileQuery,
  FileStat,
  FileWritten,
  MkdirRequest,
  MoveRequest,
  parseRangeHeader,
  resolveByteRange,
  type FileOp,
} from '@rexec/protocol';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { RexecError } from '../../errors.js';
import { diskQuotaExceeded, invalidPath, payloadTooLarge } from '../../files/file-errors.js';
import { DISCONNECTED } from '../../hub/channel.js';
import type { ContainerRow } from '../../db/schema/containers.js';
import { getContainer } from '../../services/container-queries.js';
import type { RouteDependencies } from '../route-dependencies.js';
import { callerOf } from '../auth.js';
import { clientGone, fileTarget, normalisePath, type FileAccess } from './file-target.js';
import { ERROR_RESPONSES } from './responses.js';

const params = z.object({ id: ContainerRef });
const MIB = 1024 * 1024;

/** The body's length as the client declared it; null for a chunked body. */
function declaredLength(headers: Record<string, string | string[] | undefined>): number | null {
  const value = headers['content-length'];
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return null;
  return Number(value);
}

/** PUT: the body is a stream handed on as it is, whatever its content type. */
export function fileUploadRoutes(deps: RouteDependencies): FastifyPluginCallbackZod {
  // Whether the host's socket is here: a file channel needs it.
  const { database, hub: commands = DISCONNECTED, sockets: hub = commands } = deps;
  const targetOf = (row: ContainerRow, access: FileAccess) =>
    fileTarget(row, access, hub, deps.files, deps.replicaForwarding);
  return (app, _options, done) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, payload, next) => next(null, payload));
    app.put(
      '/containers/:id/files',
      {
        config: { rateLimit: 'operations' },
        schema: {
          description:
            'Writes the raw request body to the file `path` (created or replaced; `mode` in octal, ' +
            'default 0644; `parents=true` creates missing directories), or with `archive=tar` ' +
            'extracts the tar body into the directory `path`. Streamed, never held whole; works ' +
            'on a stopped container too. 413 `payload_too_large` over REXEC_MAX_UPLOAD_MB; 403 ' +
            '`disk_quota_exceeded` when the upload would take the container past its disk_mb ' +
            '(nothing is written); 404 `path_not_found` when the parent directory is missing; ' +
            '400 `is_a_directory` when `path` is a directory.',
          params,
          querystring: FileQuery,
          response: { 201: z.union([FileWritten, ArchiveWritten]), ...ERROR_RESPONSES },
        },
      },
      async (request, reply) => {
        const { user } = callerOf(request);
        const row = await getContainer(database.db, user.id, request.params.id);
        const path = normalisePath(request.query.path);
        const archive = request.query.archive === 'tar';
        if (!archive && path === '/') throw invalidPath('Cannot write a file at /.');
        const { target, files } = await targetOf(row, 'transfer');
        const size = declaredLength(request.headers);
        if (size !== null && size > files.maxUploadBytes)
          throw payloadTooLarge(files.maxUploadBytes);
        const quotaBytes = Math.max(0, (row.diskMb - (row.diskUsedMb ?? 0)) * MIB);
        if (size !== null && size > quotaBytes) {
          throw diskQuotaExceeded(
            `The upload is ${size} bytes but only ${quotaBytes} are left of the container's ` +
              `${row.diskMb} MB disk.`,
          );
        }
        const limits = { max_bytes: files.maxUploadBytes, quota_bytes: quotaBytes, size };
        const op: FileOp = archive
          ? { kind: 'write_tar', path, ...limits }
          : {
              kind: 'write',
              path,
              mode: request.query.mode ?? '0644',
              parents: request.query.parents ?? false,
              ...limits,
            };
        const body = request.body instanceof Readable ? request.body : Readable.from([]);
        const result = await files.write(target, op, body, clientGone(reply.raw));
        void reply.code(201);
        if (archive) return { path, files: result.files ?? 0 };
        const entry = result.entry;
        return {
          path,
          size: entry?.size ?? size ?? 0,
          mode: entry?.mode ?? (op.kind === 'write' ? op.mode : '0644'),
          modified_at: entry?.modified_at ?? new Date().toISOString(),
        };
      },
    );
    done();
  };
}

export function fileRoutes(deps: RouteDependencies): FastifyPluginCallbackZod {
  // Whether the host's socket is here: a file channel needs it.
  const { database, hub: commands = DISCONNECTED, sockets: hub = commands } = deps;
  const targetOf = (row: ContainerRow, access: FileAccess) =>
    fileTarget(row, access, hub, deps.files, deps.replicaForwarding);
  return (app, _options, done) => {
    app.get(
      '/containers/:id/files',
      {
        config: { rateLimit: 'operations' },
        schema: {
          description:
            'The bytes of the file `path` (`application/octet-stream`, `Content-Length`, one ' +
            '`Range: bytes=…` honoured with 206, 416 `range_not_satisfiable` outside the file), ' +
            'symlinks followed inside the container. A directory is 400 `is_a_directory` unless ' +
            '`archive=tar`, which streams a tar of it (`application/x-tar`). Works on a stopped ' +
            'container too.',
          params,
          querystring: FileQuery,
          response: {
            200: z.unknown().describe('the bytes, or a tar stream with archive=tar'),
            206: z.unknown().describe('the asked range of the bytes'),
            ...ERROR_RESPONSES,
          },
        },
      },
      async (request, reply) => {
        const { user } = callerOf(request);
        const row = await getContainer(database.db, user.id, request.params.id);
        const path = normalisePath(request.query.path);
        const { target, files } = await targetOf(row, 'transfer');
        const signal = clientGone(reply.raw);
        if (request.query.archive === 'tar') {
          const started = await files.read(target, { kind: 'read_tar', path }, signal);
          void reply.type('application/x-tar');
          return reply.send(started.body);
        }
        const range = parseRangeHeader(request.headers.range);
        const started = await files.read(
          target,
          { kind: 'read', path, range: range ?? null },
          signal,
        );
        const size = started.entry?.size ?? 0;
        void reply.type('application/octet-stream').header('accept-ranges', 'bytes');
        if (started.entry !== undefined) {
          void reply.header('last-modified', new Date(started.entry.modified_at).toUTCString());
        }
        if (range === undefined) {
          void reply.header('content-length', size);
          return reply.send(started.body);
        }
        const span = resolveByteRange(range, size);
        if (span === null) {
          started.body.destroy();
          void reply.header('content-range', `bytes */${size}`);
          throw new RexecError(
            'range_not_satisfiable',
            `The range ${request.headers.range} is outside the file's ${size} bytes.`,
            { size },
          );
        }
        void reply
          .code(206)
          .header('content-range', `bytes ${span.start}-${span.end}/${size}`)
          .header('content-length', span.end - span.start + 1);
        return reply.send(started.body);
      },
    );

    app.get(
      '/containers/:id/files/list',
      {
        config: { rateLimit: 'operations' },
        schema: {
          description:
            'The entries of the directory `path` (lstat: symlinks are shown as themselves with ' +
            '`link_target`), at most 10 000 (`truncated` says more exist). Needs the container ' +
            'running.',
          params,
          querystring: FilePathQuery,
          response: { 200: FileList, ...ERROR_RESPONSES },
        },
      },
      async (request) => {
        const { user } = callerOf(request);
        const row = await getContainer(database.db, user.id, request.params.id);
        const path = normalisePath(request.query.path);
        const { target, files } = await targetOf(row, 'metadata');
        const result = await files.meta(target, { kind: 'list', path });
        return {
          path,
          entries: result.entries ?? [],
          ...(result.truncated === true ? { truncated: true } : {}),
        };
      },
    );

    app.get(
      '/containers/:id/files/stat',
      {
        config: { rateLimit: 'operations' },
        schema: {
          description: 'One entry (lstat) plus its `path`. Needs the container running.',
          params,
          querystring: FilePathQuery,
          response: { 200: FileStat, ...ERROR_RESPONSES },
        },
      },
      async (request) => {
        const { user } = callerOf(request);
        const row = await getContainer(database.db, user.id, request.params.id);
        const path = normalisePath(request.query.path);
        const { target, files } = await targetOf(row, 'metadata');
        return statOf(await files.meta(target, { kind: 'stat', path }), path);
      },
    );

    app.delete(
      '/containers/:id/files',
      {
        config: { rateLimit: 'operations' },
        schema: {
          description:
            'Removes the file, symlink or empty directory `path`; a directory with contents needs ' +
            '`recursive=true` (else 400 `is_a_directory`). Needs the container running.',
          params,
          querystring: FileQuery,
          response: { 204: z.null(), ...ERROR_RESPONSES },
        },
      },
      async (request, reply) => {
        const { user } = callerOf(request);
        const row = await getContainer(database.db, user.id, request.params.id);
        const path = normalisePath(request.query.path);
        if (path === '/') throw invalidPath('Cannot remove /.');
        const { target, files } = await targetOf(row, 'metadata');
        await files.meta(target, {
          kind: 'remove',
          path,
          recursive: request.query.recursive ?? false,
        });
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/containers/:id/files/mkdir',
      {
        config: { rateLimit: 'operations' },
        schema: {
          description:
            'Creates the directory `path` (with `parents: true`, missing parents too, and an ' +
            'existing directory is fine); 409 `path_exists` otherwise. Needs the container running.',
          params,
          body: MkdirRequest,
          response: { 201: FileStat, ...ERROR_RESPONSES },
        },
      },
      async (request, reply) => {
        const { user } = callerOf(request);
        const row = await getContainer(database.db, user.id, request.params.id);
        const path = normalisePath(request.body.path);
        const { target, files } = await targetOf(row, 'metadata');
        const result = await files.meta(target, {
          kind: 'mkdir',
          path,
          parents: request.body.parents ?? false,
        });
        void reply.code(201);
        return statOf(result, path);
      },
    );

    app.post(
      '/containers/:id/files/move',
      {
        config: { rateLimit: 'operations' },
        schema: {
          description:
            'Renames `from` to `to` (never replacing: 409 `path_exists`); answers the moved ' +
            'entry. Needs the container running.',
          params,
          body: MoveRequest,
          response: { 200: FileStat, ...ERROR_RESPONSES },
        },
      },
      async (request) => {
        const { user } = callerOf(request);
        const row = await getContainer(database.db, user.id, request.params.id);
        const from = normalisePath(request.body.from);
        const to = normalisePath(request.body.to);
        if (from === '/' || to === '/') throw invalidPath('Cannot move / or onto /.');
        const { target, files } = await targetOf(row, 'metadata');
        return statOf(await files.meta(target, { kind: 'move', from, to }), to);
      },
    );
    done();
  };
}

function statOf(result: { entry?: FileStat | Omit<FileStat, 'path'> }, path: string): FileStat {
  if (result.entry === undefined) {
    throw new RexecError('internal', 'The agent answered without the entry.');
  }
  return { ...result.entry, path };
}
