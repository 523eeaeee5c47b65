// Starts and stops one throwaway Postgres cluster (initdb + pg_ctl) in a fresh temp directory on a
// free port, tuned for speed over durability against a machine crash (never a server crash).
// Deciding when to start one and sharing its URL with test processes is postgres-run.ts's job.
import { execa, execaSync } from 'execa';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { appendFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import { freePort } from './net.js';

/** What is needed to reach and later remove a running cluster; serialisable into a state file. */
export type ClusterInfo = {
  url: string;
  baseDir: string;
  pgData: string;
  binDir: string;
  runAs: string | null;
};

// Commits stay synchronous: suites stop the server as a crash would (pauseCluster) and then check
// that whatever the API answered for is still there. With synchronous_commit off a crash loses the
// last ~600 ms of commits (the chaos suite lost a create it had answered 202, whose container the
// agent had already made: an orphan). fsync off only matters if the machine itself crashes, and
// with it off a synchronous commit is just a write to the page cache.
const SPEED_SETTINGS = [
  "listen_addresses = '127.0.0.1'",
  'fsync = off',
  'full_page_writes = off',
  'max_connections = 200',
  'shared_buffers = 32MB',
  "log_min_messages = 'warning'",
];
const START_ATTEMPTS = 5;
const READY_TIMEOUT_MS = 30_000;

/** Thrown when no Postgres server binaries can be found. */
export class PostgresMissingError extends Error {
  constructor() {
    super(
      'initdb and pg_ctl were not found on PATH nor in /usr/lib/postgresql/*/bin. Install the ' +
        'server (apt-get install postgresql, or run .ci/run) or set REXEC_TEST_DATABASE_URL.',
    );
    this.name = 'PostgresMissingError';
  }
}

function findBinDir(): string {
  const candidates = (process.env['PATH'] ?? '').split(delimiter).filter((dir) => dir !== '');
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => join(debianRoot, version, 'bin')));
  }
  const found = candidates.find(
    (dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')),
  );
  if (found === undefined) throw new PostgresMissingError();
  return found;
}

/** initdb refuses to run as root, so as root the cluster belongs to `postgres` (or `nobody`). */
function pickRunAs(): { user: string; uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  for (const user of ['postgres', 'nobody']) {
    const uid = execaSync('id', ['-u', user], { reject: false });
    const gid = execaSync('id', ['-g', user], { reject: false });
    if (uid.exitCode === 0 && gid.exitCode === 0) {
      return { user, uid: Number(uid.stdout), gid: Number(gid.stdout) };
    }
  }
  throw new Error(
    'running as root but neither a postgres nor a nobody user exists to own the test cluster',
  );
}

function argvFor(info: Pick<ClusterInfo, 'binDir' | 'runAs'>, tool: string, args: string[]) {
  const binary = join(info.binDir, tool);
  return info.runAs === null
    ? { file: binary, args }
    : { file: 'runuser', args: ['-u', info.runAs, '--', binary, ...args] };
}

async function run(info: Pick<ClusterInfo, 'binDir' | 'runAs'>, tool: string, args: string[]) {
  const { file, args: argv } = argvFor(info, tool, args);
  return execa(file, argv, { cwd: tmpdir(), timeout: 120_000 });
}

async function waitUntilAccepting(url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      // pg_ctl -w already waited; this only rides out the last moments of start-up.
      if (Date.now() > deadline) {
        throw new Error(`test Postgres at ${url} did not accept connections`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/** `pg_ctl start` on port, its log in the cluster's directory; waits up to 60 s for it. */
function startOnPort(info: Omit<ClusterInfo, 'url'>, port: number | string): Promise<unknown> {
  const logFile = join(info.baseDir, 'postgres.log');
  return run(info, 'pg_ctl', [
    'start',
    '-w',
    '-t',
    '60',
    '-D',
    info.pgData,
    '-l',
    logFile,
    '-o',
    `-p ${port} -k ${info.baseDir}`,
  ]);
}

async function startOnFreePort(info: Omit<ClusterInfo, 'url'>): Promise<string> {
  const logFile = join(info.baseDir, 'postgres.log');
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt += 1) {
    const port = await freePort();
    try {
      // Another process may grab the probed port before postgres binds it; retry on a new one.
      await startOnPort(info, port);
      return `postgres://postgres@127.0.0.1:${port}/postgres`;
    } catch (error) {
      lastError = error;
    }
  }
  const log = await readFile(logFile, 'utf8').catch(() => '(no log)');
  throw new Error(`test Postgres failed to start after ${START_ATTEMPTS} attempts:\n${log}`, {
    cause: lastError,
  });
}

/** Creates, configures and starts a cluster; removes everything again if any step fails. */
export async function startCluster(): Promise<ClusterInfo> {
  const binDir = findBinDir();
  const owner = pickRunAs();
  const baseDir = mkdtempSync(join(tmpdir(), 'rexec-pg-'));
  if (owner !== null) chownSync(baseDir, owner.uid, owner.gid);
  const partial = { baseDir, pgData: join(baseDir, 'data'), binDir, runAs: owner?.user ?? null };
  try {
    await run(partial, 'initdb', [
      '-D',
      partial.pgData,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    await appendFile(join(partial.pgData, 'postgresql.conf'), `\n${SPEED_SETTINGS.join('\n')}\n`);
    const url = await startOnFreePort(partial);
    const info = { ...partial, url };
    await waitUntilAccepting(url);
    return info;
  } catch (error) {
    stopCluster({ ...partial, url: '' });
    throw error;
  }
}

/**
 * Stops the server as a crash would (immediate mode: no checkpoint, every session cut) and keeps
 * its data, so resumeCluster() starts it again on the same port (a chaos suite's database outage).
 */
export async function pauseCluster(info: ClusterInfo): Promise<void> {
  await run(info, 'pg_ctl', ['stop', '-w', '-m', 'immediate', '-D', info.pgData]);
}

/** Starts a cluster pauseCluster() stopped, on the port of its URL, and waits until it answers. */
export async function resumeCluster(info: ClusterInfo): Promise<void> {
  const port = new URL(info.url).port;
  await startOnPort(info, port);
  await waitUntilAccepting(info.url);
}

/**
 * Stops the server (immediate mode: its data is thrown away anyway) and deletes its directory.
 * Synchronous so it can run from a process `exit` handler.
 */
export function stopCluster(info: ClusterInfo): void {
  if (existsSync(join(info.pgData, 'postmaster.pid'))) {
    const { file, args } = argvFor(info, 'pg_ctl', [
      'stop',
      '-w',
      '-m',
      'immediate',
      '-D',
      info.pgData,
    ]);
    // A server that already died leaves nothing to stop; the directory is removed either way.
    execaSync(file, args, { cwd: tmpdir(), reject: false, timeout: 60_000 });
  }
  rmSync(info.baseDir, { recursive: true, force: true });
}
