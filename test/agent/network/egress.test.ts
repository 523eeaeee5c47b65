// Default-deny egress on the real engines and real iptables (issue 16): from inside a container,
// listeners on addresses in the non-public ranges (169.254.169.254:80 among them) are refused once
// the host guard has its egress policy, one in REXEC_EGRESS_ALLOW is reached (on its port only),
// a public address is reached, DNS keeps working and IPv6 is off; a container with egress `none`
// reaches nothing, DNS included. Each address answers before the guard, so a pass means the guard.
import { randomInt } from 'node:crypto';
import t from 'tap';
import type { Test } from 'tap';
import {
  egressPolicy,
  hostResolvers,
  installHostGuard,
  parseEgressAllow,
  parseEgressDeny,
  removeHostGuard,
} from '../../../packages/agent/src/network/index.js';
import { poolCidr } from '../../../packages/agent/src/runtime/subnet-pool.js';
import { execIn, makeNetHost, netSpec, networkEngines } from './fixture.js';
import type { NetHost } from './fixture.js';
import { buildPrivateWorld, GREETING } from './private-world.js';

// Above 100: this machine resolves deb.debian.org to 203.0.113.80, and no test address should shadow it.
const octet = randomInt(101, 250);

// Two engines, two containers each and a reach check per address; on a loaded 2-core machine
// that outlasts tap's default file timeout.
t.setTimeout(900_000);
// One address in each default-denied range the kernel routes unicast TCP to; 0/8, 127/8, 224/4
// and 240/4 never leave a container as TCP at all (their rules are host-guard.test.ts's).
const DENIED = {
  '10.0.0.0/8': `10.254.${octet}.10`,
  '100.64.0.0/10': `100.100.${octet}.10`,
  '169.254.0.0/16 (cloud metadata)': '169.254.169.254',
  '172.16.0.0/12': `172.31.${octet}.10`,
  '192.0.0.0/24': '192.0.0.200',
  '192.168.0.0/16': `192.168.${octet}.10`,
  '198.18.0.0/15': `198.19.${octet}.10`,
};
const ALLOWED = `10.253.${octet}.20`;
// TEST-NET-3: public as far as the policy goes (it is in no denied range) and routed nowhere here.
const PUBLIC = `203.0.113.${octet}`;
// TEST-NET-2, public too, but listed in REXEC_EGRESS_DENY.
const EXTRA_DENIED = `198.51.100.${octet}`;
const ALL = [...Object.values(DENIED), ALLOWED, PUBLIC, EXTRA_DENIED];

async function reaches(host: NetHost, containerId: string, address: string, port = 80) {
  const result = await execIn(host.kind, containerId, `nc -w 3 ${address} ${port} </dev/null`);
  return result.output.includes(GREETING);
}

async function resolves(host: NetHost, containerId: string): Promise<boolean> {
  // deb.debian.org is what role setup resolves; the answer comes through the engine's resolver.
  const result = await execIn(host.kind, containerId, 'nslookup deb.debian.org', 20_000);
  return (
    result.exitCode === 0 &&
    /Address:?\s+\d+\.\d+\.\d+\.\d+/.test(result.output.split('Name:')[1] ?? '')
  );
}

async function guardWithEgress(t: Test, host: NetHost) {
  t.teardown(() => removeHostGuard(host.hostId));
  await installHostGuard({
    hostId: host.hostId,
    sourceCidr: poolCidr(host.pool),
    allowedPorts: [],
    egress: egressPolicy(parseEgressAllow(`${ALLOWED}/32:80`), parseEgressDeny(EXTRA_DENIED)),
    resolvers: await hostResolvers(),
  });
}

for (const kind of await networkEngines(t)) {
  void t.test(`${kind}: internet egress reaches public addresses only`, async (t) => {
    const host = makeNetHost(t, kind);
    await buildPrivateWorld(t, poolCidr(host.pool), ALL);
    const spec = netSpec(host);
    await host.runtime.createAndStart(spec);
    const id = spec.containerId;
    for (const address of ALL) {
      t.ok(await reaches(host, id, address), `${address} answers before the guard`);
    }

    await guardWithEgress(t, host);
    for (const [range, address] of Object.entries(DENIED)) {
      t.notOk(await reaches(host, id, address), `${range}: ${address}:80 is refused`);
    }
    t.notOk(await reaches(host, id, EXTRA_DENIED), 'a range in REXEC_EGRESS_DENY is refused');
    t.ok(await reaches(host, id, ALLOWED), 'an address in REXEC_EGRESS_ALLOW is reached');
    t.notOk(await reaches(host, id, ALLOWED, 81), 'but only on the port it names');
    t.ok(await reaches(host, id, PUBLIC), 'a public address is reached');
    t.ok(await resolves(host, id), "DNS through the engine's resolver still answers");
    const ipv6 = await execIn(
      host.kind,
      id,
      'cat /proc/sys/net/ipv6/conf/all/disable_ipv6; ip -6 addr',
    );
    t.match(ipv6.output, /^1$/m, 'IPv6 is off inside the container');
    t.notMatch(ipv6.output, /inet6/, 'no IPv6 address, not even link-local or ::1');
  });

  void t.test(`${kind}: egress none reaches nothing, DNS included`, async (t) => {
    const host = makeNetHost(t, kind);
    await buildPrivateWorld(t, poolCidr(host.pool), [PUBLIC, ALLOWED]);
    await guardWithEgress(t, host);
    const online = netSpec(host);
    const offline = netSpec(host, { network: 'none' });
    await host.runtime.createAndStart(online);
    await host.runtime.createAndStart(offline);
    t.ok(await reaches(host, online.containerId, PUBLIC), 'the same address answers with internet');
    t.notOk(await reaches(host, offline.containerId, PUBLIC), 'a public address is not reached');
    t.notOk(await reaches(host, offline.containerId, ALLOWED), 'nor an allowed one');
    t.notOk(await resolves(host, offline.containerId), 'nor DNS');
    const links = await execIn(host.kind, offline.containerId, 'ip -4 addr');
    t.notMatch(links.output, /eth0/, 'the container has loopback only');
  });
}
