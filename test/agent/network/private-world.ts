// A pretend private world for the egress suite: a network namespace this test creates, joined to
// the host by a veth pair, holding addresses in non-public ranges (the metadata service's
// 169.254.169.254 among them) and a public test address, with a TCP listener on ports 80 and 81
// of each. Only traffic from the suite's own user network pool is routed there (a policy rule),
// so the host's own routes, metadata service included, are untouched. All of it goes at teardown.
import { randomBytes, randomInt } from 'node:crypto';
import { execa } from 'execa';
import type { Test } from 'tap';

export const LISTEN_PORTS = [80, 81] as const;
export const GREETING = 'rexec-private-world';

export interface PrivateWorld {
  /** The namespace's name, for a test that wants to look inside. */
  namespace: string;
}

async function ip(args: string[]): Promise<void> {
  await execa('ip', args, { timeout: 15_000 });
}

// Listens on every address of the namespace; answers with a greeting and closes.
const LISTENER = `
const net = require('node:net');
for (const port of ${JSON.stringify(LISTEN_PORTS)}) {
  net.createServer((s) => s.end(${JSON.stringify(GREETING)} + '\\n')).listen(port, '0.0.0.0');
}
setTimeout(() => console.log('listening'), 100);
`;

/**
 * Builds the namespace with `addresses` on it, routes them from `sourceCidr` only, and starts the
 * listener. Every piece is removed at teardown, in reverse order, even when a later step failed.
 */
export async function buildPrivateWorld(
  t: Test,
  sourceCidr: string,
  addresses: readonly string[],
): Promise<PrivateWorld> {
  const tag = randomBytes(3).toString('hex');
  const namespace = `rxeg-${tag}`;
  const hostSide = `rxeh${tag}`;
  const nsSide = `rxen${tag}`;
  // A /30 in 100.127/16 for the link itself; the table and priority are drawn to avoid others.
  const third = randomInt(256);
  const fourth = randomInt(64) * 4;
  const hostAddress = `100.127.${third}.${fourth + 1}`;
  const nsAddress = `100.127.${third}.${fourth + 2}`;
  const table = String(20_000 + randomInt(10_000));
  const priority = String(1_000 + randomInt(20_000));

  await ip(['netns', 'add', namespace]);
  t.teardown(() => ip(['netns', 'del', namespace]));
  await ip(['link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide]);
  // Deleting one end deletes both; after the namespace went, the host end is already gone.
  t.teardown(() => execa('ip', ['link', 'del', hostSide], { reject: false }).then(() => {}));
  await ip(['link', 'set', nsSide, 'netns', namespace]);
  await ip(['addr', 'add', `${hostAddress}/30`, 'dev', hostSide]);
  await ip(['link', 'set', hostSide, 'up']);
  const inNs = (args: string[]) => ip(['netns', 'exec', namespace, 'ip', ...args]);
  await inNs(['addr', 'add', `${nsAddress}/30`, 'dev', nsSide]);
  for (const address of addresses) await inNs(['addr', 'add', `${address}/32`, 'dev', nsSide]);
  await inNs(['link', 'set', nsSide, 'up']);
  await inNs(['link', 'set', 'lo', 'up']);
  await inNs(['route', 'add', 'default', 'via', hostAddress]);

  for (const address of addresses) {
    await ip(['route', 'add', `${address}/32`, 'via', nsAddress, 'table', table]);
  }
  await ip(['rule', 'add', 'from', sourceCidr, 'lookup', table, 'priority', priority]);
  t.teardown(async () => {
    await execa('ip', ['rule', 'del', 'priority', priority], { reject: false });
    await execa('ip', ['route', 'flush', 'table', table], { reject: false });
  });

  const listener = execa('ip', ['netns', 'exec', namespace, process.execPath, '-e', LISTENER], {
    reject: false,
  });
  t.teardown(() => {
    listener.kill('SIGKILL');
    return listener.then(() => {});
  });
  await new Promise<void>((resolve, reject) => {
    listener.stdout?.once('data', () => resolve());
    void listener.then((result) =>
      reject(new Error(`the namespace listener exited: ${result.stderr || result.shortMessage}`)),
    );
  });
  return { namespace };
}
