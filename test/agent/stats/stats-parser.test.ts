// The stats parser on recorded `stats --no-stream` output: podman 4.3's `{{json .ContainerStats}}`
// lines (raw numbers, and the all-zero entry it prints for a container it could not read) and
// docker's `{{json .}}` lines (display strings with binary and decimal units, "--" and empty
// values). A line that is not an entry fails the whole pass with engine_failed.
import t from 'tap';
import {
  parsePercent,
  parseSize,
  parseStatsOutput,
} from '../../../packages/agent/src/stats/stats-parser.js';
import { isRuntimeError } from '../../../packages/agent/src/runtime/errors.js';

const COMMAND = ['podman', 'stats'];

// Recorded from podman 4.3 on this machine (a busybox `dd if=/dev/zero of=/dev/null`, 64 MB limit).
const PODMAN_LINES = [
  '{"AvgCPU":76.32790727269759,"ContainerID":"e0677255cb7d6a85bae1725d416ce0b4b6d5bfdf317850cdfac99e023a6606a1","Name":"rexec-ctr_0123456789abcdef0123456789abcdef","PerCPU":[421625170,1346992341],"CPU":76.32790727269759,"CPUNano":1768617511,"CPUSystemNano":1032000000,"SystemNano":1796526781928671319,"MemUsage":643072,"MemLimit":67108864,"MemPerc":0.958251953125,"NetInput":472,"NetOutput":1096,"BlockInput":0,"BlockOutput":0,"PIDs":1,"UpTime":1768617511,"Duration":1768617511}',
  '{"AvgCPU":0,"ContainerID":"3f73a3c983bede5ecc36e63553677f2749247f72651a0f961413e258d59293ac","Name":"rexec-ctr_6e763222885b04d53e353fad641e2c74","PerCPU":null,"CPU":0,"CPUNano":0,"CPUSystemNano":0,"SystemNano":0,"MemUsage":0,"MemLimit":0,"MemPerc":0,"NetInput":0,"NetOutput":0,"BlockInput":0,"BlockOutput":0,"PIDs":0,"UpTime":0,"Duration":0}',
].join('\n');

// docker 2x `stats --no-stream --format '{{json .}}'`: memory in binary units, I/O in decimal
// ones, "--" for what the daemon could not read (a container stopping mid-pass).
const DOCKER_LINES = [
  '{"BlockIO":"0B / 0B","CPUPerc":"99.87%","Container":"5f1c2a","ID":"5f1c2a","MemPerc":"31.25%","MemUsage":"20MiB / 64MiB","Name":"rexec-ctr_0123456789abcdef0123456789abcdef","NetIO":"1.096kB / 472B","PIDs":"3"}',
  '{"BlockIO":"--","CPUPerc":"--","Container":"9a8b7c","ID":"9a8b7c","MemPerc":"--","MemUsage":"-- / --","Name":"/rexec-ctr_6e763222885b04d53e353fad641e2c74","NetIO":"--","PIDs":"--"}',
  '{"BlockIO":"","CPUPerc":"","Container":"aaaaaa","ID":"aaaaaa","MemPerc":"","MemUsage":"","Name":"other","NetIO":"","PIDs":""}',
].join('\n');

void t.test('podman raw numbers become a sample; an unread all-zero entry has no figures', (t) => {
  const [busy, unread] = parseStatsOutput('podman', PODMAN_LINES, COMMAND);
  t.same(busy, {
    name: 'rexec-ctr_0123456789abcdef0123456789abcdef',
    cpuPercent: 76.32790727269759,
    cpuNanos: 1768617511,
    // Beyond 2^53: JSON.parse keeps the nearest double, ~256 ns off, nothing to a rate over seconds.
    readAtNanos: Number('1796526781928671319'),
    memoryBytes: 643072,
    memoryLimitBytes: 67108864,
    pids: 1,
    netRxBytes: 472,
    netTxBytes: 1096,
  });
  t.same(unread, {
    name: 'rexec-ctr_6e763222885b04d53e353fad641e2c74',
    cpuPercent: null,
    cpuNanos: null,
    readAtNanos: null,
    memoryBytes: null,
    memoryLimitBytes: null,
    pids: null,
    netRxBytes: null,
    netTxBytes: null,
  });
  t.end();
});

void t.test('docker display strings become bytes; "--" and empty values become null', (t) => {
  const [busy, stopping, empty] = parseStatsOutput('docker', DOCKER_LINES, ['docker', 'stats']);
  t.same(busy, {
    name: 'rexec-ctr_0123456789abcdef0123456789abcdef',
    cpuPercent: 99.87,
    cpuNanos: null,
    readAtNanos: null,
    memoryBytes: 20 * 1024 * 1024,
    memoryLimitBytes: 64 * 1024 * 1024,
    pids: 3,
    netRxBytes: 1096,
    netTxBytes: 472,
  });
  t.equal(stopping?.name, 'rexec-ctr_6e763222885b04d53e353fad641e2c74', 'a leading / is dropped');
  for (const sample of [stopping, empty]) {
    t.same(
      [sample?.cpuPercent, sample?.memoryBytes, sample?.memoryLimitBytes, sample?.pids],
      [null, null, null, null],
    );
    t.same([sample?.netRxBytes, sample?.netTxBytes], [null, null]);
  }
  t.end();
});

void t.test('sizes and percentages in every unit the engines print', (t) => {
  const cases: [string, number | null][] = [
    ['0B', 0],
    ['472B', 472],
    ['1.096kB', 1096],
    ['655.4kB', 655_400],
    ['67.11MB', 67_110_000],
    ['1.5GB', 1_500_000_000],
    ['1.5KiB', 1536],
    ['7.6GiB', Math.round(7.6 * 1024 ** 3)],
    ['2TiB', 2 * 1024 ** 4],
    [' 12 MiB ', 12 * 1024 ** 2],
    ['--', null],
    ['', null],
    ['12 parsecs', null],
    ['-5MB', null],
  ];
  for (const [text, bytes] of cases) t.equal(parseSize(text), bytes, JSON.stringify(text));
  t.equal(parsePercent('0.16%'), 0.16);
  t.equal(parsePercent('250.5%'), 250.5, 'more than one core');
  t.equal(parsePercent('--'), null);
  t.equal(parsePercent(''), null);
  t.end();
});

void t.test('output that is not stats entries fails the pass with engine_failed', (t) => {
  for (const stdout of ['{not json', '{"Name":""}', '[{"CPU":-1,"Name":"x"}]']) {
    let thrown: unknown;
    try {
      parseStatsOutput('podman', stdout, COMMAND);
    } catch (error) {
      thrown = error;
    }
    t.ok(isRuntimeError(thrown, 'engine_failed'), `${stdout}: engine_failed`);
  }
  t.same(parseStatsOutput('docker', '', ['docker']), [], 'no running containers: no samples');
  t.end();
});
