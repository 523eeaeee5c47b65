// The one Postgres a test run shares. tap's before script starts a cluster and records it in a state
// file keyed by the tap runner's pid (test processes are its children and find it via ppid); the
// after script removes it. Per-file databases are postgres.ts's job.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, stopCluster } from './postgres-cluster.js';
import type { ClusterInfo } from './postgres-cluster.js';

type RunState = ClusterInfo & { ownerPid: number };

const STATE_DIR = join(tmpdir(), 'rexec-test-runs');

function statePath(ownerPid: number): string {
  return join(STATE_DIR, `postgres-${ownerPid}.json`);
}

function readState(ownerPid: number): RunState | null {
  let raw: string;
  try {
    raw = readFileSync(statePath(ownerPid), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read the test Postgres state file ${statePath(ownerPid)}`, {
      cause: error,
    });
  }
  return JSON.parse(raw) as RunState;
}

function writeState(state: RunState): void {
  mkdirSync(STATE_DIR, { recursive: true });
  // Written then renamed so a test process never reads half a file.
  const temporary = `${statePath(state.ownerPid)}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(state), { mode: 0o600 });
  renameSync(temporary, statePath(state.ownerPid));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes clusters left behind by runs that were killed before their after script ran. */
export function removeAbandonedClusters(): void {
  let names: string[];
  try {
    names = readdirSync(STATE_DIR);
  } catch {
    return; // no state directory yet: nothing was ever left behind
  }
  for (const name of names) {
    const match = /^postgres-(\d+)\.json$/.exec(name);
    if (match?.[1] === undefined) continue;
    const ownerPid = Number(match[1]);
    if (isAlive(ownerPid)) continue;
    const state = readState(ownerPid);
    if (state !== null) stopCluster(state);
    rmSync(statePath(ownerPid), { force: true });
  }
}

/** Starts the cluster for the run owned by ownerPid and records it. */
export async function startRunCluster(ownerPid: number): Promise<ClusterInfo> {
  removeAbandonedClusters();
  const cluster = await startCluster();
  writeState({ ...cluster, ownerPid });
  return cluster;
}

/** Stops and forgets the run's cluster; a no-op when there is none. */
export function stopRunCluster(ownerPid: number): void {
  const state = readState(ownerPid);
  if (state === null) return;
  stopCluster(state);
  rmSync(statePath(ownerPid), { force: true });
}

let ownCluster: Promise<ClusterInfo> | undefined;

/**
 * A test file started without tap's runner (plain `node --import tsx file`) has no before script:
 * it gets a cluster of its own, removed when the process exits.
 */
function ownClusterUrl(): Promise<string> {
  ownCluster ??= startRunCluster(process.pid).then((cluster) => {
    process.once('exit', () => stopRunCluster(process.pid));
    return cluster;
  });
  return ownCluster.then((cluster) => cluster.url);
}

/** The admin URL of the run's Postgres server. */
export async function runDatabaseUrl(): Promise<string> {
  const configured = process.env['REXEC_TEST_DATABASE_URL'];
  if (configured !== undefined && configured !== '') return configured;
  const shared = readState(process.ppid);
  return shared === null ? ownClusterUrl() : shared.url;
}
