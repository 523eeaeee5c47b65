// A pino logger whose JSON lines are kept in memory, for tests that assert on what was logged.
import { Writable } from 'node:stream';
import { pino } from 'pino';

export function capturedLog(level: pino.Level = 'warn'): {
  log: pino.Logger;
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { log: pino({ level }, sink), lines };
}
