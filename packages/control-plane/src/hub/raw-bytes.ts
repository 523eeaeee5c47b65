// One Buffer from whatever `ws` hands a message listener (a Buffer, fragments, or an ArrayBuffer,
// depending on the socket's binaryType): the agent socket and the users' terminal and exec
// sockets all read their frames through it.
import type { RawData } from 'ws';

export function rawBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
