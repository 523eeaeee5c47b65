// The terminal part of bench/console.ts: the terminal page under `yes | head -c N` from a real
// busybox shell (time, MB/s and the gaps between animation frames), the same command under
// `podman exec -it` in a PTY with no Rexec in between (what the PTY path itself allows), and the
// page fed by an in-page stand-in for its socket as fast as it draws (what the page can take).
// Set-up of the control plane and the signed-in tab is bench/console.ts's.
import { loadavg } from 'node:os';
import { spawn } from 'node-pty';
import type { Page } from 'playwright-core';
import { Container, Host, HostList } from '@rexec/protocol';
import { BUSYBOX_IMAGE, removeTestHost } from '../test/helpers/engine.js';
import { percentile, type BenchControlPlane, type Teardowns } from './control-plane.js';
import { browserApart } from './cpu-affinity.js';

const STREAM_MB = Number(process.env['REXEC_BENCH_STREAM_MB'] ?? 50);
if (!Number.isInteger(STREAM_MB) || STREAM_MB < 1) {
  throw new Error(`REXEC_BENCH_STREAM_MB must be a positive integer, got ${String(STREAM_MB)}`);
}
const STREAM_BYTES = STREAM_MB * 1024 * 1024;
/** What the in-page stand-in hands the terminal per animation frame: one socket window. */
const FEED_BYTES_PER_FRAME = 256 * 1024;
/** Under xterm's 50 MB write-buffer limit, past which it drops data, should it fall behind. */
const FEED_MB = Math.min(STREAM_MB, 20);
/** What the shell prints at the end of a run: typed as `stream-$((40+n))-done` so the echo of the typed line never matches. */
const doneMarker = (run: number) => `stream-${40 + run}-done`;

export const load = () =>
  `load ${loadavg()
    .map((each) => each.toFixed(1))
    .join(' ')}`;

export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function recordFrames(page: Page): Promise<void> {
  // tsx compiles this file with esbuild's keepNames, which wraps named functions in __name();
  // the page has no such helper, so give it one.
  await page.evaluate('globalThis.__name = (fn) => fn');
  await page.evaluate(() => {
    const gaps: number[] = [];
    const ends: number[] = [];
    const tasks: [number, number][] = [];
    const recorded = window as unknown as FrameRecord;
    recorded.frameGaps = gaps;
    recorded.frameEnds = ends;
    recorded.longTasks = tasks;
    // Tasks of the page's own main thread over 50 ms: a long frame with none inside it was lost
    // outside the page's JavaScript (rendering, or the process waiting for a core).
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) tasks.push([entry.startTime, entry.duration]);
    }).observe({ type: 'longtask' });
    let last = performance.now();
    const frame = (now: number) => {
      gaps.push(now - last);
      ends.push(now);
      last = now;
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
}

interface FrameRecord {
  frameGaps: number[];
  frameEnds: number[];
  longTasks: [number, number][];
}

async function report(page: Page, title: string, mb: number, seconds: number): Promise<void> {
  const record = await page.evaluate(() => {
    const { frameGaps, frameEnds, longTasks } = window as unknown as FrameRecord;
    return { frameGaps, frameEnds, longTasks };
  });
  const long = record.frameGaps
    .map((gap, i) => ({ gap, end: record.frameEnds[i] ?? 0 }))
    .filter(({ gap }) => gap > 100);
  const withTask = long.filter(({ gap, end }) =>
    record.longTasks.some(([start, duration]) => start < end && start + duration > end - gap),
  ).length;
  const gaps = [...record.frameGaps].sort((a, b) => a - b);
  const longestTask = Math.max(0, ...record.longTasks.map(([, duration]) => duration));
  console.log(`${title}:`);
  console.log(
    `  ${seconds.toFixed(1)} s (${(mb / seconds).toFixed(2)} MB/s); ${gaps.length} frames, p50 ${percentile(gaps, 50).toFixed(1)} ms, p99 ${percentile(gaps, 99).toFixed(1)} ms, longest ${gaps[gaps.length - 1]?.toFixed(0)} ms, ${long.length} over 100 ms; budget: none over 100 ms (${load()})`,
  );
  console.log(
    `  page tasks over 50 ms: ${record.longTasks.length} (longest ${longestTask.toFixed(0)} ms); frames over 100 ms with one inside: ${withTask} of ${long.length}`,
  );
}

async function waitForDone(page: Page, marker: string): Promise<void> {
  await page.waitForFunction(
    (pattern) =>
      [...document.querySelectorAll('.xterm-rows > div')].some((row) =>
        new RegExp(pattern).test(row.textContent ?? ''),
      ),
    `^${marker}`,
    { timeout: 1_800_000, polling: 500 },
  );
}

async function realStream(
  page: Page,
  url: string,
  box: string,
  run: { number: number; session?: string; title: string },
): Promise<void> {
  const session = run.session === undefined ? '' : `/${run.session}`;
  await page.goto(`${url}/#/containers/${box}/terminal${session}`);
  // A fresh document, so the frames recorded are this run's only.
  if (run.number > 1) await page.reload();
  await page.locator('[data-state="connected"]').waitFor({ timeout: 30_000 });
  await page.waitForFunction(() =>
    /[#$]\s*$/m.test(document.querySelector('.xterm-rows')?.textContent ?? ''),
  );
  await recordFrames(page);
  await page.locator('.xterm-host').click();
  const started = performance.now();
  await page.keyboard.type(
    `yes | head -c ${STREAM_BYTES}; echo stream-$((40+${run.number}))-done\n`,
  );
  await waitForDone(page, doneMarker(run.number));
  const seconds = (performance.now() - started) / 1000;
  await report(
    page,
    `terminal page under yes | head -c ${STREAM_MB}M${run.title}`,
    STREAM_MB,
    seconds,
  );
}

/**
 * The stream again in a new shell, started after the browser was given a CPU of its own, so the
 * shell and everything it starts stay on the fleet's side.
 */
async function streamWithBrowserApart(page: Page, url: string, box: string): Promise<void> {
  const apart = await browserApart();
  if (apart === null) {
    console.log('(one CPU: the browser cannot be kept apart from the fleet)');
    return;
  }
  try {
    await realStream(page, url, box, {
      number: 2,
      session: `web-apart${Date.now().toString(16)}`,
      title: `, ${apart.description}`,
    });
  } finally {
    await apart.undo();
  }
}

/** The same command in the same container under `podman exec -it` in a PTY, without Rexec. */
async function ptyBaseline(box: string): Promise<void> {
  const started = performance.now();
  const pty = spawn(
    'podman',
    ['exec', '-it', `rexec-${box}`, 'sh', '-c', `yes | head -c ${STREAM_BYTES}`],
    { cols: 120, rows: 40 },
  );
  let bytes = 0;
  pty.onData((data) => (bytes += data.length));
  await new Promise<void>((resolve) => pty.onExit(() => resolve()));
  const seconds = (performance.now() - started) / 1000;
  console.log(`the same under podman exec -it in a PTY (node-pty), no Rexec, no browser:`);
  console.log(
    `  ${seconds.toFixed(1)} s (${(STREAM_MB / seconds).toFixed(2)} MB/s, ${(bytes / 1024 / 1024).toFixed(1)} MB with the tty's CRs) (${load()})`,
  );
}

/**
 * The terminal page with WebSocket replaced, for terminal URLs only, by a stand-in that answers
 * `ready` and then hands over `y\r\n` lines, one window per animation frame, then the marker.
 * Everything from the SDK's terminal session to xterm's renderer is the console's real code.
 */
async function fedStream(page: Page, url: string, box: string): Promise<void> {
  await page.addInitScript('globalThis.__name = (fn) => fn');
  await page.addInitScript(
    ({ total, perFrame, marker }: { total: number; perFrame: number; marker: string }) => {
      const Real = window.WebSocket;
      class Fed extends EventTarget {
        binaryType = 'arraybuffer';
        readyState = 0;
        constructor(address: string) {
          super();
          const session = new URL(address).searchParams.get('session') ?? 'fed';
          setTimeout(() => {
            this.readyState = 1;
            this.dispatchEvent(new Event('open'));
            const ready = JSON.stringify({ type: 'ready', session, resumed: false });
            this.dispatchEvent(new MessageEvent('message', { data: ready }));
            // 4 KiB messages, as the agent's PTY reads arrive.
            const chunk = new TextEncoder().encode('y\r\n'.repeat(1365)).buffer;
            let sent = 0;
            const pump = () => {
              for (let frame = 0; frame < perFrame && sent < total; frame += chunk.byteLength) {
                this.dispatchEvent(new MessageEvent('message', { data: chunk.slice(0) }));
                sent += chunk.byteLength;
              }
              if (sent < total) requestAnimationFrame(pump);
              else {
                const done = new TextEncoder().encode(`${marker}\r\n`).buffer;
                this.dispatchEvent(new MessageEvent('message', { data: done }));
              }
            };
            requestAnimationFrame(pump);
          }, 0);
        }
        send(): void {}
        close(): void {}
      }
      window.WebSocket = new Proxy(Real, {
        construct: (target, args: [string, string[]]) =>
          args[0].includes('/terminal') ? new Fed(args[0]) : new target(...args),
      });
    },
    { total: FEED_MB * 1024 * 1024, perFrame: FEED_BYTES_PER_FRAME, marker: doneMarker(3) },
  );
  await page.goto(`${url}/#/containers/${box}/terminal`);
  await page.reload();
  await page.locator('[data-state="connected"]').waitFor({ timeout: 30_000 });
  await recordFrames(page);
  const started = performance.now();
  await waitForDone(page, doneMarker(3));
  const seconds = (performance.now() - started) / 1000;
  await report(
    page,
    `terminal page fed ${FEED_MB} MB of y lines in the page (no socket)`,
    FEED_MB,
    seconds,
  );
}

export async function terminalFigures(
  cleanup: Teardowns,
  { cp, page }: { cp: BenchControlPlane; page: Page },
): Promise<void> {
  // The 100 rows sit on the simulated host; cordon it so the busybox lands on the real one.
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
  const url = cp.controlPlane.url;
  // The signed-in tab: its sessionStorage holds the token.
  await realStream(page, url, box.id, { number: 1, title: ', browser and fleet sharing the CPUs' });
  await ptyBaseline(box.id);
  await streamWithBrowserApart(page, url, box.id);
  // Last: its stand-in for WebSocket stays in the page for every later navigation.
  await fedStream(page, url, box.id);
}
