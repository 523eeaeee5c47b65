// The web console in a real Chromium against a real control plane (real Postgres) and agent
// (real engine): security headers, a refused token in words, creating a busybox container and
// watching it go creating -> running, its terminal (echo, resize with `stty size`, reload and a
// dropped connection resume the same shell with its scrollback), stop and delete, one user not seeing another's containers,
// a cordoned host making the create form say there is no capacity, and a screenshot of each page.
import { UserCreated } from '@rexec/protocol';
import type { Page } from 'playwright-core';
import t from 'tap';
import { BUSYBOX_IMAGE } from '../helpers/engine.js';
import { startFleet } from '../e2e/fleet.js';
import { startBrowser } from './browser.js';

const BOX = { cpu: '250', memory: '128', disk: '1024', network: '10' };

/** The text xterm shows (its DOM renderer's rows), lines joined with newlines. */
function screenText(page: Page): Promise<string> {
  return page.$$eval('.xterm-rows > div', (rows) => rows.map((row) => row.textContent).join('\n'));
}

async function waitForScreen(page: Page, pattern: RegExp): Promise<RegExpExecArray> {
  const source = pattern.source;
  const flags = pattern.flags;
  await page.waitForFunction(
    ({ s, f }: { s: string; f: string }) => {
      const rows = [...document.querySelectorAll('.xterm-rows > div')];
      return new RegExp(s, f).test(rows.map((row) => row.textContent).join('\n'));
    },
    { s: source, f: flags },
    { timeout: 20_000 },
  );
  const match = pattern.exec(await screenText(page));
  if (match === null) throw new Error(`screen stopped matching ${pattern}`);
  return match;
}

async function typeLine(page: Page, line: string): Promise<void> {
  await page.locator('.xterm-host').click();
  await page.keyboard.type(`${line}\n`);
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.fill('#token', token);
  await page.click('button[type=submit]');
  await page.waitForSelector('header.top');
}

void t.test('the web console in a real browser', async (t) => {
  const fleet = await startFleet(t);
  const { hostId } = await fleet.joinAgent('console-host');
  const browser = await startBrowser(t);
  const url = fleet.controlPlane.url;
  const admin = await browser.page();

  const first = await admin.goto(url);
  t.ok(first, 'the console answers at /');
  const headers = first?.headers() ?? {};
  t.match(headers['content-security-policy'], /script-src 'self'(;|$)/, 'scripts from self only');
  t.match(headers['content-security-policy'], /frame-ancestors 'none'/);
  t.equal(headers['x-frame-options'], 'DENY');
  t.equal(headers['referrer-policy'], 'no-referrer');
  t.equal(headers['cache-control'], 'no-cache', 'index.html is revalidated');
  const script = await admin.$eval('script[type=module]', (el) => (el as HTMLScriptElement).src);
  const asset = await fetch(script, { headers: { 'accept-encoding': 'gzip' } });
  t.match(asset.headers.get('cache-control'), /immutable/, 'hashed assets are cached long');
  t.equal(asset.headers.get('content-encoding'), 'gzip');

  await t.test('a bad token is refused in words', async (t) => {
    await admin.fill('#token', `rexec_${'0'.repeat(64)}`);
    await admin.click('button[type=submit]');
    const alert = admin.getByRole('alert');
    await alert.waitFor();
    t.match(
      await alert.textContent(),
      /not accepted: The API token is unknown or has been revoked/,
    );
    await browser.screenshot(admin, 'login-refused');
    t.equal(await admin.evaluate(() => sessionStorage.getItem('rexec.token')), null);
  });

  await signIn(admin, fleet.controlPlane.adminToken);
  t.equal(
    await admin.evaluate(() => sessionStorage.getItem('rexec.token')),
    fleet.controlPlane.adminToken,
    'the token is kept in sessionStorage',
  );
  t.notMatch(admin.url(), /rexec_/, 'the token is never in the URL');
  await admin.getByText('No containers yet').waitFor();
  await browser.screenshot(admin, 'containers-empty');

  let boxId = '';
  await t.test('create a busybox container and see creating -> running', async (t) => {
    await admin.click('text=New container');
    await admin.selectOption('#image', 'custom');
    await admin.fill('#custom_image', BUSYBOX_IMAGE);
    await admin.fill('#name', 'console-box');
    await admin.fill('#memory_mb', '99999999');
    await admin.click('button[type=submit]');
    t.match(
      await admin.locator('#resources\\.memory_mb-error').textContent(),
      /at most \d+ on the \w+ tier/,
      'a value over the tier maximum is refused in the form',
    );
    await admin.fill('#cpu_millicores', BOX.cpu);
    await admin.fill('#memory_mb', BOX.memory);
    await admin.fill('#disk_mb', BOX.disk);
    await admin.fill('#network_mbps', BOX.network);
    await browser.screenshot(admin, 'create-form');
    // Record every status the row shows, from the first render on.
    await admin.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seenStatuses: string[] }).seenStatuses = seen;
      new MutationObserver(() => {
        const status = document
          .querySelector('tr[data-name="console-box"] [data-status]')
          ?.getAttribute('data-status');
        if (status && seen[seen.length - 1] !== status) seen.push(status);
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await admin.click('button[type=submit]');
    await admin.locator('tr[data-name="console-box"] [data-status="running"]').waitFor({
      timeout: 60_000,
    });
    const seen = await admin.evaluate(
      () => (window as unknown as { seenStatuses: string[] }).seenStatuses,
    );
    t.same(seen, ['creating', 'running'], 'the list showed creating, then running');
    await browser.screenshot(admin, 'containers');
    const listed = await fleet.api('GET', '/containers/console-box');
    boxId = (listed.body as { id: string }).id;

    // The same name again: the server's name_taken lands on the name field.
    await admin.click('text=New container');
    await admin.selectOption('#image', 'custom');
    await admin.fill('#custom_image', BUSYBOX_IMAGE);
    await admin.fill('#name', 'console-box');
    await admin.fill('#memory_mb', BOX.memory);
    await admin.click('button[type=submit]');
    t.match(await admin.locator('#name-error').textContent(), /already have a container named/);
    await admin.click('nav >> text=Containers');
  });

  await t.test('the terminal: echo, resize, reload resumes with scrollback', async (t) => {
    await admin.click('tr[data-name="console-box"] >> text=Terminal');
    await admin.locator('[data-state="connected"]').waitFor({ timeout: 30_000 });
    t.match(
      admin.url(),
      /#\/containers\/[^/]+\/terminal\/web-[0-9a-f]+$/,
      'a session id in the URL',
    );
    // Keys typed before the shell's prompt would be echoed twice (by the tty, then the shell).
    await waitForScreen(admin, /[#$]\s*$/m);
    await typeLine(admin, 'echo console-$((6*7)) pid-$$');
    const [, pid] = await waitForScreen(admin, /^console-42 pid-(\d+)/m);
    await browser.screenshot(admin, 'terminal');

    const host = admin.locator('.xterm-host');
    const colsBefore = await host.getAttribute('data-cols');
    await admin.setViewportSize({ width: 800, height: 560 });
    await admin.waitForFunction(
      (before) => document.querySelector<HTMLElement>('.xterm-host')?.dataset['cols'] !== before,
      colsBefore,
    );
    const cols = await host.getAttribute('data-cols');
    const rows = await host.getAttribute('data-rows');
    let size: RegExpExecArray | null = null;
    for (let attempt = 1; attempt <= 10 && size === null; attempt++) {
      await typeLine(admin, `echo size-${attempt} $(stty size)`);
      const [line] = await waitForScreen(admin, new RegExp(`^size-${attempt} \\d+ \\d+`, 'm'));
      if (line === `size-${attempt} ${rows} ${cols}`) size = [line] as unknown as RegExpExecArray;
      else await new Promise((resolve) => setTimeout(resolve, 300));
    }
    t.ok(size, `stty size inside the container follows the window (${rows} ${cols})`);

    const terminalUrl = admin.url();
    await admin.reload();
    await admin.locator('[data-state="connected"]').waitFor({ timeout: 30_000 });
    t.equal(admin.url(), terminalUrl, 'the reload kept the session id');
    t.match(await admin.locator('[role=status]').textContent(), /resumed/);
    await waitForScreen(admin, /^console-42 pid-\d+/m);
    t.pass('the scrollback came back after the reload');
    await typeLine(admin, 'echo again-$$');
    const [, samePid] = await waitForScreen(admin, /^again-(\d+)/m);
    t.equal(samePid, pid, 'the same shell answered after the reload');

    // A real drop: the control plane restarts under the open page. The console reconnects on
    // its own to the same session once the agent is back, and the shell is still the same.
    await admin.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seenStates: string[] }).seenStates = seen;
      new MutationObserver(() => {
        const state = document.querySelector('[data-state]')?.getAttribute('data-state');
        if (state && seen[seen.length - 1] !== state) seen.push(state);
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await fleet.restartControlPlane();
    await admin.waitForFunction(
      () => {
        const seen = (window as unknown as { seenStates: string[] }).seenStates;
        return seen.includes('reconnecting') && seen[seen.length - 1] === 'connected';
      },
      undefined,
      { timeout: 60_000 },
    );
    t.pass('the console saw the drop and reconnected on its own');
    await typeLine(admin, 'echo back-$$');
    const [, afterDrop] = await waitForScreen(admin, /^back-(\d+)/m);
    t.equal(afterDrop, pid, 'the same shell answered after the connection dropped');
    await admin.setViewportSize({ width: 1280, height: 800 });

    await typeLine(admin, 'exit');
    await admin.locator('[data-state="exited"]').waitFor({ timeout: 20_000 });
    t.match(await admin.locator('[role=status]').textContent(), /exited with code 0/);
    await admin.click('text=← Containers');
  });

  let bobToken = '';
  await t.test('admin pages: users, tiers, hosts, join tokens', async (t) => {
    await admin.setViewportSize({ width: 1280, height: 800 });
    await admin.click('nav >> text=Users');
    await admin.fill('#user-name', 'bob');
    await admin.click('text=Create user');
    const secret = admin.locator('.secret-value');
    await secret.waitFor();
    bobToken = (await secret.textContent()) ?? '';
    t.match(bobToken, /^rexec_[0-9a-f]{64}$/, 'the first token is shown once');
    await admin.locator('tr[data-user="bob"]').waitFor();
    await browser.screenshot(admin, 'users');

    await admin.click('nav >> text=Tiers');
    await admin.getByRole('form', { name: 'Tier community' }).waitFor();
    await browser.screenshot(admin, 'tiers');

    await admin.click('nav >> text=Join tokens');
    await admin.click('text=Create join token');
    t.match(
      await admin.locator('.secret-value').first().textContent(),
      /install-agent\.sh --url http:\/\/127\.0\.0\.1:\d+ --join-token \S+/,
    );
    await browser.screenshot(admin, 'join-tokens');

    await admin.click('nav >> text=Hosts');
    await admin.locator('[data-host="console-host"]').waitFor();
    await browser.screenshot(admin, 'hosts');

    await admin.click('nav >> text=Usage');
    await admin.getByText('Reserved by your containers').waitFor();
    await browser.screenshot(admin, 'usage');

    await admin.click('nav >> text=API tokens');
    await admin.fill('#token-name', 'laptop');
    await admin.click('text=Create token');
    t.match(await admin.locator('.secret-value').textContent(), /^rexec_[0-9a-f]{64}$/);
    await admin.locator('tr >> text=laptop').waitFor();
    await browser.screenshot(admin, 'tokens');
  });

  await t.test("a user cannot see another user's containers", async (t) => {
    UserCreated.shape.token.parse(bobToken);
    const bob = await browser.context.newPage();
    await bob.goto(url);
    await signIn(bob, bobToken);
    await bob.getByText('No containers yet').waitFor();
    t.equal(await bob.locator('tr[data-name="console-box"]').count(), 0);
    await bob.goto(`${url}/#/containers/${boxId}/logs`);
    t.match(await bob.getByRole('alert').textContent(), /not found/i, 'not found, not forbidden');
    t.equal(await bob.locator('nav >> text=Hosts').count(), 0, 'no admin pages for a user');
    await bob.close();
  });

  await t.test('a cordoned host leaves the create form without capacity', async (t) => {
    await admin.click('nav >> text=Hosts');
    const card = admin.locator('[data-host="console-host"]');
    await card.locator('text=Cordon').click();
    await card.locator('[data-scheduling="cordoned"]').waitFor();
    await admin.click('nav >> text=Containers');
    await admin.click('text=New container');
    await admin.selectOption('#image', 'custom');
    await admin.fill('#custom_image', BUSYBOX_IMAGE);
    await admin.fill('#memory_mb', BOX.memory);
    await admin.click('button[type=submit]');
    t.match(
      await admin.locator('.form-error').textContent(),
      /online hosts are cordoned, draining or without network isolation, so none takes new containers/,
      "the server's reason, in words",
    );
    await browser.screenshot(admin, 'create-no-capacity');
    await fleet.api('POST', `/hosts/${hostId}/uncordon`);
    await admin.click('nav >> text=Containers');
  });

  await t.test('stop and delete, each confirmed', async (t) => {
    const row = admin.locator('tr[data-name="console-box"]');
    admin.once('dialog', (dialog) => void dialog.accept());
    await row.locator('text=Stop').click();
    await row.locator('[data-status="stopped"]').waitFor({ timeout: 30_000 });
    t.match(await row.locator('.status').textContent(), /stopped \(user\)/);
    await browser.screenshot(admin, 'containers-stopped');
    admin.once('dialog', (dialog) => void dialog.accept());
    await row.locator('text=Delete').click();
    await row.waitFor({ state: 'detached', timeout: 30_000 });
    t.equal((await fleet.api('GET', `/containers/${boxId}`)).status, 404);
  });

  await t.test('a phone-sized window and the dark scheme', async () => {
    await admin.setViewportSize({ width: 390, height: 844 });
    await admin.emulateMedia({ colorScheme: 'dark' });
    await browser.screenshot(admin, 'containers-phone-dark');
  });

  t.same(browser.problems, [], 'no CSP violations or script errors');
});
