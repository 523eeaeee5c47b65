// A minimal Server-Sent Events reader for the events suites, written from the HTML spec's event
// stream format independently of the SDK's: frames split on blank lines, `id:`/`event:`/`data:`
// fields, `:` comments kept so heartbeats can be counted.
export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

export interface SseConnection {
  status: number;
  headers: Headers;
  /** Resolves with the next frame; rejects when the stream ends first. */
  next(): Promise<SseFrame>;
  close(): void;
}

export async function openSse(
  url: string,
  headers: Record<string, string>,
): Promise<SseConnection> {
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  const frames: SseFrame[] = [];
  const waiters: { resolve: (frame: SseFrame) => void; reject: (error: Error) => void }[] = [];
  let ended: Error | null = null;
  const push = (frame: SseFrame) => {
    const waiter = waiters.shift();
    if (waiter === undefined) frames.push(frame);
    else waiter.resolve(frame);
  };
  const end = (error: Error) => {
    ended = error;
    for (const waiter of waiters.splice(0)) waiter.reject(error);
  };
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const frame: SseFrame = {};
          for (const line of block.split('\n')) {
            const colon = line.indexOf(':');
            const field = colon === -1 ? line : line.slice(0, colon);
            const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === '') frame.comment = value;
            else if (field === 'id') frame.id = value;
            else if (field === 'event') frame.event = value;
            else if (field === 'data')
              frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
          }
          push(frame);
        }
      }
      end(new Error('stream ended'));
    } catch (error) {
      end(error instanceof Error ? error : new Error(String(error)));
    }
  })();
  return {
    status: response.status,
    headers: response.headers,
    next: () => {
      const frame = frames.shift();
      if (frame !== undefined) return Promise.resolve(frame);
      if (ended !== null) return Promise.reject(ended);
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    close: () => abort.abort(),
  };
}

/** The next frame that carries an event (skipping comments and the `retry:` preamble). */
export async function nextEvent(connection: SseConnection): Promise<SseFrame> {
  for (;;) {
    const frame = await connection.next();
    if (frame.id !== undefined) return frame;
  }
}
