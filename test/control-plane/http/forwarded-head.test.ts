// The first line of a forwarded file operation's body (and of a forwarded read's answer): read up
// to the newline with the bytes after it left in the stream, whatever the chunking; a body that
// ends first, or a line past its limit, is a clear invalid_request and reads no further.
import { Readable } from 'node:stream';
import t from 'tap';
import { RexecError } from '../../../packages/control-plane/src/errors.js';
import { readHead } from '../../../packages/control-plane/src/files/forwarded-files.js';

async function rest(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString();
}

void t.test('the line, and the bytes after it still in the stream', async (t) => {
  const split = Readable.from([
    Buffer.from('{"kind":'),
    Buffer.from('"stat"}\nbyt'),
    Buffer.from('es'),
  ]);
  t.equal(await readHead(split), '{"kind":"stat"}');
  t.equal(await rest(split), 'bytes', 'nothing after the newline is lost');
  const lineOnly = Readable.from([Buffer.from('{}\n')]);
  t.equal(await readHead(lineOnly), '{}');
  t.equal(await rest(lineOnly), '');
});

void t.test('a body without its line, or with one too long, is refused', async (t) => {
  const refused = async (stream: Readable, pattern: RegExp) => {
    const error = await readHead(stream, 16).then(
      () => null,
      (caught: unknown) => caught,
    );
    t.ok(error instanceof RexecError, 'a RexecError');
    t.match(error, { code: 'invalid_request', message: pattern });
  };
  await refused(Readable.from([Buffer.from('{"kind"')]), /ended before its first line/);
  await refused(Readable.from([]), /ended before its first line/);
  await refused(Readable.from([Buffer.from('x'.repeat(40))]), /passes 16 bytes/);
});
