// The Go SDK (sdk/go) against the real thing: a control plane on a fresh Postgres database, two
// real agents driving the engine, `go test -json ./...` in sdk/go with the fleet's URL and admin
// token, and the quickstart example. Every Go test and subtest becomes its own tap assertion, with
// its output on failure; gofmt and go vet are assertions too. A machine without Go fails here.
import { mkdir, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { startFleet } from '../e2e/fleet.js';
import { REPO_ROOT } from '../helpers/child-process.js';
import { BUSYBOX_IMAGE } from '../helpers/engine.js';
import { goEnvironment, reportGoTests } from './go-test-json.js';

t.setTimeout(900_000);

const SDK_DIR = join(REPO_ROOT, 'sdk', 'go');

void t.test('the Go SDK on a real fleet', async (t) => {
  const version = await execa('go', ['version'], { reject: false });
  if (version.failed) {
    t.fail("go is not installed: install Debian's golang-go (.ci/run does)", {
      diagnostic: true,
      error: version.shortMessage,
    });
    return;
  }
  t.comment(version.stdout);
  // Caches outside the repository and the home directory, so root in CI (HOME unset or read-only)
  // builds too; kept between runs so only the first one compiles everything.
  const cacheRoot = join(tmpdir(), 'rexec-go-sdk-cache');
  await mkdir(cacheRoot, { recursive: true });
  const env = goEnvironment(cacheRoot);

  const sources = (await readdir(SDK_DIR, { recursive: true })).filter(
    (file) => file.endsWith('.go') && !file.startsWith('vendor/'),
  );
  const unformatted = await execa('gofmt', ['-l', ...sources], { cwd: SDK_DIR, reject: false });
  t.equal(unformatted.exitCode, 0, 'gofmt runs');
  t.equal(
    unformatted.stdout,
    '',
    `gofmt -l lists none of the module's ${sources.length} Go files (vendor aside)`,
  );
  const vet = await execa('go', ['vet', './...'], { cwd: SDK_DIR, env, reject: false, all: true });
  t.equal(vet.exitCode, 0, 'go vet ./... is clean', { output: vet.all });

  // The agents claim 16000 millicores; the control plane caps a claim to what the agent measured
  // (this machine's CPUs), so the overcommit gives the twelve parallel Go tests the room the claim
  // gave before the cap.
  const fleet = await startFleet(t, { env: { REXEC_CPU_OVERCOMMIT: '32' } });
  const capacity = {
    REXEC_CAPACITY_CPU_MILLICORES: '16000',
    REXEC_CAPACITY_MEMORY_MB: '16384',
    REXEC_CAPACITY_DISK_MB: '102400',
  };
  await fleet.joinAgent('go-host-1', capacity);
  // Cordoned, drained and revoked by the Go tests; nothing is placed on it.
  const spare = await fleet.joinAgent('go-host-spare', capacity);
  const fleetEnv = {
    REXEC_URL: fleet.controlPlane.url,
    REXEC_TOKEN: fleet.controlPlane.adminToken,
    REXEC_TEST_IMAGE: BUSYBOX_IMAGE,
    REXEC_TEST_SPARE_HOST: spare.hostId,
  };

  const goTest = await execa(
    'go',
    ['test', '-json', '-count=1', '-timeout=10m', '-parallel=12', './...'],
    {
      cwd: SDK_DIR,
      env: { ...env, ...fleetEnv },
      reject: false,
    },
  );
  const counts = reportGoTests(t, goTest.stdout, goTest.stderr);
  t.ok(counts.passed > 0, `go test ran tests (${counts.passed} passed, ${counts.failed} failed)`);
  t.equal(goTest.exitCode, 0, 'go test ./... exits 0', { stderr: goTest.stderr.slice(-4000) });

  const quickstart = await execa('go', ['run', './examples/quickstart'], {
    cwd: SDK_DIR,
    env: {
      ...env,
      REXEC_URL: fleet.controlPlane.url,
      REXEC_TOKEN: fleet.controlPlane.adminToken,
      REXEC_IMAGE: BUSYBOX_IMAGE,
    },
    reject: false,
    timeout: 300_000,
  });
  t.equal(quickstart.exitCode, 0, 'the quickstart example exits 0', {
    stdout: quickstart.stdout,
    stderr: quickstart.stderr,
  });
  t.match(quickstart.stdout, /Linux \S+/, 'the quickstart prints what uname -a said');
  t.match(quickstart.stderr, /deleted/, 'the quickstart deletes its container');
});
