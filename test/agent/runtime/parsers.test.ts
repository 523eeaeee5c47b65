// Unit tests for the runtime's pure pieces: argv building, spec validation, stderr classification,
// the container described from `run`'s output and the zod parsers of inspect, ps and info output
// (events and kernel-log lines are event-parsers.test.ts's). Podman samples were
// captured from podman 4.3 on this machine; docker samples follow docker 28's documented output,
// written by hand because no dockerd runs here (the podman suites exercise the real engine).
import t from 'tap';
import { classifyStderr } from '../../../packages/agent/src/runtime/engine-cli.js';
import {
  parseInfoOutput,
  storageOptSizeSupport,
} from '../../../packages/agent/src/runtime/info-parser.js';
import { parseInspectOutput } from '../../../packages/agent/src/runtime/inspect-parser.js';
import { parsePsOutput } from '../../../packages/agent/src/runtime/ps-parser.js';
import {
  buildRunArgs,
  CAPABILITY_ALLOW_LIST,
  redactArgs,
} from '../../../packages/agent/src/runtime/run-args.js';
import {
  engineIdFromRun,
  observedAfterRun,
} from '../../../packages/agent/src/runtime/run-observation.js';
import { validateContainerSpec } from '../../../packages/agent/src/runtime/spec.js';
import type { RuntimeError } from '../../../packages/agent/src/runtime/errors.js';
import { ENGINE_ID, LABELS } from './runtime-samples.js';

const COMMAND = ['podman', 'test'];

function inspectSample(state: Record<string, unknown>, hostConfig: Record<string, unknown> = {}) {
  return JSON.stringify([
    {
      Id: ENGINE_ID,
      Name: '/rexec-c1',
      Extra: { ignored: true },
      State: {
        Status: 'exited',
        OOMKilled: false,
        ExitCode: 137,
        StartedAt: '2026-11-28T20:48:37.885290662Z',
        FinishedAt: '2026-11-28T20:48:42.171337134Z',
        ...state,
      },
      Config: { Image: 'localhost/rexec-test/busybox:latest', Labels: LABELS },
      HostConfig: {
        NanoCpus: 500000000,
        Memory: 67108864,
        MemorySwap: 67108864,
        PidsLimit: 100,
        ...hostConfig,
      },
    },
  ]);
}

void t.test('run argv carries the limits, labels, hardening and home volume of DESIGN §6', (t) => {
  const spec = validateContainerSpec({
    containerId: 'c1',
    userId: 'u1',
    image: 'localhost/img:1',
    cpuMillicores: 1500,
    memoryMb: 256,
    pidsLimit: 128,
    env: { TOKEN: 'secret' },
    command: ['sleep', '10'],
  });
  const args = buildRunArgs(spec, 'h1');
  const after = (flag: string) => args[args.indexOf(flag) + 1];
  t.equal(after('--name'), 'rexec-c1');
  t.equal(after('--cpus'), '1.5');
  t.equal(after('--memory'), '256m');
  t.equal(after('--memory-swap'), '256m');
  t.equal(after('--pids-limit'), '128');
  t.equal(after('--cap-drop'), 'ALL');
  t.equal(after('--security-opt'), 'no-new-privileges');
  t.equal(after('--restart'), 'no');
  t.equal(after('--volume'), 'rexec-home-c1:/root');
  t.equal(after('--pull'), 'never');
  t.ok(args.includes('--init'));
  for (const [key, value] of Object.entries(LABELS)) t.ok(args.includes(`${key}=${value}`), key);
  t.same(
    args.flatMap((arg, i) => (args[i - 1] === '--cap-add' ? [arg] : [])),
    [...CAPABILITY_ALLOW_LIST],
  );
  t.same(args.slice(-3), ['localhost/img:1', 'sleep', '10'], 'image then command end the argv');
  t.ok(redactArgs(args).includes('TOKEN=***'), 'env values are masked for errors and logs');
  t.notOk(redactArgs(args).includes('TOKEN=secret'));
  t.end();
});

void t.test('the id `run -d` prints and the spec describe the started container', (t) => {
  const id = 'a'.repeat(64);
  t.equal(engineIdFromRun(`${id}\n`), id);
  t.equal(engineIdFromRun(`WARNING: something odd\n${id}`), id, 'the id is the last line');
  t.equal(engineIdFromRun(''), null);
  t.equal(engineIdFromRun('abc123'), null, 'a short id is not trusted');
  t.equal(engineIdFromRun(`${id}\nnot an id`), null);

  const spec = validateContainerSpec({
    containerId: 'ctr_1',
    userId: 'usr_1',
    image: 'localhost/img:1',
    cpuMillicores: 1500,
    memoryMb: 256,
    pidsLimit: 64,
  });
  const at = new Date('2026-01-01T00:00:00Z');
  t.same(observedAfterRun(spec, 'hst_1', id, at), {
    containerId: 'ctr_1',
    engineId: id,
    name: 'rexec-ctr_1',
    image: 'localhost/img:1',
    hostId: 'hst_1',
    userId: 'usr_1',
    state: 'running',
    exitCode: null,
    oomKilled: false,
    startedAt: at,
    finishedAt: null,
    limits: { cpuMillicores: 1500, memoryMb: 256, memorySwapMb: 256, pidsLimit: 64 },
    labels: {
      'io.rexec.managed': 'true',
      'io.rexec.container-id': 'ctr_1',
      'io.rexec.host-id': 'hst_1',
      'io.rexec.user-id': 'usr_1',
    },
  });
  t.end();
});

void t.test('a malformed spec is refused with invalid_spec naming the fields', (t) => {
  const error = t.throws(() =>
    validateContainerSpec({
      containerId: '../etc',
      userId: 'u1',
      image: '--privileged',
      cpuMillicores: 1,
      memoryMb: 16,
      pidsLimit: 0,
    }),
  ) as RuntimeError;
  t.equal(error.code, 'invalid_spec');
  t.match(error.message, /containerId/);
  t.match(error.message, /image/);
  t.match(error.message, /cpuMillicores/);
  t.match(error.message, /pidsLimit/);
  t.end();
});

void t.test('engine stderr maps to stable error codes for both engines', (t) => {
  t.equal(classifyStderr('Error: localhost/nope:latest: image not known'), 'image_missing');
  t.equal(
    classifyStderr('docker: Error response from daemon: No such image: nope:latest.'),
    'image_missing',
  );
  t.equal(classifyStderr('Error: inspecting object: no such container nope'), 'not_found');
  t.equal(classifyStderr('Error: No such container: nope'), 'not_found');
  t.equal(classifyStderr('Error: no volume with name "nope" found: no such volume'), 'not_found');
  t.equal(
    classifyStderr(
      'Error: creating container storage: the container name "rexec-c1" is already in use',
    ),
    'conflict',
  );
  t.equal(
    classifyStderr('Error: volume with name x already exists: volume already exists'),
    'conflict',
  );
  t.equal(classifyStderr('Error: OCI runtime error: something broke'), 'engine_failed');
  t.end();
});

void t.test('inspect output becomes an observed container with limits and a folded state', (t) => {
  const [engine] = parseInspectOutput(inspectSample({}), COMMAND);
  const observed = engine?.observed;
  t.ok(observed);
  t.match(observed, {
    containerId: 'c1',
    engineId: ENGINE_ID,
    name: 'rexec-c1',
    hostId: 'h1',
    userId: 'u1',
    state: 'exited',
    exitCode: 137,
    oomKilled: false,
    limits: { cpuMillicores: 500, memoryMb: 64, memorySwapMb: 64, pidsLimit: 100 },
  });
  t.equal(observed?.startedAt?.toISOString(), '2026-11-28T20:48:37.885Z');

  const running = parseInspectOutput(
    inspectSample(
      { Status: 'running', ExitCode: 0, FinishedAt: '0001-01-01T00:00:00Z' },
      { NanoCpus: 0, CpuQuota: 25000, CpuPeriod: 100000, PidsLimit: null },
    ),
    COMMAND,
  )[0]?.observed;
  t.match(running, { state: 'running', exitCode: null, finishedAt: null });
  t.match(running?.limits, { cpuMillicores: 250, pidsLimit: null });

  const stopped = parseInspectOutput(
    inspectSample({ Status: 'stopped', OOMKilled: true }),
    COMMAND,
  );
  t.match(stopped[0]?.observed, { state: 'exited', oomKilled: true });
  t.end();
});

void t.test('a container without io.rexec labels is reported as not Rexec-managed', (t) => {
  const json = JSON.parse(inspectSample({})) as { Config: { Labels: unknown } }[];
  if (json[0] !== undefined) json[0].Config.Labels = null;
  const [engine] = parseInspectOutput(JSON.stringify(json), COMMAND);
  t.equal(engine?.observed, null);
  t.equal(engine?.engineId, ENGINE_ID);
  t.end();
});

void t.test('unreadable inspect output is an engine_failed error carrying the command', (t) => {
  const bad = t.throws(() => parseInspectOutput('[{"Id": 3}]', COMMAND)) as RuntimeError;
  t.equal(bad.code, 'engine_failed');
  t.same(bad.command, COMMAND);
  t.throws(() => parseInspectOutput('not json', COMMAND), { code: 'engine_failed' });
  t.end();
});

void t.test('ps output yields engine ids from podman arrays and docker JSON lines', (t) => {
  t.same(parsePsOutput('[{"Id":"aaa","Names":["x"],"Labels":{}},{"Id":"bbb"}]', COMMAND), [
    'aaa',
    'bbb',
  ]);
  t.same(
    parsePsOutput('{"ID":"ccc","Names":"x","Labels":"a=b"}\n{"ID":"ddd","Names":"y"}\n', COMMAND),
    ['ccc', 'ddd'],
  );
  t.same(parsePsOutput('[]', COMMAND), []);
  t.same(parsePsOutput('', COMMAND), []);
  t.throws(() => parsePsOutput('[{"Name":"x"}]', COMMAND), { code: 'engine_failed' });
  t.end();
});

void t.test('info output of both engines becomes runtime info', (t) => {
  const podman = parseInfoOutput(
    'podman',
    JSON.stringify({
      host: { cgroupVersion: 'v1', extra: 1 },
      store: { graphDriverName: 'overlay', graphStatus: { 'Backing Filesystem': 'extfs' } },
      version: { Version: '4.3.1' },
    }),
    COMMAND,
  );
  t.same(podman, {
    kind: 'podman',
    version: '4.3.1',
    storageDriver: 'overlay',
    storageOptSize: false,
    cgroupVersion: 1,
    userNamespaces: null,
  });
  const docker = parseInfoOutput(
    'docker',
    JSON.stringify({
      ServerVersion: '28.2.2',
      Driver: 'overlay2',
      DriverStatus: [
        ['Backing Filesystem', 'xfs'],
        ['Supports d_type', 'true'],
      ],
      CgroupVersion: '2',
      SecurityOptions: ['name=seccomp,profile=default'],
    }),
    COMMAND,
  );
  t.match(docker, {
    kind: 'docker',
    version: '28.2.2',
    storageDriver: 'overlay2',
    storageOptSize: null,
    cgroupVersion: 2,
    userNamespaces: false,
    userNamespacesDetail: /userns-remap/,
  });
  const remapped = parseInfoOutput(
    'docker',
    JSON.stringify({
      ServerVersion: '28.2.2',
      Driver: 'overlay2',
      SecurityOptions: ['name=seccomp,profile=default', 'name=userns'],
    }),
    COMMAND,
  );
  t.equal(remapped.userNamespaces, true, 'dockerd with userns-remap says name=userns');
  t.equal(storageOptSizeSupport('btrfs', undefined), true);
  t.equal(storageOptSizeSupport('vfs', undefined), false);
  t.throws(() => parseInfoOutput('docker', '{}', COMMAND), { code: 'engine_failed' });
  t.end();
});
