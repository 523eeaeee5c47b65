// Which destinations containers may not reach (issue 16): the non-public IPv4 ranges denied by
// default, the operator's extra ranges (REXEC_EGRESS_DENY) and exceptions (REXEC_EGRESS_ALLOW),
// parsed and checked here. Turning them into iptables rules is host-guard.ts's; IPv6 is off inside
// every container (run-args.ts), so no IPv6 destination is reachable at all.
import { isIPv4 } from 'node:net';

/** Non-public IPv4 ranges a container never reaches unless REXEC_EGRESS_ALLOW says so. */
export const DEFAULT_EGRESS_DENY: readonly string[] = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '224.0.0.0/4',
  '240.0.0.0/4',
];

/**
 * The IPv6 ranges the issue names (::1/128, fc00::/7, fe80::/10, ff00::/8): listed for the docs
 * and the doctor; they are unreachable because containers have no IPv6 at all.
 */
export const DEFAULT_EGRESS_DENY_V6: readonly string[] = [
  '::1/128',
  'fc00::/7',
  'fe80::/10',
  'ff00::/8',
];

export interface EgressAllowEntry {
  /** Normalised `a.b.c.d/n`. */
  cidr: string;
  /** When set, only this TCP or UDP port of the range is allowed. */
  port?: number;
}

export interface EgressPolicy {
  /** Ranges rejected after the allowed ones: the defaults plus REXEC_EGRESS_DENY. */
  deny: readonly string[];
  allow: readonly EgressAllowEntry[];
}

/** Thrown when an REXEC_EGRESS_* entry is not an IPv4 CIDR (with a port, for ALLOW). */
export class EgressPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EgressPolicyError';
  }
}

function entries(text: string): string[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/** `a.b.c.d` or `a.b.c.d/n` with no host bits set, normalised to `a.b.c.d/n`. */
export function parseCidr(text: string): string {
  const [address = '', prefixText, ...rest] = text.split('/');
  const prefix = prefixText === undefined ? 32 : Number(prefixText);
  if (
    rest.length > 0 ||
    !isIPv4(address) ||
    !/^[0-9]{1,2}$/.test(prefixText ?? '32') ||
    prefix > 32
  ) {
    const v6 = address.includes(':')
      ? ' (containers have no IPv6 at all, so only IPv4 is meaningful)'
      : '';
    throw new EgressPolicyError(`"${text}" is not an IPv4 address or CIDR like 10.1.2.0/24${v6}`);
  }
  const value = address.split('.').reduce((sum, part) => sum * 256 + Number(part), 0);
  if (prefix < 32 && value % 2 ** (32 - prefix) !== 0) {
    throw new EgressPolicyError(`"${text}" has host bits set for /${prefix}`);
  }
  return `${address}/${prefix}`;
}

/** REXEC_EGRESS_ALLOW: a comma list of `CIDR` or `CIDR:port`. */
export function parseEgressAllow(text: string): EgressAllowEntry[] {
  return entries(text).map((entry) => {
    const colon = entry.lastIndexOf(':');
    if (colon === -1) return { cidr: parseCidr(entry) };
    const portText = entry.slice(colon + 1);
    const port = Number(portText);
    if (!/^[0-9]{1,5}$/.test(portText) || port < 1 || port > 65_535) {
      throw new EgressPolicyError(`"${entry}" has no valid port after ":" (1-65535)`);
    }
    return { cidr: parseCidr(entry.slice(0, colon)), port };
  });
}

/** REXEC_EGRESS_DENY: a comma list of CIDRs, added to DEFAULT_EGRESS_DENY. */
export function parseEgressDeny(text: string): string[] {
  return entries(text).map(parseCidr);
}

export function egressPolicy(
  allow: readonly EgressAllowEntry[] = [],
  extraDeny: readonly string[] = [],
): EgressPolicy {
  return { deny: [...new Set([...DEFAULT_EGRESS_DENY, ...extraDeny])], allow };
}
