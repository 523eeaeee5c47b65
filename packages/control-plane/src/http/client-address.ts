// Which address a request comes from, for the per-address limits and the audit log. Behind a load
// balancer every connection comes from the balancer, so the client's address is read from
// X-Forwarded-For, but only as far as the connections come from proxies REXEC_TRUST_PROXY names:
// anyone else could write any address into that header. Fastify takes the same list for
// `request.ip` (its trustProxy option); agent sockets, upgraded before fastify sees them, use
// clientAddressOf. Both rest on @fastify/proxy-addr, the library behind fastify's option.
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import proxyAddr from '@fastify/proxy-addr';

/** proxy-addr's names for address ranges, accepted beside addresses and CIDRs. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** Why `entry` cannot be a trusted proxy, or null when it can. */
export function trustedProxyProblem(entry: string): string | null {
  if (RANGE_NAMES.has(entry)) return null;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return `"${entry}" is not an IP address or CIDR`;
  if (prefix === undefined) return null;
  const bits = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits) {
    return `"${entry}" has a prefix outside 0–${bits}`;
  }
  return null;
}

/** The client address of a raw request: its socket's, or X-Forwarded-For's through trusted proxies. */
export function clientAddressOf(trusted: readonly string[]): (request: IncomingMessage) => string {
  if (trusted.length === 0) return (request) => request.socket.remoteAddress ?? 'unknown';
  const trust = proxyAddr.compile([...trusted]);
  return (request) => proxyAddr(request, trust);
}
