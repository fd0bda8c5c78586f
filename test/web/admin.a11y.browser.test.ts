/**
 * Accessibility of the admin console and the API reference, at 1280×800 and 390×844: axe-core finds
 * no violation in any state (every tab, every dialog, the panels a secret is shown in, errors); form
 * controls and focus rings keep 3:1 against their background; and the console's main journeys work
 * with the keyboard alone.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';

import { securityHeaders } from '../../functions/http/middleware/security-headers.ts';
import { faviconRoutes } from '../../functions/http/routes/favicon.ts';
import { openApiRoutes } from '../../functions/http/routes/openapi.ts';
import { buildWeb } from '../../web/build.ts';
import { axeViolations, offColourErrors, tabTo, VIEWPORTS, weakControlBorders, weakFocusRings } from '../helpers/accessibility.ts';
import { describeBrowser, launchChromium } from '../helpers/browser.ts';
import { SEND_KEY_ID, openConsoleSection, signInToConsole, startAdminServer, type AdminServer } from './admin-server.ts';

describeBrowser('accessibility of the admin console and the API reference', () => {
  let distDir: string;
  let server: AdminServer;
  let docs: { origin: string; close(): void };
  let browser: Browser;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    distDir = await mkdtemp(path.join(tmpdir(), 'sealpost-a11y-web-'));
    await buildWeb({ outDir: distDir });
    const app = new Hono();
    app.use('*', securityHeaders());
    app.route('/', faviconRoutes());
    app.route('/v1', openApiRoutes('http://localhost:3000'));
    const docsServer = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    docs = { origin: `http://127.0.0.1:${(docsServer.address() as AddressInfo).port}`, close: () => docsServer.close() };
    [server, browser] = await Promise.all([startAdminServer(distDir), launchChromium()]);
  }, 60_000);

  beforeEach(() => server.reset());

  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  afterAll(async () => {
    docs?.close();
    await Promise.all([browser?.close(), server?.close()]);
    await rm(distDir, { recursive: true, force: true });
  });

  async function aPage(viewport: { width: number; height: number }): Promise<Page> {
    context = await browser.newContext({ viewport, locale: 'en-US', timezoneId: 'UTC' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
    return context.newPage();
  }

  const signedIn = async (viewport: { width: number; height: number }): Promise<Page> => signInToConsole(await aPage(viewport), server.origin);
  const openSection = openConsoleSection;

  const messageButton = (page: Page, id: string) => page.locator(`button[data-message-id="${id}"]`);

  for (const [size, viewport] of Object.entries(VIEWPORTS)) {
    it(`finds no axe violation on the sign-in screen, empty and with an error, whose field, focus rings and error red are the recipient pages', at ${size} size`, async () => {
      const page = await aPage(viewport);
      await page.goto(`${server.origin}/admin`);
      await page.getByRole('heading', { level: 1, name: 'Sign in to the admin console' }).waitFor();
      const found = await axeViolations(page);
      found.push(...await weakControlBorders(page), ...await weakFocusRings(page, 10));

      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('#admin-key-error').waitFor();
      found.push(...await axeViolations(page), ...await offColourErrors(page));
      await page.emulateMedia({ colorScheme: 'dark' });
      found.push(...(await offColourErrors(page)).map((v) => `dark: ${v}`));
      await page.emulateMedia({ colorScheme: 'light' });

      expect(found).toEqual([]);
    });

    it(`finds no axe violation on settings, keys and webhooks, their errors, saved states, secrets and dialogs, at ${size} size`, async () => {
      const page = await signedIn(viewport);
      const found = await axeViolations(page);
      await page.getByLabel('Brand colour', { exact: true }).fill('#ffff00');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.locator('.field-error', { hasText: 'contrast' }).waitFor();
      await page.getByLabel(/^Logo/).setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: Buffer.alloc(101 * 1024) });
      await page.locator('.field-error', { hasText: 'larger than 100 KB' }).waitFor();
      found.push(...await axeViolations(page), ...await offColourErrors(page));
      await page.getByRole('button', { name: 'Discard changes' }).click();
      await page.getByLabel('Portal hostnames').fill('secure.demo-clinic.example\nnew.demo-clinic.example');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByRole('region', { name: 'Settings saved' }).waitFor();
      found.push(...await axeViolations(page));

      await openSection(page, 'API keys');
      found.push(...await axeViolations(page));
      await page.getByRole('button', { name: 'Create key' }).click();
      await page.getByRole('textbox', { name: 'API key' }).waitFor();
      found.push(...await axeViolations(page));
      await page.getByRole('button', { name: `Revoke key ${SEND_KEY_ID}` }).click();
      await page.getByRole('dialog').waitFor();
      found.push(...await axeViolations(page));
      await page.keyboard.press('Escape');

      await openSection(page, 'Webhooks');
      found.push(...await axeViolations(page));
      await page.getByLabel('All events, including types added later').uncheck();
      await page.getByLabel('Opened', { exact: true }).check();
      found.push(...await axeViolations(page));
      await page.getByLabel('Endpoint URL').fill('https://hooks.example.com/in');
      await page.getByRole('button', { name: 'Add webhook' }).click();
      await page.getByRole('textbox', { name: 'Signing secret' }).waitFor();
      await page.getByRole('button', { name: 'Send test event' }).click();
      await page.getByRole('button', { name: 'Show deliveries' }).click();
      await page.getByRole('button', { name: 'Hide deliveries' }).waitFor();
      found.push(...await axeViolations(page));
      await page.getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('dialog').waitFor();
      found.push(...await axeViolations(page));

      expect(found).toEqual([]);
    });

    it(`finds no axe violation on messages, a message, its three dialogs and its recovery link, and activity, at ${size} size`, async () => {
      const page = await signedIn(viewport);
      await openSection(page, 'Messages');
      const found = await axeViolations(page);
      await page.getByLabel('Recipient', { exact: true }).fill('nobody');
      await page.getByText('No loaded message matches the filter.').waitFor();
      found.push(...await axeViolations(page));
      await page.getByLabel('Recipient', { exact: true }).fill('');

      await messageButton(page, 'msg001').click();
      await page.getByRole('heading', { level: 3, name: /^Message to / }).waitFor();
      found.push(...await axeViolations(page));
      for (const [opener, dialog] of [['Change expiry…', 'Change when this message expires'], ['Revoke message', 'Revoke this message?'], ['Recover…', 'Create a recovery link?']] as const) {
        await page.getByRole('button', { name: opener }).click();
        await page.getByRole('dialog', { name: dialog }).waitFor();
        found.push(...await axeViolations(page));
        if (opener !== 'Recover…') await page.keyboard.press('Escape');
      }
      await page.getByRole('dialog').getByRole('button', { name: 'Create recovery link' }).click();
      await page.getByRole('textbox', { name: 'Recovery link' }).waitFor();
      found.push(...await axeViolations(page));

      await openSection(page, 'Activity');
      await page.getByRole('list', { name: 'Activity, newest first' }).waitFor();
      found.push(...await axeViolations(page));

      expect(found).toEqual([]);
    });

    it(`finds no axe violation on the API reference, folded, opened at an operation and filtered, at ${size} size`, async () => {
      const page = await aPage(viewport);
      await page.goto(`${docs.origin}/v1/docs`);
      await page.locator('.op-toggle').first().waitFor();
      const found = await axeViolations(page);
      await page.goto(`${docs.origin}/v1/docs#op-sendMessage`);
      await page.locator('#op-sendMessage-body').waitFor();
      found.push(...await axeViolations(page));
      if (size === 'phone') await page.locator('.toc summary').click();
      await page.getByLabel('Filter operations').fill('webhook');
      await page.getByRole('status').filter({ hasText: 'operations' }).waitFor();
      found.push(...await axeViolations(page));

      expect(found).toEqual([]);
    });

    it(`keeps form-control borders and focus rings at 3:1 or more in every console tab and the API reference, at ${size} size`, async () => {
      const page = await signedIn(viewport);
      const weak: string[] = [];
      for (const tab of ['Settings', 'API keys', 'Webhooks', 'Messages', 'Activity']) {
        await openSection(page, tab);
        weak.push(...(await weakControlBorders(page)).map((w) => `${tab}: ${w}`));
        weak.push(...(await weakFocusRings(page)).map((w) => `${tab}: ${w}`));
      }
      await openSection(page, 'Messages');
      await messageButton(page, 'msg001').click();
      await page.getByRole('button', { name: 'Change expiry…' }).click();
      await page.getByRole('dialog').waitFor();
      weak.push(...(await weakControlBorders(page)).map((w) => `expiry dialog: ${w}`));
      weak.push(...(await weakFocusRings(page, 10)).map((w) => `expiry dialog: ${w}`));
      await page.keyboard.press('Escape');
      await page.goto(`${docs.origin}/v1/docs`);
      await page.locator('.op-toggle').first().waitFor();
      weak.push(...(await weakControlBorders(page)).map((w) => `reference: ${w}`));
      weak.push(...(await weakFocusRings(page, 30)).map((w) => `reference: ${w}`));

      expect(weak).toEqual([]);
    });
  }

  it('would notice a weak border and a missing focus ring', async () => {
    const page = await aPage(VIEWPORTS.desktop);
    await page.setContent('<body style="background:#fff"><input id="pale" style="border:1px solid #ddd"><button id="bare" style="outline:none" class="btn-secondary">x</button></body>');

    const borders = await weakControlBorders(page);
    await page.focus('#bare');
    const rings = await weakFocusRings(page, 3);

    expect(borders.join()).toContain('input#pale: border 1.3');
    expect(rings.join()).toContain('no focus ring');
  });

  it('walks the console with the keyboard alone: a section, a message, its expiry, a recovery link, and back', async () => {
    const page = await signedIn(VIEWPORTS.desktop);
    const press = async (key: string) => page.keyboard.press(key);

    await tabTo(page, page.getByRole('navigation', { name: 'Console sections' }).getByRole('button', { name: 'Messages' }));
    await press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Messages');
    await messageButton(page, 'msg001').waitFor();
    await tabTo(page, messageButton(page, 'msg001'));
    await press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('message-detail-title');

    await tabTo(page, page.getByRole('button', { name: 'Change expiry…' }));
    await press('Enter');
    const days = page.getByRole('dialog').getByLabel('New expiry, in days from now');
    await expect.poll(() => days.evaluate((e) => e === document.activeElement)).toBe(true);
    await press('Control+a');
    await page.keyboard.type('5');
    await press('Enter');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(server.requests.filter((r) => r.method === 'PATCH').map((r) => JSON.parse(r.body))).toEqual([{ expiresInDays: 5 }]);

    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('message-detail-title');
    await tabTo(page, page.getByRole('button', { name: 'Recover…' }));
    await press('Enter');
    await page.getByRole('dialog').waitFor();
    await press('Tab');
    await press('Enter');
    const link = page.getByRole('textbox', { name: 'Recovery link' });
    await link.waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Recovery link');
    await tabTo(page, page.getByRole('button', { name: 'Done, I have stored it' }));
    await press('Enter');
    await expect(link.count()).resolves.toBe(0);

    await tabTo(page, page.getByRole('button', { name: '← All messages' }), 80);
    await press('Enter');
    await expect.poll(() => page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.messageId)).toBe('msg001');
  });

  it('saves settings and follows an activity entry to its message with the keyboard alone', async () => {
    const page = await signedIn(VIEWPORTS.desktop);

    await tabTo(page, page.getByLabel('Organisation name'));
    await page.keyboard.press('Control+a');
    await page.keyboard.type('Clinic West');
    await tabTo(page, page.getByRole('button', { name: 'Save changes' }), 80);
    await page.keyboard.press('Enter');
    await page.getByRole('region', { name: 'Settings saved' }).waitFor();
    expect(server.state.settings.displayName).toBe('Clinic West');

    await page.keyboard.press('Shift+Tab');
    await tabTo(page, page.getByRole('navigation', { name: 'Console sections' }).getByRole('button', { name: 'Activity' }), 120);
    await page.keyboard.press('Enter');
    const view = page.getByRole('button', { name: /^View message / }).first();
    await view.waitFor();
    await tabTo(page, view);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('message-detail-title');
  });
}, { timeout: 120_000 });
