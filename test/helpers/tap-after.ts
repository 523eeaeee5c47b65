// tap's "after" script: runs once when every test file has finished, as a child of the tap runner.
// Fails the run, listing them, when the run's own hosts (run-hosts.ts) left containers, networks,
// volumes or iptables guard chains that were not there at its start (leftovers.ts); then stops and
// deletes the run's throwaway Postgres that tap-before.ts started.
import { rmSync } from 'node:fs';
import { leftovers, loadSnapshot, snapshot, snapshotPath } from './leftovers.js';
import { stopRunCluster } from './postgres-run.js';
import { forgetRunHosts, runHosts } from './run-hosts.js';

const run = process.ppid;
try {
  const left = leftovers(loadSnapshot(run), await snapshot(), runHosts(run));
  if (left.length > 0) {
    console.error(
      `rexec tests: the run left ${left.length} resources of its hosts on the machine:\n  ` +
        left.join('\n  '),
    );
    process.exitCode = 1;
  }
} finally {
  rmSync(snapshotPath(run), { force: true });
  forgetRunHosts(run);
  stopRunCluster(run);
}
