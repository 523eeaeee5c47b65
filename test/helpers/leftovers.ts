// What a test run leaves on the machine: containers, networks and volumes labelled with a host id
// (podman and docker, each only if it answers) and the hosts' iptables guard chains with their
// jumps. tap-before.ts snapshots them, tap-after.ts lists what the run's own hosts (run-hosts.ts)
// left that was not there before. Resources of concurrent runs carry other host ids and are ignored.
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { labelledResources } from '../../packages/agent/src/doctor/leftovers.js';
import { hostGuardChains } from '../../packages/agent/src/network/host-guard.js';

const ENGINES = ['podman', 'docker'] as const;

/** One resource: `<engine> <kind> <name>` or `iptables <chain or jump rule>`, and its host id. */
export interface Resource {
  what: string;
  hostId: string | null;
}

async function lines(command: string, args: string[]): Promise<string[] | null> {
  const result = await execa(command, args, { reject: false, timeout: 60_000 });
  // An engine that is absent or whose daemon is down holds nothing of this run.
  if (result.failed) return null;
  return result.stdout.split('\n').filter((line) => line.trim() !== '');
}

async function labelled(kind: (typeof ENGINES)[number]): Promise<Resource[]> {
  let found;
  try {
    found = await labelledResources(kind);
  } catch {
    // An engine that is absent or whose daemon is down holds nothing of this run.
    return [];
  }
  return found.map((r) => ({ what: `${kind} ${r.kind} ${r.name}`, hostId: r.hostId }));
}

/** iptables lines naming a REXEC chain (chains and the jumps to them), unattributed. */
async function guardRules(): Promise<string[]> {
  return ((await lines('iptables', ['-w', '10', '-S'])) ?? []).filter((line) =>
    line.includes('REXEC-'),
  );
}

export async function snapshot(): Promise<Resource[]> {
  const engines = await Promise.all(ENGINES.map((kind) => labelled(kind)));
  const rules = await guardRules();
  return [...engines.flat(), ...rules.map((rule) => ({ what: `iptables ${rule}`, hostId: null }))];
}

function snapshotPath(ownerPid: number): string {
  return join(tmpdir(), 'rexec-test-runs', `leftovers-${ownerPid}.json`);
}

export function saveSnapshot(ownerPid: number, resources: Resource[]): void {
  writeFileSync(snapshotPath(ownerPid), JSON.stringify(resources));
}

export function loadSnapshot(ownerPid: number): Resource[] {
  try {
    return JSON.parse(readFileSync(snapshotPath(ownerPid), 'utf8')) as Resource[];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export { snapshotPath };

/**
 * What `now` holds of `hosts` that `before` did not: labelled resources by host id, iptables
 * lines by the hosts' guard chain names.
 */
export function leftovers(before: Resource[], now: Resource[], hosts: Set<string>): string[] {
  const seen = new Set(before.map((r) => r.what));
  const chains = [...hosts].flatMap((id) => Object.values(hostGuardChains(id)));
  return now
    .filter((r) => !seen.has(r.what))
    .filter((r) =>
      r.hostId === null ? chains.some((chain) => r.what.includes(chain)) : hosts.has(r.hostId),
    )
    .map((r) => (r.hostId === null ? r.what : `${r.what} (host ${r.hostId})`));
}
