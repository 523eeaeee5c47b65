// A TCP proxy between an agent and the control plane that a chaos trial can sever: while cut, every
// open connection is reset and new ones are accepted but never answered (packets into a void, as a
// partition looks to the agent), until the link is restored. Which faults to cut when is faults.ts's.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** The port to dial instead of the target's. */
  readonly port: number;
  /** Resets every open connection and holds new ones unanswered until restore(). */
  cut(): void;
  /** Forwards again; connections held while cut are reset so their clients dial anew. */
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, host = '127.0.0.1'): Promise<TcpProxy> {
  const open = new Set<Socket>();
  const held = new Set<Socket>();
  let severed = false;

  const server: Server = createServer((client) => {
    client.on('error', () => client.destroy()); // a reset peer is what chaos is for
    if (severed) {
      held.add(client);
      client.once('close', () => held.delete(client));
      return;
    }
    const upstream = connect(targetPort, host);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    open.add(client).add(upstream);
    client.once('close', () => open.delete(client));
    upstream.once('close', () => open.delete(upstream));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const resetAll = (sockets: Set<Socket>) => {
    for (const socket of [...sockets]) socket.resetAndDestroy();
    sockets.clear();
  };
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      severed = true;
      resetAll(open);
    },
    restore() {
      severed = false;
      resetAll(held);
    },
    async close() {
      resetAll(open);
      resetAll(held);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
