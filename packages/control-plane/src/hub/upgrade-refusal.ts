// Refusals before a WebSocket upgrade: the raw socket still speaks HTTP, so a refusal is a plain
// HTTP response with the usual JSON error body, then the socket ends. Deciding to refuse is the hub's.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorCode } from '@rexec/protocol';

export function refuseUpgrade(
  socket: Duplex,
  status: number,
  code: ErrorCode,
  message: string,
  extraHeaders: Readonly<Record<string, string>> = {},
): void {
  const body = JSON.stringify({ error: message, code });
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  if (status === 401) headers.push('WWW-Authenticate: Bearer realm="rexec-agent"');
  for (const [name, value] of Object.entries(extraHeaders)) headers.push(`${name}: ${value}`);
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}
