// The console's admin pages in a real Chromium against a real control plane on Postgres, with
// REXEC_HOST_APPROVAL=manual: join tokens (create with the install command and its copy button,
// list, revoke), hosts (approve a pending host, trust one without network isolation), users
// (disable, enable, change tier, delete) and tiers (a rate limit saved, a bad value refused on its
// field), with a screenshot of each page. The host is the simulated agent of the hub tests
// (agent-peer.ts): a real agent's isolation depends on this machine's firewall, and the point here
// is a host that reports none; console.test.ts drives a real agent.
import {
  AGENT_ENROLL_PATH,
  AgentEnrollResponse,
  TierList,
  UserCreated,
  UserList,
} from '@rexec/protocol';
import type { Page } from 'playwright-core';
import t from 'tap';
import { AgentPeer } from '../control-plane/hub/agent-peer.js';
import { startFleet } from '../e2e/fleet.js';
import { startBrowser } from './browser.js';

async function signIn(page: Page, token: string): Promise<void> {
  await page.fill('#token', token);
  await page.click('button[type=submit]');
  await page.waitForSelector('header.top');
}

async function enroll(base: string, joinToken: string, hostName: string): Promise<AgentPeer> {
  const response = await fetch(`${base}${AGENT_ENROLL_PATH}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${joinToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ host_name: hostName, agent_version: '0.1.0', protocol_version: 1 }),
  });
  if (response.status !== 201) throw new Error(`enroll answered ${response.status}`);
  const { credential } = AgentEnrollResponse.parse(await response.json());
  return AgentPeer.connect(base, credential);
}

void t.test('the admin pages in a real browser', async (t) => {
  const fleet = await startFleet(t, { env: { REXEC_HOST_APPROVAL: 'manual' } });
  const url = fleet.controlPlane.url;
  const browser = await startBrowser(t);
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
  const admin = await browser.page();
  await admin.goto(url);
  await signIn(admin, fleet.controlPlane.adminToken);

  let joinToken = '';
  await t.test('join tokens: create with the install command, copy, list, revoke', async (t) => {
    await admin.click('nav >> text=Join tokens');
    await admin.getByText('No join tokens.').waitFor();
    await admin.click('text=Create join token');
    const command = (await admin.locator('.secret-value').first().textContent()) ?? '';
    const match = /^sudo deploy\/install-agent\.sh --url (\S+) --join-token (\S+)$/.exec(command);
    t.ok(match, `the exact install command: ${command}`);
    t.equal(match?.[1], url, 'with this control plane as the URL');
    joinToken = match?.[2] ?? '';
    await admin.locator('.secret').getByRole('button', { name: 'Copy' }).click();
    await admin.getByText('Copied.').waitFor();
    t.equal(await admin.evaluate(() => navigator.clipboard.readText()), command, 'copied');
    await admin.locator('tr[data-status="active"]').waitFor();

    // A second token, revoked from the list after a confirmation.
    await admin.click('text=Create join token');
    await admin.locator('tr[data-status="active"]').nth(1).waitFor();
    const doomed = admin.locator('tr[data-join-token]').first();
    const doomedId = await doomed.getAttribute('data-join-token');
    let asked = '';
    admin.once('dialog', (dialog) => {
      asked = dialog.message();
      void dialog.accept();
    });
    await doomed.getByRole('button', { name: 'Revoke' }).click();
    await admin.locator(`tr[data-join-token="${doomedId}"]`).waitFor({ state: 'detached' });
    t.match(asked, /can no longer enroll a host/, 'revoking was confirmed');
    t.equal(await admin.locator('tr[data-join-token]').count(), 1, 'one token left');
    await browser.screenshot(admin, 'admin-join-tokens');
  });

  await t.test('hosts: approve a pending host, trust one without network isolation', async (t) => {
    const peer = await enroll(url, joinToken, 'console-pending');
    t.teardown(() => peer.close());
    const welcome = await peer.hello({
      hostName: 'console-pending',
      runtime: {
        kind: 'podman',
        version: '4.3.1',
        disk_enforcement: 'none',
        network_shaping: false,
        network_isolation: false,
      },
    });
    peer.keepAlive(welcome.heartbeat_interval_ms);

    await admin.click('nav >> text=Hosts');
    const card = admin.locator('[data-host="console-pending"]');
    await card.locator('[data-scheduling="pending"]').waitFor();
    t.equal(await card.getByRole('button', { name: 'Cordon' }).count(), 0, 'no cordon yet');
    t.match(await card.locator('[data-isolation]').textContent(), /not isolated; no containers/);
    await browser.screenshot(admin, 'admin-hosts-pending');
    await card.getByRole('button', { name: 'Approve' }).click();
    await card.locator('[data-scheduling="active"]').waitFor();

    admin.once('dialog', (dialog) => void dialog.accept());
    await card.getByRole('button', { name: 'Trust' }).click();
    await card.locator('[data-trusted="true"]').waitFor();
    t.match(await card.locator('[data-isolation]').textContent(), /trusted by an admin/);
    const [host] = (await fleet.hosts()).filter((each) => each.name === 'console-pending');
    t.match(host, { scheduling: 'active', trusted: true, network_isolation: false });
    await card.getByRole('button', { name: 'Untrust' }).click();
    await card.locator('[data-trusted="false"]').waitFor();
    await browser.screenshot(admin, 'admin-hosts');

    await admin.click('nav >> text=Join tokens');
    await admin.locator('tr[data-status="used"]').waitFor();
    t.pass('the join token the host used is listed as used');
  });

  await t.test('users: change tier, disable, enable, delete', async (t) => {
    const created = await fleet.apiAs(UserCreated, 'POST', '/users', { name: 'carol' });
    await admin.click('nav >> text=Users');
    const row = admin.locator('tr[data-user="carol"]');
    await row.waitFor();
    const me = admin.locator('tr[data-user]', { has: admin.getByText('you', { exact: true }) });
    t.equal(await me.count(), 1, 'no disabling or deleting oneself');
    t.equal(await me.getByRole('button').count(), 0);

    await row.getByLabel('Tier of carol').selectOption('pro');
    await fleet.waitFor('carol on pro', async () => {
      const { users } = await fleet.apiAs(UserList, 'GET', '/users');
      return users.find((user) => user.id === created.user.id && user.tier === 'pro');
    });

    admin.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Disable' }).click();
    await admin.locator('tr[data-user="carol"][data-disabled="true"]').waitFor();
    const refused = await fleet.api('GET', '/me', undefined, created.token);
    t.match(refused, { status: 401, body: { code: 'user_disabled' } }, "carol's token refused");
    await browser.screenshot(admin, 'admin-users');
    await row.getByRole('button', { name: 'Enable' }).click();
    await admin.locator('tr[data-user="carol"][data-disabled="false"]').waitFor();
    t.equal((await fleet.api('GET', '/me', undefined, created.token)).status, 200);

    admin.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.waitFor({ state: 'detached' });
    const { users } = await fleet.apiAs(UserList, 'GET', '/users');
    t.notOk(
      users.some((user) => user.id === created.user.id),
      'gone from the server',
    );
  });

  await t.test('tiers: a rate limit saved, a bad value refused on its field', async (t) => {
    await admin.click('nav >> text=Tiers');
    const form = admin.getByRole('form', { name: 'Tier community' });
    await form.getByLabel('Creates / min').fill('7');
    await form.getByRole('button', { name: 'Save community' }).click();
    await form.getByText('Saved.').waitFor();
    const { tiers } = await fleet.apiAs(TierList, 'GET', '/tiers');
    t.match(tiers.find((tier) => tier.name === 'community')?.rate_limits, {
      create_per_minute: 7,
    });

    const fresh = admin.getByRole('form', { name: 'Tier community' });
    // Above any machine's memory: the form lets it through, the server names the field.
    await fresh.getByLabel('Memory (MB)').fill('999999999');
    await fresh.getByRole('button', { name: 'Save community' }).click();
    await fresh.locator('.field-error').waitFor();
    t.ok(await fresh.locator('.field-error').textContent(), 'the refusal is shown on the field');
    await browser.screenshot(admin, 'admin-tiers');
  });

  t.same(browser.problems, [], 'no CSP violations or script errors');
});
