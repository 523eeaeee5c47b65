// tap's "before" script: runs once per tap invocation, before any test file, as a child of the tap
// runner. Starts the run's throwaway Postgres unless REXEC_TEST_DATABASE_URL points at one.
// Stopping it is tap-after.ts's job.
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
