// Which addresses a webhook may reach: public unicast only, unless the operator allows private
// ranges (REXEC_WEBHOOK_ALLOW_PRIVATE) or names CIDRs (REXEC_WEBHOOK_ALLOWED_CIDRS). Checked when a
// webhook is created and again on every connection after DNS resolution (url-guard.ts), so a name
// that later resolves to 127.0.0.1 or 169.254.169.254 (DNS rebinding) is still refused.
import { createRequire } from 'node:module';
import type * as IpAddr from 'ipaddr.js';

// ipaddr.js is CommonJS with `export =`; without esModuleInterop only require() types it right.
const ipaddr = createRequire(import.meta.url)('ipaddr.js') as typeof IpAddr;

export interface AddressPolicy {
  allowPrivate: boolean;
  allowedCidrs: readonly [IpAddr.IPv4 | IpAddr.IPv6, number][];
}

export const PUBLIC_ONLY: AddressPolicy = { allowPrivate: false, allowedCidrs: [] };

/** Parses `10.0.0.0/8,fd00::/8`; throws with the offending entry. */
export function parseAllowedCidrs(text: string): AddressPolicy['allowedCidrs'] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      try {
        return ipaddr.parseCIDR(entry);
      } catch (error) {
        throw new Error(`"${entry}" is not a CIDR such as 10.0.0.0/8`, { cause: error });
      }
    });
}

/** True when a delivery may connect to `address` (an IP literal, as DNS returned it). */
export function isAllowedAddress(policy: AddressPolicy, address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as IpAddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as IpAddr.IPv6).toIPv4Address();
  }
  if (policy.allowPrivate) return true;
  for (const cidr of policy.allowedCidrs) {
    if (parsed.kind() === cidr[0].kind() && parsed.match(cidr)) return true;
  }
  return parsed.range() === 'unicast';
}
