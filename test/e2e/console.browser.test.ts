/**
 * The admin console against the real local stack (the API, dynalite, the KMS stand-in), in
 * Chromium: sign in with the admin key npm start prints, rename and recolour the organisation,
 * create a send key that then sends, and see the change in the audit trail the API returns; add a
 * webhook to a receiver on this machine (local mode says why http:// is allowed) and test it.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../functions/entries/local/start-local.ts';
import { startTestStack } from '../helpers/local-stack.ts';
import { describeBrowser, launchChromium } from '../helpers/browser.ts';
import { startReceiver } from '../helpers/webhook-receiver.ts';
import { openConsoleSection, signInToConsole } from '../web/admin-server.ts';

describeBrowser('admin console on the real stack', () => {
  let stack: LocalStack;
  let browser: Browser;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      startTestStack({ maintenanceIntervalMs: 0 }),
      launchChromium(),
    ]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('signs in with the printed admin key, saves settings, creates a working send key, and the change is audited', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('pageerror', (error) => violations.push(error.message));
    await page.addInitScript(() => document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP ${e.violatedDirective}`)));
    page.on('console', (m) => { if (m.text().startsWith('CSP')) violations.push(m.text()); });

    await page.goto(`${stack.appUrl}/admin`);
    await page.getByLabel('Admin key').fill(stack.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 2, name: 'Settings' }).waitFor();
    await expect(page.getByLabel('Organisation name').inputValue()).resolves.toBe('Demo Health Clinic');

    await page.getByLabel('Organisation name').fill('Demo Clinic North');
    await page.getByLabel('Brand colour', { exact: true }).fill('#0f766e');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(async () => (await fetch(`${stack.appUrl}/v1/admin/settings`, { headers: { Authorization: `Bearer ${stack.adminKey}` } }).then((r) => r.json()) as { displayName: string }).displayName).toBe('Demo Clinic North');

    await page.getByRole('navigation', { name: 'Console sections' }).getByRole('button', { name: 'API keys' }).click();
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByRole('textbox', { name: 'API key' });
    await shown.waitFor();
    const key = await shown.inputValue();
    const sent = await fetch(`${stack.appUrl}/v1/messages`, {
      method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ to: ['patient@example.com'], subject: 'From a console key', text: 'x' }),
    });
    expect(sent.status).toBe(201);

    const feed = await (await fetch(`${stack.appUrl}/v1/events?type=settings_changed,key_created`, { headers: { Authorization: `Bearer ${stack.adminKey}` } })).json() as { events: { type: string; after?: Record<string, unknown> }[] };
    expect(feed.events.map((e) => e.type)).toEqual(['settings_changed', 'key_created']);
    expect(feed.events[0]?.after).toEqual({ displayName: 'Demo Clinic North', 'brand.primaryColor': '#0f766e' });
    expect(await page.evaluate(() => [localStorage.length, document.cookie, location.href])).toEqual([0, '', `${stack.appUrl}/admin`]);
    expect(violations).toEqual([]);
    await context.close();
  });

  it('changes a Message Center message\'s expiry and issues its recovery link through the real API, and shows both in its history', async () => {
    const admin = { Authorization: `Bearer ${stack.adminKey}` };
    const settings = await fetch(`${stack.appUrl}/v1/admin/settings`, { headers: admin });
    await fetch(`${stack.appUrl}/v1/admin/settings`, { method: 'PATCH', headers: { ...admin, 'Content-Type': 'application/json', 'If-Match': settings.headers.get('ETag') ?? '' }, body: JSON.stringify({ messageCenter: true }) });
    const sent = await fetch(`${stack.appUrl}/v1/messages`, {
      method: 'POST', headers: { Authorization: `Bearer ${stack.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ to: ['erin@example.com'], subject: 'Referral', text: 'x' }),
    });
    const { id } = await sent.json() as { id: string };
    const context = await browser.newContext();
    const page = await signInToConsole(await context.newPage(), stack.appUrl, stack.adminKey);
    await openConsoleSection(page, 'Messages');

    await page.getByRole('button', { name: 'erin@example.com' }).click();
    await page.getByRole('button', { name: 'Change expiry…' }).click();
    await page.getByRole('dialog').getByLabel('New expiry, in days from now').fill('2');
    await page.getByRole('dialog').getByRole('button', { name: 'Change expiry' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Recover…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Create recovery link' }).click();
    const link = await page.getByRole('textbox', { name: 'Recovery link' }).inputValue();

    expect(link).toMatch(new RegExp(`^${stack.appUrl}/m/${id}#recover:[A-Za-z0-9_-]{43}$`));
    const status = await (await fetch(`${stack.appUrl}/v1/messages/${id}`, { headers: admin })).json() as { expiresAt: string; events: { type: string }[] };
    expect(Math.round((Date.parse(status.expiresAt) - Date.now()) / 86_400_000)).toBe(2);
    expect(status.events.map((e) => e.type)).toEqual(['created', 'notified', 'expiry_changed', 'recovered']);
    await expect.poll(() => page.getByRole('list', { name: `History of message ${id}` }).innerText()).toMatch(/Recovery link issued by you[\s\S]*Expiry changed by you/);
    await context.close();
  });

  it('adds a webhook to a receiver on this machine, which local mode says it allows, and shows a delivered test as the last delivery, also after a reload', async () => {
    const receiver = await startReceiver();
    const context = await browser.newContext({ timezoneId: 'UTC' });
    try {
      const page = await signInToConsole(await context.newPage(), stack.appUrl, stack.adminKey);
      await openConsoleSection(page, 'Webhooks');
      const url = page.getByLabel('Endpoint URL');
      expect(await page.locator(`#${await url.getAttribute('id')}-hint`).textContent()).toContain('local mode (npm start), which also accepts http://');

      await url.fill(receiver.url);
      await page.getByRole('button', { name: 'Add webhook' }).click();
      await page.getByRole('button', { name: 'Done, I have stored it' }).click();
      const card = page.getByRole('listitem').filter({ hasText: receiver.url });
      const last = card.getByRole('definition').filter({ hasText: /test event|none yet/ });
      await expect.poll(() => last.innerText()).toBe('none yet');
      await card.getByRole('button', { name: 'Send test event' }).click();

      await expect.poll(() => card.locator('.result').textContent()).toBe('Test event delivered (HTTP 204).');
      expect(receiver.received).toHaveLength(1);
      await expect.poll(() => last.innerText()).toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M UTC · test event · delivered \(HTTP 204\)$/);
      // The key stays in the tab's session: a reload is still signed in.
      await page.reload();
      await page.getByRole('heading', { level: 2, name: 'Settings' }).waitFor();
      await openConsoleSection(page, 'Webhooks');
      await expect.poll(() => page.getByRole('listitem').filter({ hasText: receiver.url }).getByRole('definition').filter({ hasText: /test event|none yet/ }).innerText())
        .toContain('test event · delivered (HTTP 204)');
    } finally {
      await context.close();
      await receiver.close();
    }
  });
});
