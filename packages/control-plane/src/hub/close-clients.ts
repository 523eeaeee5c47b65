// Shutting a WebSocket server's clients down politely: wait for the close handshakes the caller
// started, up to a grace period, then cut whatever is left. Choosing the close codes is the caller's.
import type { WebSocketServer } from 'ws';

export async function closeClients(wss: WebSocketServer, graceMs: number): Promise<void> {
  const open = [...wss.clients];
  const closed = Promise.all(
    open.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === ws.CLOSED) resolve();
          else ws.once('close', () => resolve());
        }),
    ),
  );
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
  await Promise.race([closed, grace]);
  clearTimeout(timer);
  for (const ws of open) ws.terminate();
}
