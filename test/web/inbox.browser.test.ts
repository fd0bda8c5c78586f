/**
 * The inbox page in real Chromium against the real routes (with in-memory stores), served from
 * http://localhost so that the Secure session cookie is kept: sign in with the emailed code, see
 * the list, open a message (hand-over to the pickup page with the secret in the fragment), sign out.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { serve, type ServerType } from '@hono/node-server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';

import { loadInboxAssets, loadWebAssets } from '../../functions/adapters/fs/web-assets.ts';
import { createApp } from '../../functions/http/app.ts';
import { portalGroup } from '../../functions/http/portal-routes.ts';
import { inboxRoutes } from '../../functions/http/routes/inbox.ts';
import { buildWeb } from '../../web/build.ts';
import { aClock, aTenant } from '../helpers/builders.ts';
import { describeBrowser, launchChromium } from '../helpers/browser.ts';
import { CapturingLogger, InMemoryEventLog, InMemoryMessageStore, InMemoryTenantDirectory, RecordingNotifier } from '../helpers/fakes.ts';
import { CountingKeyWrapper, InMemoryInboxStore, NO_PACE, messageIdOf, seedMessage, type SeededRecipient } from '../helpers/inbox-fakes.ts';

describeBrowser('inbox page', () => {
  let distDir: string;
  let server: ServerType;
  let origin: string;
  let browser: Browser;
  let context: BrowserContext | undefined;
  let problems: string[] = [];
  const notifier = new RecordingNotifier();
  const tenants = new InMemoryTenantDirectory();
  const store = new InMemoryMessageStore();
  const inbox = new InMemoryInboxStore();
  const keys = new CountingKeyWrapper();
  const HOSTILE = '<img src=x onerror=alert(1)> Clinic';
  let alice: SeededRecipient | undefined;
  const clock = aClock();

  beforeAll(async () => {
    distDir = await mkdtemp(path.join(tmpdir(), 'sealpost-inbox-web-'));
    await buildWeb({ outDir: distDir });
    tenants.tenants.set('acme', aTenant({ settings: { displayName: HOSTILE, messageCenter: true } }));
    [, alice] = await seedMessage({ store, inbox, keys }, { id: messageIdOf('first'), emails: ['bob@example.com', 'alice@example.com'], createdAt: '2026-11-20T10:00:00.000Z' });
    await seedMessage({ store, inbox, keys }, {
      id: messageIdOf('second'), emails: ['alice@example.com'], createdAt: '2026-11-28T10:00:00.000Z',
      head: { label: 'Blood test results', attachments: { count: 2, bytes: 1500 } },
    });
    const logger = new CapturingLogger();
    const deps = { store, events: new InMemoryEventLog(clock), tenants, clock, logger, notifier, random: (n: number) => new Uint8Array(randomBytes(n)) };
    const app = createApp({ logger, portal: { ...deps, web: loadWebAssets(distDir) } }, portalGroup);
    app.route('/', inboxRoutes({ ...deps, inbox, keys, portalOrigin: 'http://localhost', inboxWeb: loadInboxAssets(distDir), issueGrant: async () => 'G'.repeat(43), pace: NO_PACE }));
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    origin = `http://localhost:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 60_000);

  afterEach(async () => {
    const page = context?.pages()[0];
    if (page && !page.isClosed()) {
      const violations = await page.evaluate(() => (window as Window & { __csp?: string[] }).__csp ?? []).catch(() => []);
      problems.push(...violations.map((v) => `CSP violation: ${v}`));
    }
    await context?.close();
    context = undefined;
    expect(problems).toEqual([]);
    problems = [];
  });

  afterAll(async () => {
    await browser?.close();
    server?.close();
    await rm(distDir, { recursive: true, force: true });
  });

  async function aPage(): Promise<Page> {
    context = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC' });
    const page = await context.newPage();
    await page.addInitScript(() => {
      const seen: string[] = [];
      (window as Window & { __csp?: string[] }).__csp = seen;
      document.addEventListener('securitypolicyviolation', (event) => seen.push(`${event.violatedDirective} ${event.blockedURI}`));
      (window as Window & { __alerted?: boolean }).__alerted = false;
      window.alert = () => { (window as Window & { __alerted?: boolean }).__alerted = true; };
    });
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of (401|404|429)/.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    return page;
  }

  async function signIn(page: Page): Promise<void> {
    // A new code for the same address is sent at most every 30 seconds (of the server's clock).
    clock.advanceDays(1 / 24 / 60);
    await page.goto(`${origin}/inbox/acme`);
    await page.getByLabel('Email address').fill('Alice@Example.com');
    const before = notifier.sent.length;
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    expect(notifier.sent.length).toBe(before + 1);
    const code = /\b(\d{6})\b/.exec(notifier.sent.at(-1)?.text ?? '')?.[1] ?? '';
    await page.getByLabel('6-digit code').fill(code);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Your secure messages' }).waitFor();
  }

  it('signs in with the emailed code and lists the messages as text, newest first', async () => {
    const page = await aPage();

    await signIn(page);
    const items = page.getByRole('listitem');
    const cookies = await context!.cookies();

    await expect.poll(() => items.count()).toBe(2);
    expect(await items.first().getByRole('time').first().getAttribute('datetime')).toBe('2026-11-28T10:00:00.000Z');
    expect(await items.first().textContent()).toContain(HOSTILE);
    expect(await items.first().textContent()).toContain('Unread');
    expect(await page.evaluate(() => (window as Window & { __alerted?: boolean }).__alerted)).toBe(false);
    expect(cookies).toEqual([expect.objectContaining({ name: '__Host-sealpost_inbox', httpOnly: true, secure: true, sameSite: 'Strict', path: '/' })]);
    expect(await page.evaluate(() => document.cookie)).toBe('');
  });

  it('opens a message by handing the recipient\'s secret and grant to the pickup page in the fragment, keeping the list in history', async () => {
    const page = await aPage();
    await signIn(page);
    // The pickup page itself is another suite's: here it only shows where the hand-over went.
    await page.route('**/m/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>pickup</title>' }));
    const entries = await page.evaluate(() => history.length);

    await page.getByRole('button', { name: /Open the message .* received Nov 20, 2026/ }).click();
    await page.waitForURL(/\/m\//);
    const url = new URL(page.url());
    const handedOver = await page.evaluate(() => JSON.parse(sessionStorage.getItem('sealpost.inbox.open') ?? 'null') as unknown);

    expect(url.pathname).toBe(`/m/${messageIdOf('first')}`);
    expect(url.hash).toBe(`#${alice?.secret}:${'G'.repeat(43)}`);
    // assign(): Back returns to the list.
    expect(await page.evaluate(() => history.length)).toBe(entries + 1);
    // What the message page learns of the list: ids only, never a secret.
    expect(handedOver).toEqual({ tenantId: 'acme', home: '/inbox/acme', ids: [messageIdOf('second'), messageIdOf('first')], opening: messageIdOf('first') });
    expect(JSON.stringify(handedOver)).not.toContain(alice?.secret ?? '-');
  });

  it('tells the rows apart by label, names the attachments, and shows read and replied', async () => {
    const page = await aPage();
    await signIn(page);

    const rows = await page.getByRole('listitem').allTextContents();

    expect(rows[0]).toContain('Blood test results');
    expect(rows[0]).toContain('2 attachments, 1.5 kB');
    expect(rows[0]).toContain('Unread');
    expect(rows[1]).toContain(`Secure message from ${HOSTILE}`);
    expect(rows[1]).not.toContain('attachment');
    expect(await page.getByRole('button', { name: /^Open “Blood test results” from / }).count()).toBe(1);
  });

  it('names the time zone of every date in the list, as the notification email does (UTC there)', async () => {
    const page = await aPage();
    await signIn(page);

    const times = await page.locator('#list time').allTextContents();

    expect(times).toHaveLength(4);
    expect(times).toContain('Nov 28, 2026, 10:00 AM UTC');
    for (const time of times) expect(time).toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M UTC$/);
  });

  it('wraps a row\'s facts between them, never inside a date or a size, on a phone and a wide screen', async () => {
    const page = await aPage();
    // At most 5 codes an hour for one address: this suite signs Alice in more often than that.
    clock.advanceDays(1 / 24);
    await signIn(page);

    for (const size of [{ width: 390, height: 844 }, { width: 1280, height: 800 }, { width: 320, height: 640 }]) {
      await page.setViewportSize(size);
      // One line each: no taller than one line box of the row's text.
      const pieces = await page.locator('#list .meta-piece').evaluateAll((spans) => spans.map((span) => ({
        text: span.textContent, lines: Math.round(span.getBoundingClientRect().height / parseFloat(getComputedStyle(span.parentElement!).lineHeight)),
      })));
      expect(pieces.map((p) => p.text)).toContain('2 attachments, 1.5 kB');
      expect(pieces.filter((p) => p.lines !== 1), `${size.width} px`).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), `${size.width} px`).toBeLessThanOrEqual(size.width);
    }
  });

  it('keeps a long address inside the code card on a phone', async () => {
    const page = await aPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${origin}/inbox/acme`);
    await page.getByLabel('Email address').fill('a.very.long.address.for.the.inbox.1796553260878@example-clinic.example');
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();

    const overflow = await page.evaluate(() => {
      const card = document.getElementById('view-code')!.getBoundingClientRect();
      const address = document.getElementById('code-address')!.getBoundingClientRect();
      return { right: address.right - card.right, page: document.documentElement.scrollWidth };
    });

    expect(overflow.right).toBeLessThanOrEqual(-20);
    expect(overflow.page).toBeLessThanOrEqual(390);
  });

  it('locks sign-in after too many wrong codes: says until when in the recipient\'s time zone, disables the code form for that address only', async () => {
    const page = await aPage();
    clock.advanceDays(1 / 24 / 60);
    await page.goto(`${origin}/inbox/acme`);
    await page.getByLabel('Email address').fill('bob@example.com');
    await page.getByRole('button', { name: 'Send me a code' }).click();
    const code = page.getByLabel('6-digit code');
    await code.waitFor();
    // Said before the first try, as the pickup page says it.
    expect(await page.locator('#code-limit').textContent()).toBe('After 5 wrong codes, signing in with this address pauses for 15 minutes.');
    expect(await code.getAttribute('aria-describedby')).toContain('code-limit');
    const error = page.locator('#code-error');
    for (let i = 0; i < 6 && !(await error.textContent())?.includes('paused'); i++) {
      await code.fill('000000');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForFunction(() => document.getElementById('code-button')?.getAttribute('aria-busy') !== 'true' && document.getElementById('code-error')?.textContent !== '');
    }

    expect(await error.textContent()).toMatch(/^Too many wrong codes\. For your security, signing in is paused until \d{1,2}:\d{2} [AP]M UTC \(about 15 minutes\); then ask for a new code\.$/);
    expect(await code.isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Sign in' }).isDisabled()).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('code-back');

    await page.getByRole('button', { name: 'Use another address or send a new code' }).click();
    await page.getByLabel('Email address').fill('bob@example.com');
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    expect(await code.isDisabled()).toBe(true);
    expect(await error.textContent()).toContain('paused until');

    await page.getByRole('button', { name: 'Use another address or send a new code' }).click();
    await page.getByLabel('Email address').fill('carol@example.com');
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    expect(await code.isDisabled()).toBe(false);
    expect(await error.isHidden()).toBe(true);
  });

  it('signs out and then asks for the address again', async () => {
    const page = await aPage();
    await signIn(page);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: /Your secure messages from/ }).waitFor();
    await page.reload();

    await page.getByLabel('Email address').waitFor();
    expect(await page.getByRole('button', { name: 'Send me a code' }).isVisible()).toBe(true);
  });

  it('says the address is incomplete without a tenant, and sends nothing', async () => {
    const page = await aPage();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(new URL(request.url()).pathname));

    await page.goto(`${origin}/inbox`);
    await page.getByRole('heading', { name: 'This address is incomplete' }).waitFor();

    expect(requests.filter((p) => p.startsWith('/inbox/api'))).toEqual([]);
  });
});
