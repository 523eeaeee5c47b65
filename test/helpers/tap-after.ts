// tap's "after" script: runs once when every test file has finished, as a child of the tap runner.
// Stops and deletes the run's throwaway Postgres that tap-before.ts started.
import { stopRunCluster } from './postgres-run.js';

stopRunCluster(process.ppid);
