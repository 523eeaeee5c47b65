// Resolves a webhook URL's host and refuses it when any address is outside the AddressPolicy.
// `guardedLookup` is the same check as a `lookup` for node:http, so the address a delivery connects
// to is the one that was checked: no window between the check and the connection.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { lookup as dnsLookupAsync } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { invalidRequest, urlNotAllowed } from '../errors.js';
import { isAllowedAddress, type AddressPolicy } from './address-policy.js';

/** The URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** Throws url_not_allowed when the URL's host is or resolves to a refused address. */
export async function assertUrlAllowed(policy: AddressPolicy, url: string): Promise<void> {
  const host = hostOf(new URL(url));
  let addresses: string[];
  if (isIP(host) !== 0) {
    addresses = [host];
  } else {
    try {
      addresses = (await dnsLookupAsync(host, { all: true })).map((entry) => entry.address);
    } catch (error) {
      throw invalidRequest(`The webhook URL's host ${host} does not resolve.`, [
        { path: 'url', message: (error as Error).message },
      ]);
    }
  }
  const refused = addresses.find((address) => !isAllowedAddress(policy, address));
  if (refused !== undefined) throw urlNotAllowed(url, refused);
}

/** Thrown (through the socket) when a delivery's host resolves to a refused address. */
export class AddressNotAllowedError extends Error {
  override readonly name = 'AddressNotAllowedError';
  readonly code = 'EADDRNOTALLOWED';
}

/** A node:net lookup that resolves normally and then refuses addresses outside the policy. */
export function guardedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, options, (error, address: string | LookupAddress[], family?: number) => {
      if (error) {
        callback(error, address, family);
        return;
      }
      const list = Array.isArray(address) ? address.map((entry) => entry.address) : [address];
      const refused = list.find((candidate) => !isAllowedAddress(policy, candidate));
      if (refused !== undefined) {
        callback(
          new AddressNotAllowedError(`${hostname} resolves to ${refused}, not a public address`),
          address,
          family,
        );
        return;
      }
      callback(null, address, family);
    });
  };
}
