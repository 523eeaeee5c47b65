// Benchmark: the web console's budgets. Prints the initial JavaScript of the built console
// (packages/console/dist: the entry script and what it preloads, gzipped as the control plane
// serves it; budget 250 KB) and the first render of the containers page with 100 containers in
// Debian's Chromium (reload to 100 rows drawn, median of several; budget 500 ms), and the terminal
// page under `yes | head -c 50M` (the longest gap between animation frames while it streams; budget
// 100 ms), next to the same command under `podman exec -it` in a PTY without Rexec (the PTY path
// is what bounds that stream: each newline costs the kernel's tty layer a write of its own), and
// the terminal page fed by an in-page stand-in for its socket at full speed (what the page itself
// can draw), and the stream once more in a new shell with the browser's processes on a CPU of
// their own and the rest of the bench on the others (cpu-affinity.ts), as when a person opens the
// console on their own machine rather than on the host running the shell. The 100 containers are real rows made through the API on a real control plane and
// Postgres, placed on a simulated host (test/control-plane/hub/agent-peer.ts) so no engine work
// competes with the browser; the terminal runs in a busybox container on a real agent (podman).
// Each figure is printed with the load average. Asserts nothing.
// Run: npm run build && node --import tsx --conditions=rexec-source bench/console.ts
// (REXEC_BENCH_STREAM_MB sets the stream's size, default 50.)
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import {
  AGENT_ENROLL_PATH,
  AgentEnrollResponse,
  Container,
  JoinTokenCreated,
  Tier,
} from '@rexec/protocol';
import { AgentPeer, okResult } from '../test/control-plane/hub/agent-peer.js';
import type { Page } from 'playwright-core';
import { startBrowser, type Browser } from '../test/console/browser.js';
import { load, terminalFigures } from './console-terminal.js';
import {
  Teardowns,
  percentile,
  startBenchControlPlane,
  type BenchControlPlane,
} from './control-plane.js';

const DIST = fileURLToPath(new URL('../packages/console/dist/', import.meta.url));
const CONTAINERS = 100;
const RENDERS = 7;
const HOST_CAPACITY = { cpu_millicores: 64_000, memory_mb: 262_144, disk_mb: 1_048_576 };

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

async function initialJavaScript(): Promise<void> {
  const html = await readFile(join(DIST, 'index.html'), 'utf8');
  const files = [
    ...html.matchAll(/<script[^>]+src="\/([^"]+\.js)"/g),
    ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="\/([^"]+\.js)"/g),
  ].map((match) => match[1] ?? '');
  let raw = 0;
  let gzipped = 0;
  for (const file of files) {
    const body = await readFile(join(DIST, file));
    raw += body.length;
    gzipped += gzipSync(body).length;
  }
  console.log(
    `initial JavaScript: ${files.length} file(s), ${kb(raw)} raw, ${kb(gzipped)} gzipped`,
  );
  console.log('  budget 250 KB gzipped; the terminal (xterm.js) loads only on its page');
}

async function simulatedHost(base: string, joinToken: string): Promise<AgentPeer> {
  const response = await fetch(`${base}${AGENT_ENROLL_PATH}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${joinToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      host_name: 'bench-console',
      agent_version: '0.1.0',
      protocol_version: 1,
    }),
  });
  if (response.status !== 201) throw new Error(`enroll answered ${response.status}`);
  const { credential } = AgentEnrollResponse.parse(await response.json());
  const peer = await AgentPeer.connect(base, credential);
  const welcome = await peer.hello({ hostName: 'bench-console', capacity: HOST_CAPACITY });
  peer.keepAlive(welcome.heartbeat_interval_ms);
  peer.handOver(
    (message) => {
      if (message.type !== 'CONTROL_COMMAND') return;
      peer.ws.send(JSON.stringify(okResult(message, 'running')));
    },
    { trust: true },
  );
  return peer;
}

async function firstRender(
  cleanup: Teardowns,
): Promise<{ cp: BenchControlPlane; browser: Browser; page: Page }> {
  const cp = await startBenchControlPlane(cleanup);
  const join = await cp.api(JoinTokenCreated, 'POST', '/hosts/join-tokens', {});
  const peer = await simulatedHost(cp.controlPlane.url, join.token);
  cleanup.teardown(() => peer.close());
  await cp.api(Tier, 'PATCH', '/tiers/enterprise', {
    max_containers: CONTAINERS + 1,
    rate_limits: { create_per_minute: CONTAINERS + 1, list_per_minute: 10_000 },
  });
  for (let i = 0; i < CONTAINERS; i++) {
    await cp.api(Container, 'POST', '/containers', {
      name: `bench-${i}`,
      image: 'alpine:latest',
      resources: { cpu_millicores: 100, memory_mb: 64, disk_mb: 256 },
    });
  }

  const browser = await startBrowser(cleanup.asTest());
  const page = await browser.page();
  await page.goto(cp.controlPlane.url);
  await page.fill('#token', cp.controlPlane.adminToken);
  await page.click('button[type=submit]');
  // A function, not a string: the console's CSP refuses eval, Playwright's string predicates too.
  const allRows = (n: number) => document.querySelectorAll('tr[data-name]').length === n;
  await page.waitForFunction(allRows, CONTAINERS, { timeout: 60_000 });
  const times: number[] = [];
  for (let i = 0; i < RENDERS; i++) {
    await page.reload();
    await page.waitForFunction(allRows, CONTAINERS, { timeout: 60_000, polling: 'raf' });
    times.push(await page.evaluate(() => performance.now()));
  }
  times.sort((a, b) => a - b);
  console.log(
    `first render of the containers page with ${CONTAINERS} containers (reload to all rows drawn, ${RENDERS} runs):`,
  );
  console.log(
    `  median ${percentile(times, 50).toFixed(0)} ms, best ${times[0]?.toFixed(0)} ms, worst ${times[times.length - 1]?.toFixed(0)} ms; budget 500 ms (${load()})`,
  );
  return { cp, browser, page };
}

async function main(): Promise<void> {
  await initialJavaScript();
  const cleanup = new Teardowns();
  try {
    const running = await firstRender(cleanup);
    await terminalFigures(cleanup, running);
    if (running.browser.problems.length > 0)
      console.log('page problems:', running.browser.problems);
  } finally {
    await cleanup.run();
  }
}

await main();
