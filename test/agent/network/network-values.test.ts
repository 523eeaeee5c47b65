// The pure parts of network and disk enforcement: the tc batch and its burst, the subnet pool,
// the host guard's rules, run argv with network, limits and storage-opt, the placement an inspect
// template prints, project quota detection from mountinfo, and what HELLO reports.
import t from 'tap';
import { remoteControlPlane } from '../../../packages/agent/src/network/network-enforcement.js';
import { hostGuardChains, hostGuardRules } from '../../../packages/agent/src/network/host-guard.js';
import { tbfArgs, tcBatch } from '../../../packages/agent/src/network/tc-shaper.js';
import { toWireRuntimeInfo } from '../../../packages/agent/src/socket/hello.js';
import { toRuntimeSpec } from '../../../packages/agent/src/command-actions.js';
import { mbpsFromLabels } from '../../../packages/agent/src/runtime/container-shaping.js';
import { userNetworkName } from '../../../packages/agent/src/runtime/labels.js';
import { parsePlacementOutput } from '../../../packages/agent/src/runtime/placement-parser.js';
import { buildRunArgs } from '../../../packages/agent/src/runtime/run-args.js';
import { validateContainerSpec } from '../../../packages/agent/src/runtime/spec.js';
import { projectQuotaFromMountinfo } from '../../../packages/agent/src/runtime/storage-quota.js';
import {
  firstSubnetIndex,
  parseRouteTable,
  parseSubnetPool,
  poolCidr,
  subnetAt,
  subnetCount,
  SubnetPoolError,
  subnetOverlaps,
} from '../../../packages/agent/src/runtime/subnet-pool.js';
import type { RuntimeInfo } from '../../../packages/agent/src/runtime/types.js';

void t.test('tbf keeps a 64 KiB bucket at low rates and 10 ms of traffic at high ones', (t) => {
  t.equal(tbfArgs(8), 'tbf rate 8mbit burst 65536 latency 50ms');
  t.equal(tbfArgs(1000), 'tbf rate 1000mbit burst 1250000 latency 50ms');
  const batch = tcBatch(8).split('\n');
  t.equal(batch[0], 'qdisc replace dev eth0 root tbf rate 8mbit burst 65536 latency 50ms');
  t.match(batch[2], /parent ffff: .*u32 match u32 0 0 action mirred egress redirect dev rexec-ifb/);
  t.equal(batch[3], 'qdisc replace dev rexec-ifb root tbf rate 8mbit burst 65536 latency 50ms');
  t.end();
});

void t.test('the subnet pool hands out aligned subnets and refuses what cannot work', (t) => {
  const pool = parseSubnetPool('10.213.0.0/16', 24);
  t.equal(subnetCount(pool), 256);
  t.equal(subnetAt(pool, 0), '10.213.0.0/24');
  t.equal(subnetAt(pool, 255), '10.213.255.0/24');
  t.equal(subnetAt(pool, 256), '10.213.0.0/24', 'wraps around');
  t.equal(poolCidr(pool), '10.213.0.0/16');
  t.equal(subnetAt(parseSubnetPool('192.168.64.0/20', 28), 3), '192.168.64.48/28');
  const start = firstSubnetIndex(pool, 'host-1', 'user-1');
  t.equal(firstSubnetIndex(pool, 'host-1', 'user-1'), start, 'stable per host and user');
  t.ok(start >= 0 && start < 256);
  t.throws(() => parseSubnetPool('10.213.0.0'), SubnetPoolError);
  t.throws(() => parseSubnetPool('10.213.300.0/16'), SubnetPoolError);
  t.throws(() => parseSubnetPool('10.213.1.0/16'), /host bits set; use 10.213.0.0\/16/);
  t.throws(() => parseSubnetPool('10.213.0.0/24', 16), /between the pool's \/24 and \/29/);
  t.throws(() => parseSubnetPool('10.213.0.0/24', 30), /\/29/);
  t.end();
});

void t.test('subnets the host already routes are found and skipped', (t) => {
  const table = [
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
    'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
    'podman0\t0000580A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
    'br-1\t0005D50A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
    'br-2\tA015D50A\t00000000\t0001\t0\t0\t0\tF0FFFFFF\t0\t0\t0',
    'garbage line',
  ].join('\n');
  const routed = parseRouteTable(table);
  t.same(
    routed.map(
      (route) =>
        `${route.base >>> 24}.${(route.base >>> 16) & 255}.${(route.base >>> 8) & 255}.${route.base & 255}/${route.prefix}`,
    ),
    ['10.88.0.0/16', '10.213.5.0/24', '10.213.21.160/28'],
    'the default route and unparsable lines are left out',
  );
  const pool = parseSubnetPool('10.213.0.0/16');
  t.ok(subnetOverlaps(pool, 5, routed), 'the same /24');
  t.ok(subnetOverlaps(pool, 21, routed), 'a /28 inside the /24');
  t.notOk(subnetOverlaps(pool, 6, routed), 'a free neighbour');
  t.notOk(subnetOverlaps(parseSubnetPool('10.89.0.0/16'), 0, routed), 'another pool');
  t.ok(
    subnetOverlaps(parseSubnetPool('10.0.0.0/8', 16), 88, routed),
    'a wider subnet holding a route',
  );
  t.end();
});

void t.test('the host guard accepts replies, DNS and the allowed ports, rejects the rest', (t) => {
  const rules = hostGuardRules({
    hostId: 'host-1',
    sourceCidr: '10.213.0.0/16',
    allowedPorts: [3142],
    controlPlanes: [
      { addresses: ['192.0.2.10'], port: 8080 },
      { addresses: ['192.0.2.11', '192.0.2.12'], port: 443 },
    ],
  });
  const { input, forward } = hostGuardChains('host-1');
  t.match(input, /^REXEC-IN-[0-9a-f]{8}$/);
  t.ok(forward.length <= 28, 'chain names fit iptables');
  t.same(rules.split('\n'), [
    '*filter',
    `:${input} - [0:0]`,
    `:${forward} - [0:0]`,
    `-A ${input} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`,
    `-A ${input} -p udp --dport 53 -j ACCEPT`,
    `-A ${input} -p tcp --dport 53 -j ACCEPT`,
    `-A ${input} -p tcp --dport 3142 -j ACCEPT`,
    `-A ${input} -p tcp -j REJECT --reject-with tcp-reset`,
    `-A ${input} -j REJECT --reject-with icmp-port-unreachable`,
    `-A ${forward} -d 10.213.0.0/16 -m physdev ! --physdev-is-bridged -j REJECT --reject-with icmp-port-unreachable`,
    `-A ${forward} -d 192.0.2.10 -p tcp --dport 8080 -j REJECT --reject-with tcp-reset`,
    `-A ${forward} -d 192.0.2.11 -p tcp --dport 443 -j REJECT --reject-with tcp-reset`,
    `-A ${forward} -d 192.0.2.12 -p tcp --dport 443 -j REJECT --reject-with tcp-reset`,
    'COMMIT',
    '',
  ]);
  t.not(hostGuardChains('host-2').input, input, 'each host has its own chain');
  t.end();
});

void t.test(
  'a control plane on this machine is left to INPUT; a remote one is guarded',
  async (t) => {
    t.equal(await remoteControlPlane(new URL('http://127.0.0.1:8080')), undefined);
    t.equal(await remoteControlPlane(new URL('http://localhost:8080')), undefined);
    t.same(await remoteControlPlane(new URL('https://192.0.2.10')), {
      addresses: ['192.0.2.10'],
      port: 443,
    });
    t.same(await remoteControlPlane(new URL('http://192.0.2.10:9000')), {
      addresses: ['192.0.2.10'],
      port: 9000,
    });
  },
);

void t.test('run argv joins the network and records limits; size= only where it works', (t) => {
  const spec = validateContainerSpec({
    containerId: 'c1',
    userId: 'u1',
    image: 'busybox',
    cpuMillicores: 500,
    memoryMb: 64,
    pidsLimit: 100,
    diskMb: 64,
    networkMbps: 8,
    network: 'rexec-net-x',
  });
  const plain = buildRunArgs(spec, 'h1');
  t.ok(plain.includes('io.rexec.disk-mb=64'));
  t.ok(plain.includes('io.rexec.network-mbps=8'));
  t.same(plain.slice(plain.indexOf('--network'), plain.indexOf('--network') + 2), [
    '--network',
    'rexec-net-x',
  ]);
  t.notOk(plain.includes('--storage-opt'), 'no size= unless the engine can enforce it');
  const capped = buildRunArgs(spec, 'h1', { storageOptSize: true, pidFile: '/run/p.pid' });
  t.same(capped.slice(capped.indexOf('--storage-opt'), capped.indexOf('--storage-opt') + 2), [
    '--storage-opt',
    'size=64m',
  ]);
  t.ok(capped.includes('--pidfile'));
  t.throws(() => validateContainerSpec({ ...spec, networkMbps: 0 }), /networkMbps/);
  t.throws(() => validateContainerSpec({ ...spec, network: '-x' }), /network/);
  t.equal(mbpsFromLabels({ 'io.rexec.network-mbps': '8' }), 8);
  t.equal(mbpsFromLabels({ 'io.rexec.network-mbps': 'x' }), null);
  t.equal(mbpsFromLabels({}), null);
  t.end();
});

void t.test('the wire spec becomes a runtime spec on the user network of this host', (t) => {
  const spec = toRuntimeSpec(
    {
      container_id: 'ctr_1',
      user_id: 'usr_1',
      image: 'busybox',
      resources: { cpu_millicores: 500, memory_mb: 64, disk_mb: 512, network_mbps: 20 },
      pids_limit: 100,
    } as Parameters<typeof toRuntimeSpec>[0],
    'host-1',
  );
  t.match(spec, { diskMb: 512, networkMbps: 20, network: userNetworkName('host-1', 'usr_1') });
  t.not(userNetworkName('host-2', 'usr_1'), spec.network, 'per host');
  t.not(userNetworkName('host-1', 'usr_2'), spec.network, 'and per user');
  t.end();
});

void t.test('egress none becomes no network at all and nothing to shape', (t) => {
  const spec = toRuntimeSpec(
    {
      container_id: 'ctr_1',
      user_id: 'usr_1',
      image: 'busybox',
      resources: { cpu_millicores: 500, memory_mb: 64, disk_mb: 512, network_mbps: 20 },
      pids_limit: 100,
      network_egress: 'none',
    } as Parameters<typeof toRuntimeSpec>[0],
    'host-1',
  );
  t.equal(spec.network, 'none');
  t.equal(spec.networkMbps, undefined, 'no eth0 to shape, no label to shape it by later');
  const args = buildRunArgs(validateContainerSpec(spec), 'h1');
  t.same(args.slice(args.indexOf('--network'), args.indexOf('--network') + 2), [
    '--network',
    'none',
  ]);
  t.notOk(args.some((arg) => arg.startsWith('io.rexec.network-mbps')));
  t.end();
});

void t.test('IPv6 is switched off in the container where the host kernel has it', (t) => {
  const spec = validateContainerSpec({
    containerId: 'c1',
    userId: 'u1',
    image: 'busybox',
    cpuMillicores: 500,
    memoryMb: 64,
    pidsLimit: 100,
  });
  const withIpv6 = buildRunArgs(spec, 'h1', { hostIpv6: true });
  for (const sysctl of [
    'net.ipv6.conf.all.disable_ipv6=1',
    'net.ipv6.conf.default.disable_ipv6=1',
  ]) {
    t.equal(withIpv6[withIpv6.indexOf(sysctl) - 1], '--sysctl', sysctl);
  }
  t.notOk(
    buildRunArgs(spec, 'h1', { hostIpv6: false }).includes('--sysctl'),
    'a kernel without IPv6 has no such sysctl; the run would fail on it',
  );
  t.end();
});

void t.test('the placement template output gives pid, upper dir, home and other volumes', (t) => {
  const stdout = JSON.stringify({
    pid: 4242,
    graph: { UpperDir: '/var/lib/containers/storage/overlay/abc/diff', WorkDir: '/w' },
    mounts: [
      { Name: 'other', Source: '/x' },
      {
        Type: 'volume',
        Name: 'rexec-home-c1',
        Source: '/var/lib/containers/storage/volumes/rexec-home-c1/_data',
      },
      { Type: 'volume', Name: '3f2a', Source: '/var/lib/docker/volumes/3f2a/_data' },
      { Type: 'bind', Source: '/etc/hosts' },
    ],
    labels: { 'io.rexec.host-id': 'h1' },
  });
  t.same(parsePlacementOutput('c1', stdout, ['podman']), {
    placement: {
      containerId: 'c1',
      pid: 4242,
      writableDir: '/var/lib/containers/storage/overlay/abc/diff',
      homeVolumeDir: '/var/lib/containers/storage/volumes/rexec-home-c1/_data',
      volumeDirs: ['/var/lib/docker/volumes/3f2a/_data'],
    },
    labels: { 'io.rexec.host-id': 'h1' },
  });
  const bare = parsePlacementOutput('c1', '{"pid":0,"graph":null,"mounts":[],"labels":null}', []);
  t.same(bare.placement, {
    containerId: 'c1',
    pid: 0,
    writableDir: null,
    homeVolumeDir: null,
    volumeDirs: [],
  });
  t.throws(() => parsePlacementOutput('c1', '{"pid":"x"}', ['podman']), { code: 'engine_failed' });
  t.end();
});

void t.test('size= is trusted only on xfs mounted with enforced project quotas', (t) => {
  const mountinfo = [
    '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
    '40 22 8:17 / /var/lib/containers rw,relatime shared:2 - xfs /dev/sdb1 rw,attr2,inode64,prjquota',
    '41 22 8:33 / /var/lib/docker rw,relatime shared:3 - xfs /dev/sdc1 rw,attr2,pqnoenforce',
    '42 22 8:49 / /srv/my\\040store rw - xfs /dev/sdd1 rw,pquota',
  ].join('\n');
  t.equal(projectQuotaFromMountinfo(mountinfo, '/var/lib/containers/storage'), true);
  t.equal(projectQuotaFromMountinfo(mountinfo, '/var/lib/docker'), false, 'accounting only');
  t.equal(projectQuotaFromMountinfo(mountinfo, '/var/lib/containersX'), false, 'not a prefix');
  t.equal(projectQuotaFromMountinfo(mountinfo, '/srv/my store/overlay'), true, 'escaped paths');
  t.equal(projectQuotaFromMountinfo(mountinfo, '/home'), false, 'ext4 root');
  t.end();
});

void t.test('HELLO reports network and disk enforcement as set up, off when not', (t) => {
  const info: RuntimeInfo = {
    kind: 'podman',
    version: '4.3.1',
    storageDriver: 'overlay',
    storageOptSize: false,
    cgroupVersion: 1,
    userNamespaces: null,
  };
  t.same(toWireRuntimeInfo(info), {
    kind: 'podman',
    version: '4.3.1',
    storage_driver: 'overlay',
    disk_enforcement: 'none',
    network_shaping: false,
    network_isolation: false,
    enforcement_detail: 'network enforcement was not set up by this agent',
    user_namespaces: false,
  });
  t.match(
    toWireRuntimeInfo(info, {
      network: { shaping: true, isolation: false, detail: 'host isolation needs root (iptables)' },
      diskEnforcement: { mode: 'monitor', checkSeconds: 30 },
    }),
    {
      disk_enforcement: 'monitor',
      disk_check_seconds: 30,
      network_shaping: true,
      network_isolation: false,
      enforcement_detail: 'host isolation needs root (iptables)',
    },
  );
  const full = toWireRuntimeInfo(info, { network: { shaping: true, isolation: true } });
  t.equal(full.enforcement_detail, undefined, 'no detail when everything is on');
  t.end();
});
