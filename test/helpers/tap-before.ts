// tap's "before" script: runs once per tap invocation, before any test file, as a child of the tap
// runner. Starts the run's throwaway Postgres unless REXEC_TEST_DATABASE_URL points at one, and
// snapshots the machine's Rexec resources for the leftovers check (leftovers.ts). Stopping the
// cluster and checking is tap-after.ts's job.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { saveSnapshot, snapshot, snapshotPath } from './leftovers.js';
import { startRunCluster } from './postgres-run.js';

const configured = process.env['REXEC_TEST_DATABASE_URL'];
if (configured === undefined || configured === '') {
  try {
    await startRunCluster(process.ppid);
  } catch (error) {
    console.error('rexec tests: could not start the test Postgres:', error);
    process.exitCode = 1;
  }
}
try {
  mkdirSync(dirname(snapshotPath(process.ppid)), { recursive: true });
  saveSnapshot(process.ppid, await snapshot());
} catch (error) {
  console.error('rexec tests: could not snapshot the machine for the leftovers check:', error);
  process.exitCode = 1;
}
