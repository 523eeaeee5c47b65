// The IPv4 pool the per-user networks take their subnets from (REXEC_USER_NETWORK_POOL): parsing,
// the n-th subnet, and where a user's search starts. Allocating our own subnets keeps every user
// network inside one CIDR the host guard can match, and lifts docker's ~31-network default pool.
import { createHash } from 'node:crypto';

export interface SubnetPool {
  /** The pool's network address as a 32-bit number. */
  base: number;
  /** The pool's prefix length, e.g. 16. */
  poolPrefix: number;
  /** Each user network's prefix length, e.g. 24. */
  subnetPrefix: number;
}

export const DEFAULT_SUBNET_POOL = '10.213.0.0/16';
export const DEFAULT_SUBNET_PREFIX = 24;
// A /29 leaves 5 container addresses beside the gateway; anything smaller is no sandbox network.
const SMALLEST_SUBNET_PREFIX = 29;

/** Thrown when a pool is not an IPv4 CIDR that holds at least one subnet of the asked size. */
export class SubnetPoolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SubnetPoolError';
  }
}

function parseAddress(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^[0-9]{1,3}$/.test(part) || Number(part) > 255) return null;
    value = value * 256 + Number(part);
  }
  return value;
}

export function formatAddress(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** Parses `a.b.c.d/n` plus the per-user prefix length; throws SubnetPoolError saying what is wrong. */
export function parseSubnetPool(cidr: string, subnetPrefix = DEFAULT_SUBNET_PREFIX): SubnetPool {
  const match = /^([0-9.]+)\/([0-9]{1,2})$/.exec(cidr.trim());
  const base = match === null ? null : parseAddress(match[1] ?? '');
  const poolPrefix = Number(match?.[2]);
  if (base === null || !(poolPrefix >= 1 && poolPrefix <= 32)) {
    throw new SubnetPoolError(`"${cidr}" is not an IPv4 CIDR like 10.213.0.0/16`);
  }
  if (base % 2 ** (32 - poolPrefix) !== 0) {
    throw new SubnetPoolError(
      `"${cidr}" has host bits set; use ${formatAddress(base - (base % 2 ** (32 - poolPrefix)))}/${poolPrefix}`,
    );
  }
  if (
    !Number.isInteger(subnetPrefix) ||
    subnetPrefix < poolPrefix ||
    subnetPrefix > SMALLEST_SUBNET_PREFIX
  ) {
    throw new SubnetPoolError(
      `the user subnet prefix must be between the pool's /${poolPrefix} and /${SMALLEST_SUBNET_PREFIX}, got /${subnetPrefix}`,
    );
  }
  return { base, poolPrefix, subnetPrefix };
}

export function subnetCount(pool: SubnetPool): number {
  return 2 ** (pool.subnetPrefix - pool.poolPrefix);
}

/** The pool itself as CIDR text, for iptables matches. */
export function poolCidr(pool: SubnetPool): string {
  return `${formatAddress(pool.base)}/${pool.poolPrefix}`;
}

export function subnetAt(pool: SubnetPool, index: number): string {
  const offset = (index % subnetCount(pool)) * 2 ** (32 - pool.subnetPrefix);
  return `${formatAddress(pool.base + offset)}/${pool.subnetPrefix}`;
}

/**
 * Where (host, user) starts looking: spread by a hash so concurrent first creates of different
 * users rarely try the same subnet, and stable so a recreated network tends to get its old one.
 */
export function firstSubnetIndex(pool: SubnetPool, hostId: string, userId: string): number {
  const digest = createHash('sha256').update(`${hostId}\0${userId}`).digest();
  return digest.readUInt32BE(0) % subnetCount(pool);
}

/** An IPv4 route's destination: network address and prefix length. */
export interface RoutedNetwork {
  base: number;
  prefix: number;
}

/**
 * The networks the host already routes, from /proc/net/route's text (hex, little-endian), without
 * the default route. Another engine's bridge shows up here: docker creates a subnet that podman's
 * bridge already uses without complaint, and two bridges with one subnet break both.
 */
export function parseRouteTable(text: string): RoutedNetwork[] {
  const routed: RoutedNetwork[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const destination = fields[1];
    const mask = fields[7];
    if (destination === undefined || mask === undefined) continue;
    if (!/^[0-9A-Fa-f]{8}$/.test(destination) || !/^[0-9A-Fa-f]{8}$/.test(mask)) continue;
    const maskValue = littleEndian(mask);
    const prefix = 32 - Math.log2(2 ** 32 - maskValue);
    if (!Number.isInteger(prefix) || prefix === 0) continue;
    routed.push({ base: littleEndian(destination), prefix });
  }
  return routed;
}

function littleEndian(hex: string): number {
  let value = 0;
  for (let byte = 3; byte >= 0; byte--)
    value = value * 256 + parseInt(hex.slice(byte * 2, byte * 2 + 2), 16);
  return value;
}

/** True when the pool's `index`-th subnet shares any address with one of `routed`. */
export function subnetOverlaps(
  pool: SubnetPool,
  index: number,
  routed: readonly RoutedNetwork[],
): boolean {
  const size = 2 ** (32 - pool.subnetPrefix);
  const start = pool.base + (index % subnetCount(pool)) * size;
  const end = start + size;
  return routed.some((route) => {
    const routeEnd = route.base + 2 ** (32 - route.prefix);
    return route.base < end && start < routeEnd;
  });
}
