// `POST /internal/v1/files`: the holding replica's side of a file operation forwarded by another
// replica (files/forwarded-files.ts is the asking side). Outside /api/v1 and without a token: the
// user was checked, rate-limited and audited where they asked. Taken only with a good, unseen
// signature over the operation's line that opens the body; then run as a local operation on this
// replica's agent socket. A read answers its entry's line and then the bytes; the rest answer the
// agent's DONE as JSON; errors answer as they would to a user.
import { Readable } from 'node:stream';
import { FileOp } from '@rexec/protocol';
import type { FastifyPluginCallback } from 'fastify';
import { hostUnavailable, invalidRequest, unavailable } from '../../errors.js';
import type { FileService } from '../../files/file-service.js';
import { readHead } from '../../files/forwarded-files.js';
import type { CommandChannel } from '../../hub/channel.js';
import {
  createReplayGuard,
  FileForwardTarget,
  FORWARD_FILES_PATH,
  FORWARD_HEADER,
  sha256Hex as sha256,
} from '../../terminal/forward-signature.js';
import { checkForwarded, takeForwarded } from './forward-admission.js';
import { clientGone } from './file-target.js';

export function forwardedFileRoutes(deps: {
  key: Buffer | undefined;
  sockets: CommandChannel;
  files: FileService | undefined;
}): FastifyPluginCallback {
  const replays = createReplayGuard();
  return (app, _options, done) => {
    // Its own context: the body is a stream, read here line first.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, payload, next) => next(null, payload));
    app.post(
      FORWARD_FILES_PATH,
      { config: { access: 'public' }, schema: { hide: true } },
      async (request, reply) => {
        const { header, target: signed } = checkForwarded(
          deps.key,
          request.headers[FORWARD_HEADER],
          FileForwardTarget,
          'file operation',
        );
        const body = request.body as Readable;
        const head = await readHead(body);
        takeForwarded(replays, header, sha256(head) === signed.opSha256, 'file operation');
        let json: unknown;
        try {
          json = JSON.parse(head);
        } catch {
          throw invalidRequest('A forwarded file operation opens with a line of JSON.');
        }
        const op = FileOp.safeParse(json);
        if (!op.success)
          throw invalidRequest('A forwarded file operation names no valid operation.');
        const { containerId, hostId } = signed;
        if (!deps.sockets.isConnected(hostId)) throw hostUnavailable(hostId);
        if (deps.files === undefined) throw unavailable('This replica does not serve files.');
        const target = { hostId, containerId };
        const signal = clientGone(reply.raw);
        switch (op.data.kind) {
          case 'read':
          case 'read_tar': {
            const started = await deps.files.read(target, op.data, signal);
            const line = `${JSON.stringify(started.entry === undefined ? {} : { entry: started.entry })}\n`;
            return reply
              .type('application/octet-stream')
              .send(Readable.from(withHead(line, started.body)));
          }
          case 'write':
          case 'write_tar':
            return deps.files.write(target, op.data, body, signal);
          default:
            return deps.files.meta(target, op.data);
        }
      },
    );
    done();
  };
}

async function* withHead(line: string, body: Readable): AsyncGenerator<Buffer> {
  yield Buffer.from(line);
  for await (const chunk of body) yield chunk as Buffer;
}
