// What Rexec left on this machine that belongs to no host the agent knows: containers, home
// volumes and networks labelled with another host id, and host guard chains (with their jumps)
// of another host. Killed agents, hosts removed from the fleet and re-enrollments leave them, and
// they cost every host: networks exhaust the address pool, jumps lengthen every packet's path, and
// the engine slows down as they pile up. `rexec-agent doctor` lists them, `--fix` removes them,
// and `rexec-agent purge` (uninstall --purge) removes every one, this host's own included.
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import type { RuntimeKind } from '../runtime/index.js';
import { LABEL_HOST_ID } from '../runtime/labels.js';
import { guardChainsPresent, hostGuardChains, removeGuardChains } from '../network/index.js';

const TIMEOUT_MS = 60_000;

export type LeftoverKind = 'container' | 'volume' | 'network' | 'guard';

/** One resource: its kind, its name (a guard's is its chain pair) and whose it is, if labelled. */
export interface Leftover {
  kind: LeftoverKind;
  name: string;
  /** The io.rexec.host-id label; null for guard chains, which carry only a hash of it. */
  hostId: string | null;
}

/**
 * podman 4.3's `ps` reads the network namespace of every container it lists and fails (exit 125,
 * "unknown FS magic on /run/netns/…", "no such container") when one of them, anyone's, is being
 * removed at that moment. The same listing a moment later succeeds.
 */
const LISTING_RACE = /joining network namespace|unknown FS magic|no such container/i;
const LISTING_RETRIES = 4;
const LISTING_RETRY_STEP_MS = 250;

async function lines(binary: string, args: string[]): Promise<string[]> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const result = await execa(binary, args, { timeout: TIMEOUT_MS });
      return result.stdout.split('\n').filter((line) => line.trim() !== '');
    } catch (error) {
      const stderr = (error as { stderr?: unknown }).stderr;
      if (attempt > LISTING_RETRIES || typeof stderr !== 'string' || !LISTING_RACE.test(stderr)) {
        throw error;
      }
      await sleep(LISTING_RETRY_STEP_MS * attempt);
    }
  }
}

function named(kind: LeftoverKind, rows: string[]): Leftover[] {
  return rows.map((row) => {
    const [name = '', hostId = ''] = row.split(' ');
    return { kind, name, hostId: hostId === '' ? null : hostId };
  });
}

/** Every container, volume and network of the engine that carries a Rexec host id. */
export async function labelledResources(
  kind: RuntimeKind,
  binary: string = kind,
): Promise<Leftover[]> {
  const filter = ['--filter', `label=${LABEL_HOST_ID}`];
  const pair =
    kind === 'docker' ? `{{.Label "${LABEL_HOST_ID}"}}` : `{{index .Labels "${LABEL_HOST_ID}"}}`;
  const containers = await lines(binary, ['ps', '-a', ...filter, '--format', `{{.Names}} ${pair}`]);
  const volumes = await lines(binary, ['volume', 'ls', ...filter, '--format', `{{.Name}} ${pair}`]);
  let networks: string[];
  if (kind === 'docker') {
    networks = await lines(binary, ['network', 'ls', ...filter, '--format', `{{.Name}} ${pair}`]);
  } else {
    // podman's `network ls` template cannot index its labels; its JSON can.
    const json = (await lines(binary, ['network', 'ls', ...filter, '--format', 'json'])).join('\n');
    const listed = JSON.parse(json === '' ? '[]' : json) as {
      name: string;
      labels?: Record<string, string>;
    }[];
    networks = listed.map((n) => `${n.name} ${n.labels?.[LABEL_HOST_ID] ?? ''}`);
  }
  return [
    ...named('container', containers),
    ...named('volume', volumes),
    ...named('network', networks),
  ];
}

export interface LeftoverScope {
  kind: RuntimeKind;
  binary?: string;
  iptables?: string;
  /** The hosts whose resources stay; empty for all of them (purge). */
  keep: readonly string[];
}

/** What belongs to no host in `scope.keep`, containers first (the order removal needs). */
export async function findLeftovers(scope: LeftoverScope): Promise<Leftover[]> {
  const keep = new Set(scope.keep);
  const kept = new Set(scope.keep.flatMap((hostId) => Object.values(hostGuardChains(hostId))));
  const resources = (await labelledResources(scope.kind, scope.binary)).filter(
    (r) => r.hostId === null || !keep.has(r.hostId),
  );
  const guards = (await guardChainsPresent(scope.iptables))
    .filter((pair) => !kept.has(pair.input))
    .map((pair): Leftover => ({
      kind: 'guard',
      name: `${pair.input}/${pair.forward}`,
      hostId: null,
    }));
  return [...resources, ...guards];
}

/** What this host made that is still there: its labelled resources and its guard chains. */
export async function hostResources(
  scope: Omit<LeftoverScope, 'keep'> & { hostId: string },
): Promise<Leftover[]> {
  const own = (await labelledResources(scope.kind, scope.binary)).filter(
    (r) => r.hostId === scope.hostId,
  );
  const chains = hostGuardChains(scope.hostId);
  const guarded = (await guardChainsPresent(scope.iptables)).some((p) => p.input === chains.input);
  return guarded
    ? [...own, { kind: 'guard', name: `${chains.input}/${chains.forward}`, hostId: null }]
    : own;
}

/** How one leftover reads in doctor's output: `podman volume rexec-home-… (host h_…)`. */
export function describeLeftover(kind: RuntimeKind, leftover: Leftover): string {
  const owner = leftover.hostId === null ? '' : ` (host ${leftover.hostId})`;
  const what = leftover.kind === 'guard' ? 'iptables guard' : `${kind} ${leftover.kind}`;
  return `${what} ${leftover.name}${owner}`;
}

export interface Removal {
  leftover: Leftover;
  /** Why it could not be removed; absent when it was. */
  error?: string;
}

/**
 * Removes each leftover: containers (forced: they belong to nobody the control plane knows), then
 * volumes and networks (which the containers held), then guard chains and their jumps. One that
 * fails does not stop the rest.
 */
export async function removeLeftovers(
  scope: Omit<LeftoverScope, 'keep'>,
  leftovers: readonly Leftover[],
): Promise<Removal[]> {
  const binary = scope.binary ?? scope.kind;
  const order: LeftoverKind[] = ['container', 'volume', 'network', 'guard'];
  const removals: Removal[] = [];
  for (const kind of order) {
    for (const leftover of leftovers.filter((l) => l.kind === kind)) {
      try {
        if (kind === 'guard') {
          const [input = '', forward = ''] = leftover.name.split('/');
          await removeGuardChains({ input, forward }, scope.iptables);
        } else {
          const args =
            kind === 'container'
              ? ['rm', '--force', leftover.name]
              : kind === 'volume'
                ? ['volume', 'rm', '--force', leftover.name]
                : ['network', 'rm', leftover.name];
          await execa(binary, args, { timeout: TIMEOUT_MS });
        }
        removals.push({ leftover });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        removals.push({ leftover, error: message.split('\n').at(-1)?.slice(0, 300) ?? message });
      }
    }
  }
  return removals;
}
