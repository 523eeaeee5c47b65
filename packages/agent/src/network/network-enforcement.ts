// Sets up the host side of network enforcement at agent start and says what is in force: the tc
// shaper when the probe passes, the host guard when iptables takes it. Either may be off (not
// root, no iptables, no ifb); then a warning is logged, containers still run, and the returned
// detail tells the control plane why. Per-user networks are the runtime's and always used.
import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { isIP, isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import type { NetworkShaper } from '../runtime/index.js';
import type { EgressPolicy } from './egress-policy.js';
import { installHostGuard } from './host-guard.js';
import { probeShaping } from './shaping-probe.js';
import { createTcShaper } from './tc-shaper.js';

export interface NetworkEnforcement {
  /** Whether `network_mbps` is applied both ways. */
  shaping: boolean;
  /**
   * Whether the host guard keeps containers off the host's and control plane's ports and, with
   * an egress policy, off every non-public destination.
   */
  isolation: boolean;
  /** Why shaping or isolation is off; absent when both are on. */
  detail?: string;
}

export interface NetworkEnforcementOptions {
  hostId: string;
  /** The user network pool as CIDR text. */
  sourceCidr: string;
  allowedHostPorts: readonly number[];
  /** REXEC_URL's replicas: each one's host, when not this machine, is guarded in FORWARD. */
  controlPlaneUrls: readonly URL[];
  log: Logger;
  /** What containers may not reach (REXEC_EGRESS_ALLOW/DENY over the defaults). */
  egress?: EgressPolicy;
  /** resolv.conf files whose nameservers DNS may reach; the host's own by default. */
  resolvConfFiles?: readonly string[];
  /** The iptables binary (its `-restore` beside it); `iptables` on PATH by default. */
  iptables?: string;
}

export interface NetworkSetup {
  enforcement: NetworkEnforcement;
  /** For the runtime; absent when shaping is off. */
  shaper?: NetworkShaper;
}

function localAddresses(): Set<string> {
  const addresses = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) addresses.add(entry.address);
  }
  return addresses;
}

/** The control plane's IPv4 addresses and port when it is elsewhere; undefined when it is local. */
export async function remoteControlPlane(
  url: URL,
): Promise<{ addresses: string[]; port: number } | undefined> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const found =
    isIP(host) !== 0 ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true });
  const local = localAddresses();
  const remote = found
    .filter((entry) => entry.family === 4)
    .map((entry) => entry.address)
    .filter((address) => !address.startsWith('127.') && !local.has(address));
  if (remote.length === 0) return undefined;
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  return { addresses: remote, port };
}

// An unresolvable control plane host must not cost the host guard as a whole: the INPUT rules
// still hold, only the FORWARD rule for that remote replica is missing, and the log says so.
async function controlPlaneTargets(
  options: NetworkEnforcementOptions,
): Promise<{ addresses: string[]; port: number }[]> {
  const targets: { addresses: string[]; port: number }[] = [];
  for (const url of options.controlPlaneUrls) {
    try {
      const target = await remoteControlPlane(url);
      if (target !== undefined) targets.push(target);
    } catch (error) {
      options.log.warn(
        { err: error, url: url.href },
        'cannot resolve the control plane host; containers are not kept off it if it is remote',
      );
    }
  }
  return targets;
}

// systemd-resolved's stub (127.0.0.53) hides the real servers; docker reads them from its file.
const RESOLV_CONF_FILES = ['/etc/resolv.conf', '/run/systemd/resolve/resolv.conf'];

/** The IPv4 nameservers of the given resolv.conf files, loopback ones left out. */
export async function hostResolvers(
  files: readonly string[] = RESOLV_CONF_FILES,
): Promise<string[]> {
  const found = new Set<string>();
  for (const file of files) {
    // A missing file (no systemd-resolved) simply names no servers.
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      const [keyword, address = ''] = line.trim().split(/\s+/);
      if (keyword === 'nameserver' && isIPv4(address) && !address.startsWith('127.')) {
        found.add(address);
      }
    }
  }
  return [...found];
}

async function guard(options: NetworkEnforcementOptions): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'host isolation needs root (iptables)';
  const controlPlanes = await controlPlaneTargets(options);
  const resolvers =
    options.egress === undefined ? [] : await hostResolvers(options.resolvConfFiles);
  try {
    await installHostGuard({
      hostId: options.hostId,
      sourceCidr: options.sourceCidr,
      allowedPorts: options.allowedHostPorts,
      controlPlanes,
      ...(options.egress === undefined ? {} : { egress: options.egress, resolvers }),
      ...(options.iptables === undefined ? {} : { iptables: options.iptables }),
    });
    return null;
  } catch (error) {
    return `host isolation unavailable: ${(error as Error).message}`;
  }
}

export async function setUpNetworkEnforcement(
  options: NetworkEnforcementOptions,
): Promise<NetworkSetup> {
  const [probe, guardFailure] = await Promise.all([probeShaping(), guard(options)]);
  const reasons = [
    ...(probe.ok ? [] : [probe.reason]),
    ...(guardFailure === null ? [] : [guardFailure]),
  ];
  const enforcement: NetworkEnforcement = {
    shaping: probe.ok,
    isolation: guardFailure === null,
    ...(reasons.length === 0 ? {} : { detail: reasons.join('; ').slice(0, 500) }),
  };
  if (reasons.length > 0) {
    // Carrying on is the documented behaviour: the host reports it, the admin decides.
    options.log.warn({ ...enforcement }, 'network enforcement is partly off; containers still run');
  }
  return probe.ok ? { enforcement, shaper: createTcShaper() } : { enforcement };
}
