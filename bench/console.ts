// Benchmark: the web console's budgets. Prints the initial JavaScript of the built console
// (packages/console/dist: the entry script and what it preloads, gzipped as the control plane
// serves it; budget 250 KB) and the first render of the containers page with 100 containers in
// Debian's Chromium (reload to 100 rows drawn, median of several; budget 500 ms), and the terminal
// page under `yes | head -c 50M` (the longest gap between animation frames while it streams; budget
// 100 ms). The 100 containers are real rows made through the API on a real control plane and
// Postgres, placed on a simulated host (test/control-plane/hub/agent-peer.ts) so no engine work
// competes with the browser; the terminal runs in a busybox container on a real agent (podman).
// Asserts nothing.
// Run: npm run build && node --import tsx --conditions=rexec-source bench/console.ts
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import {
  AGENT_ENROLL_PATH,
  AgentEnrollResponse,
  Container,
  Host,
  HostList,
  JoinTokenCreated,
  Tier,
} from '@rexec/protocol';
import { AgentPeer, okResult } from '../test/control-plane/hub/agent-peer.js';
import type { Page } from 'playwright-core';
import { startBrowser, type Browser } from '../test/console/browser.js';
import { BUSYBOX_IMAGE, removeTestHost } from '../test/helpers/engine.js';
import {
  Teardowns,
  percentile,
  startBenchControlPlane,
  type BenchControlPlane,
} from './control-plane.js';

const DIST = fileURLToPath(new URL('../packages/console/dist/', import.meta.url));
const CONTAINERS = 100;
const RENDERS = 7;
const STREAM_BYTES = 50 * 1024 * 1024;
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
    `  median ${percentile(times, 50).toFixed(0)} ms, best ${times[0]?.toFixed(0)} ms, worst ${times[times.length - 1]?.toFixed(0)} ms; budget 500 ms`,
  );
  return { cp, browser, page };
}

async function terminalStream(
  cleanup: Teardowns,
  { cp, page }: { cp: BenchControlPlane; page: Page },
): Promise<void> {
  // The 100 rows above sit on the simulated host; cordon it so the busybox lands on the real one.
  const [simulated] = (await cp.api(HostList, 'GET', '/hosts')).hosts;
  if (simulated !== undefined) await cp.api(Host, 'POST', `/hosts/${simulated.id}/cordon`);
  await cp.joinAgent('bench-console-real', { REXEC_RUNTIME: 'podman' });
  const real = await waitFor(async () =>
    (await cp.api(HostList, 'GET', '/hosts')).hosts.find(
      (host) => host.name === 'bench-console-real' && host.status === 'online',
    ),
  );
  cleanup.teardown(() => removeTestHost('podman', real.id));
  const box = await cp.api(Container, 'POST', '/containers', {
    name: 'bench-terminal',
    image: 'custom',
    custom_image: BUSYBOX_IMAGE,
    resources: { cpu_millicores: 1000, memory_mb: 256, disk_mb: 1024 },
  });
  await waitFor(async () => {
    const got = await cp.api(Container, 'GET', `/containers/${box.id}`);
    return got.status === 'running' ? got : undefined;
  });

  // The signed-in tab: its sessionStorage holds the token.
  await page.goto(`${cp.controlPlane.url}/#/containers/${box.id}/terminal`);
  await page.locator('[data-state="connected"]').waitFor({ timeout: 30_000 });
  await page.waitForFunction(() =>
    /[#$]\s*$/m.test(document.querySelector('.xterm-rows')?.textContent ?? ''),
  );
  // tsx compiles this file with esbuild's keepNames, which wraps named functions in __name();
  // the page has no such helper, so give it one.
  await page.evaluate('globalThis.__name = (fn) => fn');
  await page.evaluate(() => {
    const gaps: number[] = [];
    (window as unknown as { frameGaps: number[] }).frameGaps = gaps;
    let last = performance.now();
    const frame = (now: number) => {
      gaps.push(now - last);
      last = now;
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  await page.locator('.xterm-host').click();
  const started = performance.now();
  await page.keyboard.type(`yes | head -c ${STREAM_BYTES}; echo stream-$((40+2))-done\n`);
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll('.xterm-rows > div')].some((row) =>
        /^stream-42-done/.test(row.textContent ?? ''),
      ),
    undefined,
    { timeout: 600_000, polling: 500 },
  );
  const seconds = (performance.now() - started) / 1000;
  const gaps = await page.evaluate(() => (window as unknown as { frameGaps: number[] }).frameGaps);
  gaps.sort((a, b) => a - b);
  const over = gaps.filter((gap) => gap > 100).length;
  console.log(`terminal page under yes | head -c ${STREAM_BYTES / 1024 / 1024}M:`);
  console.log(
    `  ${seconds.toFixed(1)} s (${(STREAM_BYTES / 1024 / 1024 / seconds).toFixed(1)} MB/s); ${gaps.length} frames, p50 ${percentile(gaps, 50).toFixed(1)} ms, p99 ${percentile(gaps, 99).toFixed(1)} ms, longest ${gaps[gaps.length - 1]?.toFixed(0)} ms, ${over} over 100 ms; budget: none over 100 ms`,
  );
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function main(): Promise<void> {
  await initialJavaScript();
  const cleanup = new Teardowns();
  try {
    const running = await firstRender(cleanup);
    await terminalStream(cleanup, running);
    if (running.browser.problems.length > 0)
      console.log('page problems:', running.browser.problems);
  } finally {
    await cleanup.run();
  }
}

await main();
