// A TCP listener on every host address for the limits suite: containers reach it through their
// network's gateway. Each connection is measured from its first byte to the sender's end (the
// connection setup and the shell starting the pipe do not dilute the rate) and then closed, which
// lets busybox nc (waiting for the peer after stdin's EOF) exit. What rate is right is the test's.
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';

export interface Transfer {
  bytes: number;
  /** Seconds from the first chunk's arrival to the end of the stream. */
  seconds: number;
  /** Megabits per second over that interval, counting the bytes after the first chunk. */
  mbps: number;
  text: string;
}

export interface CountingListener {
  port: number;
  /** Connections accepted so far (a refused or filtered attempt never gets here). */
  readonly connections: number;
  /** The next finished transfer; rejects after timeoutMs. */
  next(timeoutMs?: number): Promise<Transfer>;
}

const TEXT_KEEP_BYTES = 256;

export async function openCountingListener(t: Test): Promise<CountingListener> {
  const finished: Transfer[] = [];
  const waiters: (() => void)[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    let first: bigint | undefined;
    let firstChunk = 0;
    let bytes = 0;
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      if (first === undefined) {
        first = process.hrtime.bigint();
        firstChunk = chunk.byteLength;
      }
      bytes += chunk.byteLength;
      if (head.length < TEXT_KEEP_BYTES) head += chunk.toString('latin1', 0, TEXT_KEEP_BYTES);
    });
    socket.on('end', () => {
      const end = process.hrtime.bigint();
      const seconds = first === undefined ? 0 : Number(end - first) / 1e9;
      // The first chunk arrived at the interval's start, so only what came after it took time.
      const mbps = seconds > 0 ? ((bytes - firstChunk) * 8) / seconds / 1e6 : 0;
      finished.push({ bytes, seconds, mbps, text: head });
      for (const wake of waiters.splice(0)) wake();
      socket.end();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '0.0.0.0');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return connections;
    },
    async next(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (finished.length === 0) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no transfer finished on the listener in ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      const transfer = finished.shift();
      if (transfer === undefined) throw new Error('unreachable: a transfer was waiting');
      return transfer;
    },
  };
}
