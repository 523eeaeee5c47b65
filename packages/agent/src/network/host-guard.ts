// Keeps containers off the host's own ports (issue 7 isolation): a per-host iptables chain, jumped
// to from INPUT for traffic from the user network pool, lets through replies, DNS to the gateway
// and the configured ports and rejects the rest; a second chain, jumped to from FORWARD, rejects
// remote control plane replicas' addresses and ports and, with an egress policy, every non-public
// destination (egress-policy.ts) except the allowed ones and DNS to the host's resolvers. Rebuilt
// on every agent start; left in place on stop (containers keep running); removeHostGuard takes it
// away. Per-user networks are the runtime's.
import { execa } from 'execa';
import { shortHash } from '../runtime/index.js';
import type { EgressPolicy } from './egress-policy.js';

export interface HostGuardOptions {
  hostId: string;
  /** The user network pool as CIDR text: every container of this host has a source address in it. */
  sourceCidr: string;
  /** TCP ports on the host containers may reach (REXEC_CONTAINER_HOST_PORTS). */
  allowedPorts: readonly number[];
  /** The control plane replicas' addresses and ports that are elsewhere; a local one is INPUT's. */
  controlPlanes?: readonly { addresses: readonly string[]; port: number }[];
  /** Routed destinations to refuse and the exceptions; absent: only the rules above. */
  egress?: EgressPolicy;
  /**
   * The host's IPv4 nameservers: docker's embedded DNS forwards to them from inside the
   * container's namespace, so DNS (port 53 only) to them passes the egress policy.
   */
  resolvers?: readonly string[];
  /** The iptables binary; `iptables` on PATH by default. */
  iptables?: string;
}

/** Thrown when iptables is missing, refuses (not root), or rejects a rule; carries its stderr. */
export class HostGuardError extends Error {
  readonly stderr: string;
  constructor(message: string, stderr: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'HostGuardError';
    this.stderr = stderr;
  }
}

const TIMEOUT_MS = 30_000;
// Other agents, engines and netavark edit the tables too; wait for the xtables lock, do not fail.
const WAIT = ['-w', '10'];

/** The chain names of one host; 8 hex digits keep them well under iptables' 28 characters. */
export function hostGuardChains(hostId: string): { input: string; forward: string } {
  const hash = shortHash(hostId, 8);
  return { input: `REXEC-IN-${hash}`, forward: `REXEC-FWD-${hash}` };
}

/** The iptables-restore input: declaring a chain flushes it, so this is a full rebuild. */
export function hostGuardRules(options: HostGuardOptions): string {
  const { input, forward } = hostGuardChains(options.hostId);
  return [
    '*filter',
    `:${input} - [0:0]`,
    `:${forward} - [0:0]`,
    `-A ${input} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`,
    // The engines' DNS (aardvark-dns) answers on the network's gateway, which is the host.
    `-A ${input} -p udp --dport 53 -j ACCEPT`,
    `-A ${input} -p tcp --dport 53 -j ACCEPT`,
    ...options.allowedPorts.map((port) => `-A ${input} -p tcp --dport ${port} -j ACCEPT`),
    `-A ${input} -p tcp -j REJECT --reject-with tcp-reset`,
    `-A ${input} -j REJECT --reject-with icmp-port-unreachable`,
    // Users' networks are separate bridges in one pool, so traffic routed from one to another
    // crosses users. The engines isolate them too, but netavark 1.4 drops its isolation jump
    // whenever any isolated network loses its last container (seen here), so the guard holds
    // that line itself. Traffic inside one user's network is bridged, not routed, and passes.
    `-A ${forward} -d ${options.sourceCidr} -m physdev ! --physdev-is-bridged -j REJECT --reject-with icmp-port-unreachable`,
    ...(options.controlPlanes ?? []).flatMap((cp) =>
      cp.addresses.map(
        (address) =>
          `-A ${forward} -d ${address} -p tcp --dport ${cp.port} -j REJECT --reject-with tcp-reset`,
      ),
    ),
    ...(options.egress === undefined ? [] : egressRules(forward, options)),
    'COMMIT',
    '',
  ].join('\n');
}

// After the two rules above, so no allowance reopens another user's network or the control plane.
function egressRules(chain: string, options: HostGuardOptions): string[] {
  const egress = options.egress ?? { deny: [], allow: [] };
  const pass = (match: string) => `-A ${chain} ${match} -j RETURN`;
  const bothProtocols = (destination: string, port: number) => [
    pass(`-d ${destination} -p udp --dport ${port}`),
    pass(`-d ${destination} -p tcp --dport ${port}`),
  ];
  return [
    // Replies to connections made from outside (never new ones) go their way.
    pass('-m conntrack --ctstate ESTABLISHED,RELATED'),
    // A user's own containers talk over their bridge; that is not egress.
    pass(`-d ${options.sourceCidr} -m physdev --physdev-is-bridged`),
    ...(options.resolvers ?? []).flatMap((resolver) => bothProtocols(resolver, 53)),
    ...egress.allow.flatMap((entry) =>
      entry.port === undefined ? [pass(`-d ${entry.cidr}`)] : bothProtocols(entry.cidr, entry.port),
    ),
    ...egress.deny.map(
      (cidr) => `-A ${chain} -d ${cidr} -j REJECT --reject-with icmp-admin-prohibited`,
    ),
  ];
}

async function iptables(binary: string, args: string[], input?: string): Promise<void> {
  const result = await execa(binary, [...WAIT, ...args], {
    reject: false,
    timeout: TIMEOUT_MS,
    ...(input === undefined ? {} : { input }),
  });
  if (result.failed) {
    const stderr = result.stderr.trim();
    const reason = stderr.split('\n').at(-1) || result.shortMessage;
    throw new HostGuardError(`${binary} ${args.join(' ')} failed: ${reason}`, stderr, result);
  }
}

async function rulesOf(binary: string, chain: string): Promise<string[]> {
  const result = await execa(binary, [...WAIT, '-S', chain], {
    reject: false,
    timeout: TIMEOUT_MS,
  });
  // A chain that does not exist (DOCKER-USER without docker) has no rules to look at.
  return result.failed ? [] : result.stdout.split('\n');
}

/** Inserts the jump at the top unless an identical one exists (`-C` is the idempotence test). */
async function ensureJump(binary: string, from: string, spec: string[]): Promise<void> {
  const check = await execa(binary, [...WAIT, '-C', from, ...spec], {
    reject: false,
    timeout: TIMEOUT_MS,
  });
  if (check.exitCode === 0) return;
  await iptables(binary, ['-I', from, '1', ...spec]);
}

/**
 * Builds (or rebuilds) this host's chains and their jumps. Throws HostGuardError when iptables is
 * missing or refuses; the caller reports isolation off and carries on.
 */
export async function installHostGuard(options: HostGuardOptions): Promise<void> {
  const binary = options.iptables ?? 'iptables';
  const { input, forward } = hostGuardChains(options.hostId);
  await iptables(`${binary}-restore`, ['--noflush'], hostGuardRules(options));
  await ensureJump(binary, 'INPUT', ['-s', options.sourceCidr, '-j', input]);
  await ensureJump(binary, 'FORWARD', ['-s', options.sourceCidr, '-j', forward]);
  // docker puts its own accepts above anything in FORWARD on restart but always jumps to
  // DOCKER-USER first; the rule there is what still holds after dockerd restarts.
  if ((await rulesOf(binary, 'DOCKER-USER')).some((line) => line.startsWith('-N'))) {
    await ensureJump(binary, 'DOCKER-USER', ['-s', options.sourceCidr, '-j', forward]);
  }
}

async function removeJumps(binary: string, from: string, chain: string): Promise<void> {
  for (const line of await rulesOf(binary, from)) {
    const words = line.split(' ');
    if (words[0] !== '-A' || words.at(-1) !== chain || words.at(-2) !== '-j') continue;
    await iptables(binary, ['-D', from, ...words.slice(2)]);
  }
}

/**
 * Removes this host's chains and every jump to them; a host without them succeeds. For uninstall
 * and test cleanup: the agent itself leaves the guard in place when it stops.
 */
export async function removeHostGuard(hostId: string, iptablesBinary = 'iptables'): Promise<void> {
  await removeGuardChains(hostGuardChains(hostId), iptablesBinary);
}

/** Removes one host's pair of chains (as hostGuardChains names them) and the jumps to them. */
export async function removeGuardChains(
  chains: { input: string; forward: string },
  iptablesBinary = 'iptables',
): Promise<void> {
  const { input, forward } = chains;
  await removeJumps(iptablesBinary, 'INPUT', input);
  await removeJumps(iptablesBinary, 'FORWARD', forward);
  await removeJumps(iptablesBinary, 'DOCKER-USER', forward);
  for (const chain of [input, forward]) {
    if ((await rulesOf(iptablesBinary, chain)).length === 0) continue;
    await iptables(iptablesBinary, ['-F', chain]);
    await iptables(iptablesBinary, ['-X', chain]);
  }
}

const GUARD_CHAIN = /^-N REXEC-(?:IN|FWD)-([0-9a-f]{8})$/;

/**
 * Every host guard on this machine, one pair of chain names per host (by the hash both share);
 * none when iptables does not answer (not root, not installed).
 */
export async function guardChainsPresent(
  iptablesBinary = 'iptables',
): Promise<{ input: string; forward: string }[]> {
  const result = await execa(iptablesBinary, [...WAIT, '-S'], {
    reject: false,
    timeout: TIMEOUT_MS,
  });
  if (result.failed) return [];
  const hashes = new Set<string>();
  for (const line of result.stdout.split('\n')) {
    const hash = GUARD_CHAIN.exec(line.trim())?.[1];
    if (hash !== undefined) hashes.add(hash);
  }
  return [...hashes].map((hash) => ({ input: `REXEC-IN-${hash}`, forward: `REXEC-FWD-${hash}` }));
}
