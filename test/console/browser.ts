// A real Chromium for the console suites: Debian's /usr/bin/chromium driven by playwright-core
// (never a downloaded browser), headless, with a fresh profile directory removed at teardown.
// Collects what the pages complain about (CSP violations, uncaught errors) so tests can assert
// there was none, and saves screenshots under the gitignored .artifacts/console/.
// Callbacks run in the page, so the DOM types are needed beside Node's.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { Test } from 'tap';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '.artifacts',
  'console',
);

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const EXPECTED_NOISE =
  /the server responded with a status of \d{3}|net::ERR_CONNECTION_REFUSED|WebSocket connection to '[^']+' failed/;

export interface Browser {
  context: BrowserContext;
  /** A new tab; its sessionStorage is its own, as in a real browser. */
  page(): Promise<Page>;
  /** Every CSP violation, console error and uncaught page error seen so far. */
  problems: string[];
  screenshot(page: Page, name: string): Promise<string>;
}

export async function startBrowser(
  t: Test,
  options: { colorScheme?: 'light' | 'dark' } = {},
): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'rexec-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 800 },
    colorScheme: options.colorScheme ?? 'light',
  });
  t.teardown(async () => {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  });
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const problems: string[] = [];
  const watch = (page: Page) => {
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // A browser logs every HTTP error answer and every refused connection, and the tests cause
      // both (401, 404, 409, 503; a restarted control plane). CSP refusals and script errors are
      // logged differently and are kept.
      if (message.type() !== 'error' || EXPECTED_NOISE.test(message.text())) return;
      problems.push(`console: ${message.text()}`);
    });
  };
  // Chrome logs CSP refusals too; the event also catches those a page would not log.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
    });
  });
  context.on('page', watch);
  for (const page of context.pages()) watch(page);
  return {
    context,
    async page() {
      const [existing] = context.pages();
      if (existing !== undefined && existing.url() === 'about:blank') return existing;
      return context.newPage();
    },
    problems,
    async screenshot(page, name) {
      const path = join(ARTIFACTS_DIR, `${name}.png`);
      await page.screenshot({ path });
      return path;
    },
  };
}
