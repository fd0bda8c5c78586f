import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { MESSAGE_CENTER_NOTICE } from '../../functions/core/tenants/index.ts';
import { CONTENT_SECURITY_POLICY } from '../../functions/http/middleware/security-headers.ts';
import { consoleRoutes } from '../../functions/http/routes/console.ts';
import { buildWeb } from '../../web/build.ts';
import { describeBrowser, launchChromium } from '../helpers/browser.ts';
import { RED_PNG } from './pickup-fixtures.ts';
import { ADMIN_KEY, ADMIN_KEY_ID, HOSTILE_TEXT, SEND_KEY, SEND_KEY_ID, openConsoleSection, signInToConsole, startAdminServer, type AdminServer } from './admin-server.ts';

const STORAGE_KEY = 'sealpost.admin-key';

describeBrowser('admin console', () => {
  let distDir: string;
  let server: AdminServer;
  let browser: Browser;
  let context: BrowserContext | undefined;
  /** CSP violations, script errors and failed console messages of the current test's page. */
  let problems: string[] = [];

  beforeAll(async () => {
    distDir = await mkdtemp(path.join(tmpdir(), 'sealpost-admin-web-'));
    await buildWeb({ outDir: distDir });
    [server, browser] = await Promise.all([startAdminServer(distDir), launchChromium()]);
  }, 60_000);

  beforeEach(() => {
    server.reset();
    problems = [];
  });

  afterEach(async () => {
    const page = context?.pages()[0];
    if (page && !page.isClosed()) {
      const violations = await page.evaluate(() => (window as Window & { __csp?: string[] }).__csp ?? []).catch(() => []);
      problems.push(...violations.map((v) => `CSP violation: ${v}`));
    }
    await context?.close();
    context = undefined;
    expect(problems).toEqual([]);
  });

  afterAll(async () => {
    await Promise.all([browser?.close(), server?.close()]);
    await rm(distDir, { recursive: true, force: true });
  });

  async function aPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
    context = await browser.newContext({ viewport, locale: 'en-US', timezoneId: 'UTC' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
    const page = await context.newPage();
    await page.addInitScript(() => {
      const seen: string[] = [];
      (window as Window & { __csp?: string[] }).__csp = seen;
      document.addEventListener('securitypolicyviolation', (event) => seen.push(`${event.violatedDirective} ${event.blockedURI}`));
    });
    page.on('console', (message) => {
      // Chromium logs every 4xx answer as a failed resource load: expected here, not a problem.
      if (message.type() === 'error' && !/status of (401|404|409|422)/.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    return page;
  }

  const signedIn = async (viewport?: { width: number; height: number }): Promise<Page> => signInToConsole(await aPage(viewport), server.origin);
  const openSection = openConsoleSection;

  const status = (page: Page) => page.locator('#status');
  const storage = (page: Page) => page.evaluate(() => ({ session: { ...sessionStorage }, local: localStorage.length }));
  const patches = () => server.requests.filter((r) => r.method === 'PATCH');

  /** Everything a person or a script could read on the page: visible text and every field's value. */
  const pageContent = (page: Page) =>
    page.evaluate(() => `${document.body.innerText}\n${[...document.querySelectorAll('input, textarea')].map((e) => (e as HTMLInputElement).value).join('\n')}`);

  it('shows why when the key is wrong or missing, and remembers nothing', async () => {
    const page = await aPage();
    await page.goto(`${server.origin}/admin`);

    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#admin-key-error').textContent()).toBe('Enter your admin key.');
    await page.getByLabel('Admin key').fill(`sp_9999888877776666_${'Z'.repeat(43)}`);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await expect.poll(() => page.locator('#admin-key-error').textContent()).toContain('This key was not accepted.');
    await expect(page.getByLabel('Admin key').getAttribute('aria-invalid')).resolves.toBe('true');
    await page.getByLabel('Admin key').fill(SEND_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => server.requests.filter((r) => r.headers.authorization === `Bearer ${SEND_KEY}`).length).toBe(1);
    await expect.poll(() => page.locator('#admin-key-error').textContent()).toContain('a send key cannot open the console');
    await expect(page.getByLabel('Admin key').getAttribute('aria-describedby')).resolves.toContain('admin-key-error');
    await expect(page.locator('#view-console').isHidden()).resolves.toBe(true);
    expect(await storage(page)).toEqual({ session: {}, local: 0 });
  });

  it('says where npm start\'s admin key is found again only when the console runs on this machine', async () => {
    const page = await aPage();
    await page.goto(`${server.origin}/admin`);
    const hint = page.locator('#admin-key-hint');
    await expect.poll(() => hint.textContent()).toBe('It is kept in this browser tab only, and forgotten when you sign out or close the tab. Running npm start? Its banner printed an admin key; npm run keys prints it again.');

    // The same console served under a deployment's name says nothing of npm start.
    await page.route('https://console.example/**', async (route) => route.fulfill({ response: await route.fetch({ url: route.request().url().replace('https://console.example', server.origin) }) }));
    await page.goto('https://console.example/admin');
    await page.getByRole('heading', { level: 1, name: 'Sign in to the admin console' }).waitFor();
    expect(await hint.textContent()).toBe('It is kept in this browser tab only, and forgotten when you sign out or close the tab.');
  });

  it('signs in with the keyboard alone, keeping the key in the tab session only', async () => {
    const page = await aPage();
    await page.goto(`${server.origin}/admin`);
    await page.getByRole('heading', { level: 1, name: 'Sign in to the admin console' }).waitFor();

    for (let n = 0; n < 6 && (await page.evaluate(() => document.activeElement?.id)) !== 'admin-key'; n++) await page.keyboard.press('Tab');
    await page.keyboard.type(ADMIN_KEY);
    await page.keyboard.press('Enter');

    await page.getByRole('heading', { level: 1, name: /Demo Health Clinic/ }).waitFor();
    await expect(page.getByLabel('Organisation name').inputValue()).resolves.toBe('Demo Health Clinic');
    await expect(page.getByLabel('Sender address').inputValue()).resolves.toBe('notices@demo-clinic.example');
    await expect(page.getByLabel('Portal hostnames').inputValue()).resolves.toBe('secure.demo-clinic.example');
    await expect(page.getByLabel('Link and email code').isChecked()).resolves.toBe(true);
    await expect(page.getByLabel('Standard — Message Center off').isChecked()).resolves.toBe(true);
    await expect.poll(() => status(page).textContent()).toBe('Signed in to Demo Health Clinic.');
    expect(await storage(page)).toEqual({ session: { [STORAGE_KEY]: ADMIN_KEY }, local: 0 });
    expect(await context?.cookies()).toEqual([]);
    expect(page.url()).toBe(`${server.origin}/admin`);
    await expect(page.getByLabel('Admin key').inputValue()).resolves.toBe('');
    const api = server.requests.filter((r) => r.url.startsWith('/v1/'));
    expect(api.map((r) => r.headers.authorization)).toEqual([`Bearer ${ADMIN_KEY}`]);
    expect(server.requests.filter((r) => r.url.includes(ADMIN_KEY) || (r.headers.referer ?? '').includes(ADMIN_KEY))).toEqual([]);
  });

  it('saves a new name and colour, and shows a low-contrast colour\'s problem next to the field', async () => {
    const page = await signedIn();
    const color = page.getByLabel('Brand colour', { exact: true });

    await page.getByLabel('Organisation name').fill('Clinic North');
    await color.fill('#ffff00');
    await page.getByRole('button', { name: 'Save changes' }).click();

    const colorError = page.locator('.field-error', { hasText: 'contrast' });
    await colorError.waitFor();
    expect(await colorError.textContent()).toContain('choose a darker colour');
    await expect(color.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(color.getAttribute('aria-describedby')).resolves.toContain((await colorError.getAttribute('id')) ?? 'missing');
    await expect(color.evaluate((e) => e === document.activeElement)).resolves.toBe(true);
    await expect(page.getByRole('alert').filter({ hasText: 'brand/primaryColor' }).isVisible()).resolves.toBe(true);
    expect(server.state.settings.displayName).toBe('Demo Health Clinic');

    await color.fill('#1d4ed8');
    await page.getByRole('button', { name: 'Save changes' }).click();

    await expect.poll(() => status(page).textContent()).toBe('Settings saved.');
    expect(server.state.settings).toMatchObject({ displayName: 'Clinic North', brand: { primaryColor: '#1d4ed8' } });
    expect(JSON.parse(patches().at(-1)?.body ?? '{}')).toEqual({ displayName: 'Clinic North', brand: { primaryColor: '#1d4ed8' } });
    expect(patches().at(-1)?.headers['if-match']).toBe('"3"');
    await expect(colorError.count()).resolves.toBe(0);
    await expect(color.getAttribute('aria-invalid')).resolves.toBeNull();
    await expect(page.locator('#tenant-name').textContent()).resolves.toBe('Clinic North');
    await expect(page.getByText('Revision 4', { exact: true }).isVisible()).resolves.toBe(true);
  });

  it('explains Message Center in plain words and shows what the server says about turning it on', async () => {
    const page = await signedIn();
    const privacy = page.getByRole('group', { name: 'Message Center' });
    await expect(privacy.innerText()).resolves.toContain('Nobody else — not sealpost, not your administrators — can read it, and a lost email means a lost message.');
    await expect(privacy.innerText()).resolves.toContain('More convenient, less private.');
    await expect(page.getByLabel('Message Center on').getAttribute('aria-describedby')).resolves.toMatch(/desc$/);

    await page.getByLabel('Message Center on').check();
    await page.getByRole('button', { name: 'Save changes' }).click();

    await page.getByRole('region', { name: 'Settings saved' }).getByText(MESSAGE_CENTER_NOTICE.on).waitFor();
    await expect.poll(() => status(page).textContent()).toContain('Settings saved.');
    expect(JSON.parse(patches().at(-1)?.body ?? '{}')).toEqual({ messageCenter: true });
    expect(server.state.settings.messageCenter).toBe(true);
  });

  it('keeps the admin\'s edits on top of a concurrent change, and saves them at the new revision', async () => {
    const page = await signedIn();
    server.state.settings = { ...server.state.settings, senderAddress: 'new-sender@demo-clinic.example', revision: 4 };

    await page.getByLabel('Organisation name').fill('Clinic South');
    await page.getByRole('button', { name: 'Save changes' }).click();

    await page.getByRole('alert').filter({ hasText: 'The settings changed since you read them.' }).waitFor();
    await expect(page.getByLabel('Sender address').inputValue()).resolves.toBe('new-sender@demo-clinic.example');
    await expect(page.getByLabel('Organisation name').inputValue()).resolves.toBe('Clinic South');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => status(page).textContent()).toBe('Settings saved.');
    expect(patches().map((p) => [p.headers['if-match'], JSON.parse(p.body)])).toEqual([
      ['"3"', { displayName: 'Clinic South' }],
      ['"4"', { displayName: 'Clinic South' }],
    ]);
    expect(server.state.settings).toMatchObject({ displayName: 'Clinic South', senderAddress: 'new-sender@demo-clinic.example', revision: 5 });
  });

  it('previews a chosen logo, refuses an oversized or wrong file at once, uploads it as base64 and removes it', async () => {
    const page = await signedIn();
    const file = page.getByLabel(/^Logo/);

    await file.setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: Buffer.alloc(101 * 1024) });
    await expect.poll(() => page.locator('.field-error', { hasText: 'larger than 100 KB' }).count()).toBe(1);
    await file.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('x') });
    await expect.poll(() => page.locator('.field-error', { hasText: 'notes.txt is not a PNG or SVG file.' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Save changes' }).click();
    expect(patches()).toEqual([]);

    await file.setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: RED_PNG });
    const chosen = page.getByRole('img', { name: 'Chosen logo' });
    await expect.poll(() => chosen.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
    await expect(page.locator('.logo-status').textContent()).resolves.toContain('New: logo.png');
    await page.getByRole('button', { name: 'Save changes' }).click();

    await expect.poll(() => status(page).textContent()).toBe('Settings saved.');
    expect(JSON.parse(patches().at(-1)?.body ?? '{}')).toEqual({ brand: { logo: { contentType: 'image/png', data: RED_PNG.toString('base64') } } });
    const shown = page.getByRole('img', { name: 'Current logo' });
    await expect.poll(() => shown.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);

    await page.getByRole('button', { name: 'Remove logo' }).click();
    await expect(page.locator('.logo-status').textContent()).resolves.toBe('The logo will be removed when you save.');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => patches().length).toBe(2);
    expect(JSON.parse(patches().at(-1)?.body ?? '{}')).toEqual({ brand: { logo: null } });
    await expect.poll(() => page.locator('.logo-empty').textContent()).toBe('No logo');
  });

  it('confirms a save where the admin pressed Save, shows the colour in use, and which hostnames wait for approval', async () => {
    const page = await signedIn();
    await expect(page.getByLabel('Pick the brand colour').inputValue()).resolves.toBe('#2446c7');
    await page.getByLabel('Brand colour', { exact: true }).fill('');
    await expect(page.getByLabel('Pick the brand colour').inputValue()).resolves.toBe('#2446c7');

    await page.getByLabel('Portal hostnames').fill('secure.demo-clinic.example\nnew.demo-clinic.example');
    await page.getByRole('button', { name: 'Save changes' }).click();

    const saved = page.getByRole('region', { name: 'Settings saved' });
    await saved.waitFor();
    await expect(saved.innerText()).resolves.toContain('as revision 4');
    const hostnames = page.getByRole('list', { name: 'Hostname status' });
    await expect(hostnames.getByRole('listitem').filter({ hasText: 'secure.demo-clinic.example' }).innerText()).resolves.toContain('Live');
    await expect(hostnames.getByRole('listitem').filter({ hasText: 'new.demo-clinic.example' }).innerText()).resolves.toContain('Waiting for approval');
    const [box, button] = await Promise.all([saved.boundingBox(), page.getByRole('button', { name: 'Save changes' }).boundingBox()]);
    expect((button?.y ?? 0) - ((box?.y ?? 0) + (box?.height ?? 0))).toBeLessThan(80);
    await page.getByLabel('Organisation name').fill('Clinic East');
    await expect(saved.isHidden()).resolves.toBe(true);
  });

  it('lines up the controls of fields side by side, whatever their hints', async () => {
    const page = await signedIn();
    const tops = await Promise.all(['Organisation name', 'Sender address', 'Reply-to address (optional)'].map(async (name) => (await page.getByLabel(name, { exact: true }).boundingBox())?.y));

    expect(new Set(tops).size).toBe(1);
  });

  it('lines up the message filters side by side, though only the recipient box has a hint', async () => {
    const page = await signedIn();
    await openSection(page, 'Messages');
    const boxes = await Promise.all(['Recipient', 'Status'].map(async (name) => page.getByLabel(name, { exact: true }).boundingBox()));

    expect(boxes[0]!.x + boxes[0]!.width).toBeLessThan(boxes[1]!.x);
    expect(Math.abs(boxes[0]!.y - boxes[1]!.y)).toBeLessThanOrEqual(1);
  });

  it('says so, and sends nothing, when no setting was changed', async () => {
    const page = await signedIn();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => status(page).textContent()).toBe('Nothing to save: no setting was changed.');
    expect(patches()).toEqual([]);
  });

  it('shows a new key once, with a copy button, and never again after a reload', async () => {
    const page = await signedIn();
    await openSection(page, 'API keys');

    await page.getByRole('button', { name: 'Create key' }).click();

    const shown = page.getByRole('textbox', { name: 'API key' });
    await shown.waitFor();
    const key = await shown.inputValue();
    expect(key).toMatch(/^sp_[0-9a-f]{16}_/);
    await expect(page.getByText('This key will not be shown again').isVisible()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Copy API key' }).click();
    await expect.poll(() => status(page).textContent()).toBe('Copied to the clipboard.');
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(key);
    const created = [...server.state.keys.values()].find((k) => k.key === key);
    await page.getByRole('cell', { name: created?.id ?? 'missing', exact: true }).waitFor();

    await page.reload();
    await page.getByRole('heading', { level: 2, name: 'Settings' }).waitFor();
    await openSection(page, 'API keys');
    await page.getByRole('cell', { name: created?.id ?? 'missing', exact: true }).waitFor();

    expect(await pageContent(page)).not.toContain(key);
    await expect(page.getByRole('textbox', { name: 'API key' }).count()).resolves.toBe(0);
  });

  it('revokes a key only after confirmation', async () => {
    const page = await signedIn();
    await openSection(page, 'API keys');
    const revoke = page.getByRole('button', { name: `Revoke key ${SEND_KEY_ID}` });

    await revoke.click();
    const dialog = page.getByRole('dialog', { name: `Revoke key ${SEND_KEY_ID}?` });
    await dialog.waitFor();
    await expect(dialog.getByRole('button', { name: 'Cancel' }).evaluate((e) => e === document.activeElement)).resolves.toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(server.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
    await expect(revoke.evaluate((e) => e === document.activeElement)).resolves.toBe(true);

    await revoke.click();
    await dialog.getByRole('button', { name: 'Revoke key' }).click();

    await expect.poll(() => status(page).textContent()).toBe(`Key ${SEND_KEY_ID} revoked.`);
    expect(server.state.keys.get(SEND_KEY_ID)?.revokedAt).not.toBeNull();
    await expect(page.getByRole('button', { name: `Revoke key ${SEND_KEY_ID}` }).count()).resolves.toBe(0);
    await expect(page.getByRole('row', { name: new RegExp(`^${SEND_KEY_ID}`) }).innerText()).resolves.toContain('revoked');
  });

  it('warns before revoking the key in use, then signs out', async () => {
    const page = await signedIn();
    await openSection(page, 'API keys');
    await expect(page.getByRole('row', { name: new RegExp(`^${ADMIN_KEY_ID}`) }).innerText()).resolves.toContain('this console');

    await page.getByRole('button', { name: `Revoke key ${ADMIN_KEY_ID}` }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog.innerText()).resolves.toContain('This is the key this console is signed in with.');
    await dialog.getByRole('button', { name: 'Revoke key' }).click();

    await page.getByRole('heading', { level: 1, name: 'Sign in to the admin console' }).waitFor();
    await expect(page.locator('#signin-message').innerText()).resolves.toContain('You revoked the key this console was signed in with');
    expect(await storage(page)).toEqual({ session: {}, local: 0 });
    await expect(page.locator('#panels').innerHTML()).resolves.toBe('');
  });

  it('adds a webhook, shows its secret once, tests and deletes it', async () => {
    const page = await signedIn();
    await openSection(page, 'Webhooks');
    const url = page.getByLabel('Endpoint URL');

    await url.fill('http://hooks.example.com/sealpost');
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await expect.poll(() => page.locator('.field-error', { hasText: 'must use https://' }).count()).toBe(1);
    await expect(url.getAttribute('aria-invalid')).resolves.toBe('true');

    await url.fill('https://hooks.example.com/sealpost');
    await page.getByLabel('All events, including types added later').uncheck();
    await page.getByLabel('Opened', { exact: true }).check();
    await page.getByLabel('Revoked', { exact: true }).check();
    await page.getByRole('button', { name: 'Add webhook' }).click();

    const secret = page.getByRole('textbox', { name: 'Signing secret' });
    await secret.waitFor();
    const value = await secret.inputValue();
    expect(value).toMatch(/^whsec_/);
    expect(JSON.parse(server.requests.filter((r) => r.method === 'POST').at(-1)?.body ?? '{}')).toEqual({ url: 'https://hooks.example.com/sealpost', events: ['opened', 'revoked'] });
    await expect(url.getAttribute('aria-invalid')).resolves.toBeNull();
    const card = page.getByRole('listitem').filter({ hasText: 'https://hooks.example.com/sealpost' });
    await expect(card.innerText()).resolves.toContain('Opened, Revoked');
    await expect(card.getByRole('definition').filter({ hasText: 'none yet' }).count()).resolves.toBe(1);

    await page.getByRole('button', { name: 'Done, I have stored it' }).click();
    expect(await pageContent(page)).not.toContain(value);

    await card.getByRole('button', { name: 'Send test event' }).click();
    await expect.poll(() => card.locator('.result').textContent()).toBe('Test event delivered (HTTP 204).');
    await expect.poll(() => card.getByRole('definition').filter({ hasText: 'test event' }).innerText()).toContain('test event · delivered (HTTP 204)');
    await card.getByRole('button', { name: 'Show deliveries' }).click();
    await expect.poll(() => card.getByRole('table').innerText()).toContain('Test event');
    await expect(card.getByRole('button', { name: 'Hide deliveries' }).getAttribute('aria-expanded')).resolves.toBe('true');

    await card.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete webhook' }).click();
    await page.getByText('No webhooks yet.').waitFor();
    expect(server.state.webhooks.size).toBe(0);
  });

  it('says plainly when the deployment offers no webhooks', async () => {
    server.state.webhooksEnabled = false;
    const page = await signedIn();
    await openSection(page, 'Webhooks');
    await page.getByText('Webhooks are not available on this deployment.').waitFor();
    await expect(page.getByRole('button', { name: 'Add webhook' }).isHidden()).resolves.toBe(true);
  });

  const messageRow = (page: Page, id: string) => page.getByRole('listitem').filter({ has: page.locator(`[data-message-id="${id}"]`) });

  it('lists messages with recipients, size, flags and status, page by page, filters by recipient and copies an id', async () => {
    const page = await signedIn();
    await openSection(page, 'Messages');
    const rows = page.getByRole('list', { name: 'Messages' }).locator(':scope > li');
    await expect.poll(() => rows.count()).toBe(25);

    await page.getByRole('button', { name: 'Load more messages' }).click();
    await expect.poll(() => rows.count()).toBe(30);
    await expect(page.getByRole('button', { name: 'Load more messages' }).isHidden()).resolves.toBe(true);
    await expect(page.getByText(`"${HOSTILE_TEXT}"@example.com`).first().isVisible()).resolves.toBe(true);
    const flagged = await messageRow(page, 'msg001').innerText();
    expect(flagged).toContain('patient1@example.com');
    expect(flagged).toMatch(/Active[\s\S]*Message Center[\s\S]*Email code[\s\S]*Passcode/);
    expect(flagged).toContain('2.8 kB');
    expect(flagged).toContain('Opened');
    await expect(messageRow(page, 'msg002').locator('.message-label').textContent()).resolves.toBe('Label: Invoice 2026-118');

    await page.getByLabel('Recipient', { exact: true }).fill('PATIENT2');
    await expect.poll(() => rows.count()).toBe(11);
    await expect(page.locator('.filter-status').textContent()).resolves.toBe('11 of 30 loaded messages match.');
    await page.getByLabel('Status', { exact: true }).selectOption('revoked');
    await page.getByText('No loaded message matches the filter.').waitFor();
    await page.getByLabel('Status', { exact: true }).selectOption('all');
    await page.getByLabel('Recipient', { exact: true }).fill('');
    await expect.poll(() => rows.count()).toBe(30);

    await page.getByRole('button', { name: 'Copy message id msg007' }).click();
    await expect.poll(() => status(page).textContent()).toBe('Copied to the clipboard.');
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe('msg007');
  });

  it('opens a message with its recipients and history in words, newest first, and revokes it after saying who is told', async () => {
    const page = await signedIn();
    await openSection(page, 'Messages');
    const opener = messageRow(page, 'msg000').getByRole('button', { name: /example\.com/ });
    await opener.click();
    const heading = page.getByRole('heading', { level: 3, name: /^Message to / });
    await heading.waitFor();
    await expect(heading.evaluate((e) => e === document.activeElement)).resolves.toBe(true);
    const history = page.getByRole('list', { name: 'History of message msg000' });
    await expect(history.innerText()).resolves.toMatch(new RegExp(`Notification emailed to[\\s\\S]*${HOSTILE_TEXT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[\\s\\S]*Sent by key ${SEND_KEY_ID}`));
    await expect(page.locator('#panels img').count()).resolves.toBe(0);
    await expect(page.evaluate(() => (window as Window & { __pwned?: unknown }).__pwned)).resolves.toBeUndefined();
    await expect(page.getByText('No recovery: this message was sent in standard mode').isVisible()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Recover…' }).count()).resolves.toBe(0);

    await page.getByRole('button', { name: 'Revoke message' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke this message?' });
    await expect(dialog.innerText()).resolves.toContain('Who is told: nobody is emailed');
    await dialog.getByRole('button', { name: 'Revoke message' }).click();

    await expect.poll(() => status(page).textContent()).toBe('Message msg000 revoked.');
    await expect.poll(() => history.locator('li').first().innerText()).toContain('Revoked by you');
    expect(server.requests.filter((r) => r.method === 'DELETE').map((r) => r.url)).toEqual(['/v1/messages/msg000']);
    await expect(page.getByRole('button', { name: 'Revoke message' }).count()).resolves.toBe(0);

    await page.getByRole('button', { name: '← All messages' }).click();
    await expect.poll(() => page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.messageId)).toBe('msg000');
  });

  it('changes a message\'s expiry in a dialog that previews the date, keeps it open on a refusal, and records it', async () => {
    const page = await signedIn();
    await openSection(page, 'Messages');
    await messageRow(page, 'msg002').getByRole('button', { name: /example\.com/ }).click();
    await page.getByRole('button', { name: 'Change expiry…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Change when this message expires' });
    const days = dialog.getByLabel('New expiry, in days from now');
    await expect(days.evaluate((e) => e === document.activeElement)).resolves.toBe(true);
    await expect(dialog.innerText()).resolves.toContain('Who is told: nobody is emailed');

    await days.fill('40');
    await dialog.getByRole('button', { name: 'Change expiry' }).click();
    await expect.poll(() => dialog.getByRole('alert').innerText()).toContain('from 1 to');
    await days.fill('3');
    // Every time the console writes names its zone, as the emails do (this browser's zone is UTC).
    await expect(dialog.getByRole('status').innerText()).resolves.toMatch(/^It will then expire on [A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M UTC\.$/);
    await dialog.getByRole('button', { name: 'Change expiry' }).click();

    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => status(page).textContent()).toMatch(/^Message msg002 now expires .* UTC\.$/);
    expect(server.requests.filter((r) => r.method === 'PATCH').map((r) => [r.url, JSON.parse(r.body)])).toEqual([['/v1/messages/msg002', { expiresInDays: 3 }]]);
    await expect(page.getByRole('list', { name: 'History of message msg002' }).locator('li').first().innerText()).resolves.toContain('Expiry changed by you');
  });

  it('creates a recovery link for a Message Center message after saying who is told, and shows it once', async () => {
    const page = await signedIn();
    await openSection(page, 'Messages');
    await messageRow(page, 'msg001').getByRole('button', { name: /example\.com/ }).click();
    await page.getByText('Viewed 4 times').waitFor();
    await expect(page.getByText('Views and history: every view is counted').isVisible()).resolves.toBe(true);

    await page.getByRole('button', { name: 'Recover…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create a recovery link?' });
    await dialog.waitFor();
    await expect(dialog.innerText()).resolves.toContain('Who is told: nobody is emailed — not the recipients, not the sender.');
    await expect(dialog.getByRole('button', { name: 'Cancel' }).evaluate((e) => e === document.activeElement)).resolves.toBe(true);
    await dialog.getByRole('button', { name: 'Create recovery link' }).click();

    const link = page.getByRole('textbox', { name: 'Recovery link' });
    await link.waitFor();
    expect(await link.inputValue()).toBe(`${server.origin}/m/msg001#recover:${'R'.repeat(43)}`);
    await expect.poll(() => page.getByRole('list', { name: 'History of message msg001' }).locator('li').first().innerText()).toContain('Recovery link issued by you');
    await page.getByRole('button', { name: 'Done, I have stored it' }).click();
    expect(await pageContent(page)).not.toContain('#recover:');
  });

  it('lists the activity newest first, in words, with each message\'s events together', async () => {
    server.state.events.push({ id: 'evt-late', type: 'opened', at: new Date().toISOString(), recordedAt: new Date().toISOString(), actor: 'recipient:r0', messageId: 'msg029', recipient: 'patient29@example.com' });
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString();
    server.state.events.unshift(...Array.from({ length: 50 }, (_, n) => ({ id: `evt-key-${n}`, type: 'key_created', at: twoDaysAgo, recordedAt: twoDaysAgo, actor: 'operator', detail: 'scope send' })));
    const page = await signedIn();
    await openSection(page, 'Activity');
    const activity = page.getByRole('list', { name: 'Activity, newest first' });
    const groups = activity.locator(':scope > li');
    await expect.poll(() => groups.count()).toBeGreaterThan(0);

    const first = await groups.first().innerText();
    expect(first).toMatch(/^Message to patient29@example\.com · 3 events/);
    expect(first).toMatch(/Opened by patient29@example\.com[\s\S]*Notification emailed to patient29@example\.com[\s\S]*Sent by key/);
    await page.getByRole('button', { name: 'Load older events' }).click();
    await expect.poll(() => groups.count()).toBe(31);
    // The list grows before the button goes: wait for both, as a person would see them settle.
    await expect.poll(() => page.getByRole('button', { name: 'Load older events' }).isHidden()).toBe(true);
    await expect(groups.last().innerText()).resolves.toMatch(/^Organisation · 50 events[\s\S]*API key created by the operator \(scope send\)/);
    expect(server.requests.filter((r) => r.url.startsWith('/v1/events')).map((r) => new URL(r.url, server.origin).searchParams.get('order'))).toEqual(['newest', 'newest']);

    await groups.first().getByRole('button', { name: 'View message msg029' }).click();
    await page.getByRole('heading', { level: 3, name: 'Message to patient29@example.com' }).waitFor();
  });

  it('signs out: the key leaves the tab, and a reload stays signed out', async () => {
    const page = await signedIn();
    await openSection(page, 'Messages');

    await page.getByRole('button', { name: 'Sign out' }).click();

    await page.getByRole('heading', { level: 1, name: 'Sign in to the admin console' }).waitFor();
    await expect(page.locator('#signin-message').innerText()).resolves.toContain('You have signed out.');
    expect(await storage(page)).toEqual({ session: {}, local: 0 });
    expect(await pageContent(page)).not.toContain('patient1@example.com');
    const before = server.requests.length;
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Sign in to the admin console' }).waitFor();
    expect(server.requests.slice(before).filter((r) => r.url.startsWith('/v1/'))).toEqual([]);
    expect(await context?.cookies()).toEqual([]);
  });

  it('signs out with a clear message when the server stops accepting the key', async () => {
    const page = await signedIn();
    const key = server.state.keys.get(ADMIN_KEY_ID);
    if (key) key.revokedAt = new Date().toISOString();

    await page.getByRole('navigation', { name: 'Console sections' }).getByRole('button', { name: 'API keys' }).click();

    await page.getByRole('heading', { level: 1, name: 'Sign in to the admin console' }).waitFor();
    await expect(page.locator('#signin-message').innerText()).resolves.toContain('the server no longer accepts this admin key');
    expect(await storage(page)).toEqual({ session: {}, local: 0 });
  });

  it('labels every control, moves focus to each section, and shows where focus is', async () => {
    const page = await signedIn();
    await expect(page.locator('h1:visible').count()).resolves.toBe(1);

    for (const name of ['Settings', 'API keys', 'Webhooks']) {
      await openSection(page, name);
      const unlabelled = await page.evaluate(() =>
        [...document.querySelectorAll<HTMLInputElement>('#panels section:not([hidden]) :is(input, select, textarea)')]
          .filter((e) => e.labels?.length === 0 && !e.getAttribute('aria-label'))
          .map((e) => e.outerHTML),
      );
      expect(unlabelled).toEqual([]);
    }

    const tab = page.getByRole('navigation', { name: 'Console sections' }).getByRole('button', { name: 'Messages' });
    await tab.focus();
    await page.keyboard.press('Enter');
    const heading = page.getByRole('heading', { level: 2, name: 'Messages' });
    await expect.poll(() => heading.evaluate((e) => e === document.activeElement)).toBe(true);
    await expect(tab.getAttribute('aria-current')).resolves.toBe('true');

    await page.keyboard.press('Shift+Tab');
    const ring = await page.evaluate(() => {
      const focused = document.activeElement as HTMLElement;
      return { text: focused.textContent, outline: getComputedStyle(focused).outlineStyle, width: getComputedStyle(focused).outlineWidth };
    });
    expect(ring).toEqual({ text: 'Activity', outline: 'solid', width: '3px' });
  });

  it('gives an event\'s sentence the whole width of its row on a phone, under its time and type', async () => {
    const page = await signedIn({ width: 390, height: 844 });
    await openSection(page, 'Activity');
    await page.locator('.history-item').first().waitFor();

    const rows = await page.locator('.history-item').evaluateAll((items) => items.map((item) => {
      const box = item.getBoundingClientRect();
      const text = item.querySelector('.history-text')!.getBoundingClientRect();
      const type = item.querySelector('.event-type')!.getBoundingClientRect();
      const time = item.querySelector('time')!.getBoundingClientRect();
      return { share: text.width / (box.width - 15), typeBesideTime: Math.abs(type.top - time.top) < 4, textBelow: text.top >= time.bottom - 1 };
    }));

    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toEqual({ share: expect.any(Number), typeBesideTime: true, textBelow: true });
    expect(Math.min(...rows.map((r) => r.share))).toBeGreaterThan(0.95);
  });

  it('keeps each event\'s time, zone included, clear of its sentence on a wide screen', async () => {
    const page = await signedIn({ width: 1280, height: 800 });
    await openSection(page, 'Activity');
    await page.locator('.history-item').first().waitFor();

    const overlaps = await page.locator('.history-item').evaluateAll((items) => items.flatMap((item) => {
      const time = item.querySelector('time')!;
      const text = item.querySelector('.history-text')!.getBoundingClientRect();
      return time.getBoundingClientRect().right > text.left || time.scrollWidth > time.clientWidth ? [time.textContent] : [];
    }));

    expect(await page.locator('.history-item time').first().textContent()).toMatch(/ UTC$/);
    expect(overlaps).toEqual([]);
  });

  it('keeps a message\'s times on one line each on a wide screen', async () => {
    const page = await signedIn({ width: 1280, height: 800 });
    await openSection(page, 'Messages');
    await page.locator('button[data-message-id="msg002"]').click();
    await page.getByRole('heading', { level: 3, name: /^Message to / }).waitFor();

    const times = await page.locator('.facts dd time').evaluateAll((items) => items.map((t) => ({
      text: t.textContent, lines: Math.round(t.getBoundingClientRect().height / parseFloat(getComputedStyle(t).lineHeight)),
    })));

    expect(times.length).toBeGreaterThanOrEqual(2);
    expect(times.filter((t) => t.lines !== 1)).toEqual([]);
  });

  it('fits a phone screen without sideways scrolling', async () => {
    const page = await signedIn({ width: 375, height: 740 });
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

    expect(await overflow()).toBe(0);
    for (const name of ['API keys', 'Webhooks', 'Messages', 'Activity']) {
      await openSection(page, name);
      await page.waitForLoadState('networkidle');
      expect(await overflow()).toBe(0);
    }
  });

  it('serves /admin with the strict security headers, uncached, and only for GET', async () => {
    const page = await fetch(`${server.origin}/admin`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(await page.text()).toContain('<script type="module" src="/assets/admin.js"></script>');
    expect((await fetch(`${server.origin}/admin/`)).status).toBe(200);
    const post = await fetch(`${server.origin}/admin`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
    for (const asset of ['admin.js', 'admin.css']) expect((await fetch(`${server.origin}/assets/${asset}`)).status).toBe(200);
  });
});

describe('console route', () => {
  it('answers 404 problem when the console was not built', async () => {
    const app = consoleRoutes({ pickupPage: '<!doctype html>', assets: new Map() });
    const res = await app.request('/admin');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });
});
