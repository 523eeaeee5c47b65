// Unit tests for how the runtime reads what happens to containers: podman and docker event lines
// (and the argv that asks for them) and the kernel log's OOM lines. Podman samples were captured
// from podman 4.3 on this machine; docker samples follow docker's documented output. The podman
// and docker suites watch the real engines' events.
import t from 'tap';
import { eventsArgs, parseEventLine } from '../../../packages/agent/src/runtime/event-parser.js';
import { parseKernelOomLine } from '../../../packages/agent/src/runtime/kernel-oom.js';
import { ENGINE_ID, LABELS } from './runtime-samples.js';

void t.test('podman event lines become runtime events; noise is ignored', (t) => {
  const died = parseEventLine(
    `{"ContainerExitCode":137,"ID":"${ENGINE_ID}","Image":"img","Name":"rexec-c1","Status":"died","Time":"2026-11-28T20:48:42.171337134Z","Type":"container","Attributes":${JSON.stringify(LABELS)}}`,
  );
  t.match(died, {
    ok: true,
    event: { kind: 'die', engineId: ENGINE_ID, exitCode: 137, labels: LABELS },
  });
  if (died.ok) t.equal(died.event?.at.toISOString(), '2026-11-28T20:48:42.171Z');
  const removed = parseEventLine(
    `{"ID":"${ENGINE_ID}","Status":"remove","Type":"container","Time":"2026-11-28T20:48:44Z"}`,
  );
  t.match(removed, { ok: true, event: { kind: 'destroy', exitCode: null } });
  const cleanup = parseEventLine(`{"ID":"${ENGINE_ID}","Status":"cleanup","Type":"container"}`);
  t.same(cleanup, { ok: true, event: null });
  t.match(parseEventLine('{"nope":1}'), { ok: false });
  t.match(parseEventLine('garbage'), { ok: false });
  t.end();
});

void t.test('docker event lines become runtime events, including oom and exit codes', (t) => {
  const attributes = { ...LABELS, exitCode: '137', image: 'img', name: 'rexec-c1' };
  // timeNano is written as raw JSON text: it exceeds a JS number's exact range, as in docker's output.
  const die = parseEventLine(
    JSON.stringify({
      status: 'die',
      id: ENGINE_ID,
      Type: 'container',
      Action: 'die',
      Actor: { ID: ENGINE_ID, Attributes: attributes },
      scope: 'local',
      time: 1795898922,
    }).replace(/}$/, ',"timeNano":1795898922171337134}'),
  );
  t.match(die, { ok: true, event: { kind: 'die', exitCode: 137, engineId: ENGINE_ID } });
  if (die.ok) t.equal(die.event?.at.getTime(), 1795898922171);
  const oom = parseEventLine(
    JSON.stringify({
      Type: 'container',
      Action: 'oom',
      Actor: { ID: ENGINE_ID, Attributes: LABELS },
      time: 1,
    }),
  );
  t.match(oom, { ok: true, event: { kind: 'oom', exitCode: null } });
  const exec = parseEventLine(
    JSON.stringify({
      Type: 'container',
      Action: 'exec_start: sh',
      Actor: { ID: ENGINE_ID, Attributes: {} },
    }),
  );
  t.same(exec, { ok: true, event: null });
  const volume = parseEventLine(
    JSON.stringify({ Type: 'volume', Action: 'destroy', Actor: { ID: 'v', Attributes: {} } }),
  );
  t.same(volume, { ok: true, event: null });
  t.end();
});

void t.test('events argv filters by this host label and replays with --since', (t) => {
  const since = new Date('2026-11-28T20:00:00.900Z');
  t.same(eventsArgs('podman', 'io.rexec.host-id=h1', since), [
    'events',
    '--format',
    'json',
    '--filter',
    'type=container',
    '--filter',
    'label=io.rexec.host-id=h1',
    '--since',
    String(Math.floor(since.getTime() / 1000)),
  ]);
  t.equal(eventsArgs('docker', 'io.rexec.host-id=h1')[2], '{{json .}}');
  t.end();
});

void t.test('kernel OOM lines name the container whose own limit was hit', (t) => {
  const line =
    'oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=libpod-' +
    ENGINE_ID +
    ',mems_allowed=0,oom_memcg=/libpod_parent/libpod-' +
    ENGINE_ID +
    ',task_memcg=/libpod_parent/libpod-' +
    ENGINE_ID +
    ',task=busybox,pid=8419,uid=0';
  t.equal(parseKernelOomLine(line), ENGINE_ID);
  t.equal(
    parseKernelOomLine(
      `oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=/system.slice/docker-${ENGINE_ID}.scope,task=x`,
    ),
    ENGINE_ID,
  );
  t.equal(
    parseKernelOomLine('oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),task=x,pid=1'),
    null,
  );
  t.equal(parseKernelOomLine('Memory cgroup out of memory: Killed process 8419 (busybox)'), null);
  t.end();
});
