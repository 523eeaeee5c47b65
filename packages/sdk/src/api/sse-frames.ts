// Splits a text/event-stream body into events (the HTML standard's format): blank-line separated
// blocks of `field: value` lines; `data` lines join with newlines; `:` comments (heartbeats) and
// fields other than id, event and data are dropped. Web streams only, so it runs in browsers too.
export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

function parseBlock(block: string): SseMessage | null {
  let id: string | undefined;
  let event: string | undefined;
  const data: string[] = [];
  for (const line of block.split(/\r\n|\r|\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return null;
  return {
    ...(id === undefined ? {} : { id }),
    ...(event === undefined ? {} : { event }),
    data: data.join('\n'),
  };
}

/** Yields each message of `body` until it ends; cancelling the iteration cancels the body. */
export async function* sseMessages(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) !== -1) {
        const message = parseBlock(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
        if (message !== null) yield message;
      }
    }
  } finally {
    // Ends the HTTP request when the caller stops early (break, return or an error). A body that
    // already failed cannot be cancelled again, and there is nothing left to release then.
    await reader.cancel().catch(() => undefined);
  }
}
