// The host guard on this machine's real iptables (the suites run as root): installing is
// idempotent and leaves one jump per chain, a rebuild replaces the rules, removeHostGuard takes
// chains and jumps away, and network set-up at agent start reports shaping and isolation on.
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import t from 'tap';
import type { Test } from 'tap';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_EGRESS_DENY,
  egressPolicy,
  hostGuardChains,
  hostResolvers,
  installHostGuard,
  removeHostGuard,
  setUpNetworkEnforcement,
} from '../../../packages/agent/src/network/index.js';
import { testLogger } from '../runtime/fixture.js';

async function rules(chain: string): Promise<string[]> {
  const result = await execa('iptables', ['-w', '10', '-S', chain], { reject: false });
  return result.failed ? [] : result.stdout.split('\n');
}

function jumpsTo(lines: string[], chain: string): string[] {
  return lines.filter((line) => line.endsWith(`-j ${chain}`));
}

function guardedHost(t: Test): string {
  const hostId = `guard-${randomBytes(4).toString('hex')}`;
  t.teardown(() => removeHostGuard(hostId));
  return hostId;
}

void t.test(
  'installing twice leaves one jump per chain; a rebuild replaces the rules',
  async (t) => {
    const hostId = guardedHost(t);
    const { input, forward } = hostGuardChains(hostId);
    const options = { hostId, sourceCidr: '10.216.1.0/24', allowedPorts: [3142] };
    await installHostGuard(options);
    await installHostGuard(options);
    t.equal(jumpsTo(await rules('INPUT'), input).length, 1, 'one INPUT jump');
    t.equal(jumpsTo(await rules('FORWARD'), forward).length, 1, 'one FORWARD jump');
    t.match(jumpsTo(await rules('INPUT'), input)[0], /-s 10\.216\.1\.0\/24/);
    t.ok((await rules(input)).some((line) => line.includes('--dport 3142 -j ACCEPT')));

    await installHostGuard({
      ...options,
      allowedPorts: [8081],
      controlPlanes: [
        { addresses: ['192.0.2.10'], port: 9000 },
        { addresses: ['192.0.2.11'], port: 9443 },
      ],
    });
    const inputRules = await rules(input);
    t.notOk(
      inputRules.some((line) => line.includes('3142')),
      'the old port is gone',
    );
    t.ok(
      inputRules.some((line) => line.includes('--dport 8081 -j ACCEPT')),
      'the new one is in',
    );
    t.ok(
      (await rules(forward)).some(
        (line) => line.includes('-d 192.0.2.10/32') && line.includes('9000'),
      ),
      'a remote control plane is rejected in FORWARD',
    );
    t.ok(
      (await rules(forward)).some(
        (line) => line.includes('-d 192.0.2.11/32') && line.includes('9443'),
      ),
      'so is every other replica',
    );
    t.equal(jumpsTo(await rules('INPUT'), input).length, 1, 'still one INPUT jump');
  },
);

void t.test(
  'with an egress policy FORWARD refuses every non-public range, after the exceptions',
  async (t) => {
    const hostId = guardedHost(t);
    const { forward } = hostGuardChains(hostId);
    await installHostGuard({
      hostId,
      sourceCidr: '10.216.5.0/24',
      allowedPorts: [],
      egress: egressPolicy(
        [{ cidr: '10.0.5.7/32', port: 3142 }, { cidr: '192.168.9.0/24' }],
        ['203.0.113.0/24'],
      ),
      resolvers: ['10.255.255.53'],
    });
    const lines = await rules(forward);
    const index = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
    for (const range of [...DEFAULT_EGRESS_DENY, '203.0.113.0/24']) {
      t.ok(
        lines.includes(`-A ${forward} -d ${range} -j REJECT --reject-with icmp-admin-prohibited`),
        `${range} is refused`,
      );
    }
    const firstDeny = index(/-j REJECT --reject-with icmp-admin-prohibited/);
    const passes = [
      /-d 10\.255\.255\.53\/32 -p udp -m udp --dport 53 -j RETURN/,
      /-d 10\.255\.255\.53\/32 -p tcp -m tcp --dport 53 -j RETURN/,
      /-d 10\.0\.5\.7\/32 -p tcp -m tcp --dport 3142 -j RETURN/,
      /-d 192\.168\.9\.0\/24 -j RETURN/,
      /-d 10\.216\.5\.0\/24 -m physdev --physdev-is-bridged -j RETURN/,
    ];
    for (const pass of passes) {
      const at = index(pass);
      t.ok(at !== -1 && at < firstDeny, `${pass.source} passes before the refusals`);
    }
    t.ok(
      index(/! --physdev-is-bridged -j REJECT/) < index(/-d 192\.168\.9\.0\/24 -j RETURN/),
      "no allowance reopens another user's network",
    );
  },
);

void t.test("the host's nameservers come from resolv.conf, loopback ones left out", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'rexec-resolv-'));
  t.teardown(() => import('node:fs/promises').then(({ rm }) => rm(dir, { recursive: true })));
  const etc = join(dir, 'resolv.conf');
  const systemd = join(dir, 'systemd.conf');
  await writeFile(etc, 'nameserver 127.0.0.53\nsearch lan\nnameserver 10.1.1.1\n');
  await writeFile(
    systemd,
    '# upstream\nnameserver 10.1.1.1\nnameserver 192.168.1.1\nnameserver fd00::1\n',
  );
  t.same(await hostResolvers([etc, systemd, join(dir, 'missing')]), ['10.1.1.1', '192.168.1.1']);
});

void t.test('removeHostGuard takes the chains and every jump away, and may repeat', async (t) => {
  const hostId = guardedHost(t);
  const { input, forward } = hostGuardChains(hostId);
  await installHostGuard({ hostId, sourceCidr: '10.216.2.0/24', allowedPorts: [] });
  await removeHostGuard(hostId);
  t.same(jumpsTo(await rules('INPUT'), input), []);
  t.same(jumpsTo(await rules('FORWARD'), forward), []);
  t.same(jumpsTo(await rules('DOCKER-USER'), forward), []);
  t.same(await rules(input), [], 'input chain gone');
  t.same(await rules(forward), [], 'forward chain gone');
  await removeHostGuard(hostId);
  t.pass('removing a host without a guard succeeds');
});

void t.test('at agent start, a root host reports shaping and isolation on', async (t) => {
  const hostId = guardedHost(t);
  const setup = await setUpNetworkEnforcement({
    hostId,
    sourceCidr: '10.216.3.0/24',
    allowedHostPorts: [],
    controlPlaneUrls: [new URL('http://127.0.0.1:8080')],
    log: testLogger(),
    egress: egressPolicy(),
  });
  t.same(setup.enforcement, { shaping: true, isolation: true });
  t.ok(
    (await rules(hostGuardChains(hostId).forward)).some((line) =>
      line.includes('-d 169.254.0.0/16 -j REJECT'),
    ),
    'the egress policy is in force',
  );
  t.ok(setup.shaper, 'the runtime gets a shaper');
  t.equal(jumpsTo(await rules('INPUT'), hostGuardChains(hostId).input).length, 1);
});

void t.test('without iptables isolation is off, says why, and shaping is unaffected', async (t) => {
  const hostId = guardedHost(t);
  const setup = await setUpNetworkEnforcement({
    hostId,
    sourceCidr: '10.216.4.0/24',
    allowedHostPorts: [],
    controlPlaneUrls: [new URL('http://127.0.0.1:8080')],
    log: testLogger(),
    iptables: '/nonexistent/iptables',
  });
  t.equal(setup.enforcement.isolation, false);
  t.equal(setup.enforcement.shaping, true);
  t.match(setup.enforcement.detail, /host isolation unavailable: .*iptables/);
});
