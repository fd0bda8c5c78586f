/**
 * The "Reply securely" form in real Chromium, under the portal's CSP: mountReply is bundled into a
 * small page whose `send` records what it gets (or fails as the test says).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';

import { describeBrowser, launchChromium } from '../helpers/browser.ts';
import { PORTAL_CSP } from './pickup-server.ts';

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web');

/** The page: mounts the form under a heading; `send` follows window.__mode and records into window.__sent. */
const ENTRY = `
import { mountReply } from ${JSON.stringify(path.join(webDir, 'src/reply.ts'))};
window.__sent = [];
mountReply(document.getElementById('host'), {
  originalSubject: document.getElementById('host').dataset.subject,
  addressee: 'Acme Health',
  send: async (body) => {
    window.__sent.push(body);
    if (window.__mode === 'limited') throw new Error('You can send at most 5 replies to a message per hour. Try again in 12 minutes.');
    if (window.__mode === 'silent') throw new Error('');
    return { id: 'reply-1' };
  },
});
`;
const STYLES = `@import ${JSON.stringify(path.join(webDir, 'pickup.css'))};\n@import ${JSON.stringify(path.join(webDir, 'reply.css'))};\n`;
const HOSTILE_SUBJECT = 'Lab <img src=x onerror="window.__pwned=1"> results';
const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>reply</title>
<link rel="stylesheet" href="/reply.css"><script type="module" src="/reply.js"></script></head>
<body><main class="page"><div id="host" data-subject="${HOSTILE_SUBJECT.replace(/"/g, '&quot;').replace(/</g, '&lt;')}"></div></main></body></html>`;

describeBrowser('reply form', () => {
  let dir: string;
  let server: Server;
  let origin: string;
  let browser: Browser;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sealpost-reply-'));
    await writeFile(path.join(dir, 'entry.ts'), ENTRY);
    await writeFile(path.join(dir, 'entry.css'), STYLES);
    await build({ entryPoints: [path.join(dir, 'entry.ts')], outfile: path.join(dir, 'reply.js'), bundle: true, format: 'esm', logLevel: 'warning' });
    await build({ entryPoints: [path.join(dir, 'entry.css')], outfile: path.join(dir, 'reply.css'), bundle: true, logLevel: 'warning' });
    const files: Record<string, [string, string]> = { '/reply.js': ['reply.js', 'text/javascript'], '/reply.css': ['reply.css', 'text/css'] };
    server = createServer((req, res) => {
      const file = files[req.url ?? ''];
      const headers = { 'Content-Security-Policy': PORTAL_CSP, 'Cache-Control': 'no-store' };
      if (!file) {
        res.writeHead(200, { ...headers, 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE);
        return;
      }
      void readFile(path.join(dir, file[0])).then((body) => res.writeHead(200, { ...headers, 'Content-Type': file[1] }).end(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 60_000);

  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  afterAll(async () => {
    await Promise.all([browser?.close(), new Promise((resolve) => server?.close(resolve))]);
    await rm(dir, { recursive: true, force: true });
  });

  async function aPage(mode: 'ok' | 'limited' | 'silent' = 'ok'): Promise<{ page: Page; cspErrors: string[] }> {
    context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const cspErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) cspErrors.push(message.text());
    });
    await page.addInitScript((m) => { (window as Window & { __mode?: string }).__mode = m; }, mode);
    await page.goto(`${origin}/m/x`);
    return { page, cspErrors };
  }
  const sent = (page: Page) => page.evaluate(() => (window as unknown as { __sent: unknown[] }).__sent);

  it('opens a labelled form with the focus in the text, and Cancel closes it and returns the focus', async () => {
    const { page, cspErrors } = await aPage();

    await page.getByRole('button', { name: 'Reply securely' }).click();

    const text = page.getByLabel('Your reply');
    await expect(text.evaluate((element) => element === document.activeElement)).resolves.toBe(true);
    await expect(page.getByLabel('Attach files (optional)').getAttribute('type')).resolves.toBe('file');
    await expect(page.getByRole('button', { name: 'Reply securely' }).isVisible()).resolves.toBe(false);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByRole('button', { name: 'Reply securely' }).evaluate((element) => element === document.activeElement)).resolves.toBe(true);
    await expect(text.isVisible()).resolves.toBe(false);
    expect(cspErrors).toEqual([]);
  });

  it('draws the file chooser as the page\'s secondary button, not the browser\'s bare grey box, and spaces the buttons apart', async () => {
    const { page } = await aPage();
    await page.getByRole('button', { name: 'Reply securely' }).click();

    const chooser = await page.getByLabel('Attach files (optional)').evaluate((input) => {
      const style = getComputedStyle(input, '::file-selector-button');
      const page = getComputedStyle(document.documentElement);
      const probe = document.createElement('span');
      probe.style.color = page.getPropertyValue('--control-border');
      document.body.append(probe);
      const controlBorder = getComputedStyle(probe).color;
      probe.remove();
      return { border: `${style.borderTopWidth} ${style.borderTopStyle} ${style.borderTopColor}`, controlBorder, radius: style.borderTopLeftRadius, height: style.minHeight, weight: style.fontWeight };
    });

    expect(chooser.border).toBe(`1px solid ${chooser.controlBorder}`);
    expect(chooser).toMatchObject({ radius: '8px', height: '44px', weight: '600' });
    // The buttons stand apart from the hint above them and from each other, also stacked on a phone.
    for (const size of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
      await page.setViewportSize(size);
      const box = async (selector: string) => (await page.locator(selector).boundingBox()) ?? { x: 0, y: 0, width: 0, height: 0 };
      const [hint, send, cancel] = [await box('.reply-hint'), await box('button[type=submit]'), await box('.button-secondary')];
      expect(send.y - (hint.y + hint.height)).toBeGreaterThanOrEqual(12);
      expect(Math.max(cancel.x - (send.x + send.width), cancel.y - (send.y + send.height))).toBeGreaterThanOrEqual(12);
    }
  });

  it('sends "Re:" the original subject, the text and the files as base64, then says where it went', async () => {
    const { page, cspErrors } = await aPage();
    await page.getByRole('button', { name: 'Reply securely' }).click();

    await page.getByLabel('Your reply').fill('Thank you.\nSee the form.');
    await page.getByLabel('Attach files (optional)').setInputFiles([{ name: 'form.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.7') }]);
    await page.getByRole('button', { name: 'Send reply' }).click();

    await expect.poll(() => page.getByRole('status').textContent()).toBe('Your reply was sent securely to Acme Health.');
    expect(await sent(page)).toEqual([{
      subject: `Re: ${HOSTILE_SUBJECT}`,
      text: 'Thank you.\nSee the form.',
      attachments: [{ filename: 'form.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.7').toString('base64') }],
    }]);
    await expect(page.getByLabel('Your reply').isVisible()).resolves.toBe(false);
    // The subject is shown as text: its markup created no element and ran nothing.
    await expect(page.evaluate(() => [document.querySelectorAll('img').length, (window as Window & { __pwned?: unknown }).__pwned])).resolves.toEqual([0, undefined]);
    expect(cspErrors).toEqual([]);
  });

  it('sends a saved email (message/rfc822) and other container types as opaque application/octet-stream files', async () => {
    const { page } = await aPage();
    await page.getByRole('button', { name: 'Reply securely' }).click();

    await page.getByLabel('Attach files (optional)').setInputFiles([
      { name: 'notice.eml', mimeType: 'message/rfc822', buffer: Buffer.from('Subject: hi\r\n\r\nhello') },
      { name: 'parts.mime', mimeType: 'multipart/mixed', buffer: Buffer.from('--x--') },
    ]);
    await page.getByRole('button', { name: 'Send reply' }).click();

    await expect.poll(() => page.getByRole('status').textContent()).toBe('Your reply was sent securely to Acme Health.');
    const [body] = await sent(page) as { attachments: { filename: string; contentType: string }[] }[];
    expect(body?.attachments.map((a) => [a.filename, a.contentType])).toEqual([['notice.eml', 'application/octet-stream'], ['parts.mime', 'application/octet-stream']]);
  });

  it('refuses files over 4 MB in total before sending anything', async () => {
    const { page } = await aPage();
    await page.getByRole('button', { name: 'Reply securely' }).click();

    await page.getByLabel('Attach files (optional)').setInputFiles([
      { name: 'a.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(3 * 1024 * 1024) },
      { name: 'b.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(1024 * 1024) },
    ]);

    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/the limit is 4\.2 MB in total/);
    await page.getByRole('button', { name: 'Send reply' }).click();
    await expect(page.getByLabel('Attach files (optional)').getAttribute('aria-invalid')).resolves.toBe('true');
    expect(await sent(page)).toEqual([]);
  });

  it('asks for text when the reply is empty', async () => {
    const { page } = await aPage();
    await page.getByRole('button', { name: 'Reply securely' }).click();

    await page.getByRole('button', { name: 'Send reply' }).click();

    await expect(page.getByRole('alert').textContent()).resolves.toBe('Write a reply or attach a file.');
    await expect(page.getByLabel('Your reply').getAttribute('aria-invalid')).resolves.toBe('true');
    expect(await sent(page)).toEqual([]);
  });

  it("shows the server's plain-language refusal and keeps the reply when sending fails", async () => {
    const { page } = await aPage('limited');
    await page.getByRole('button', { name: 'Reply securely' }).click();
    await page.getByLabel('Your reply').fill('One more thing');

    await page.getByRole('button', { name: 'Send reply' }).click();

    await expect.poll(() => page.getByRole('alert').textContent()).toBe('You can send at most 5 replies to a message per hour. Try again in 12 minutes.');
    await expect(page.getByLabel('Your reply').inputValue()).resolves.toBe('One more thing');
    await expect(page.getByRole('button', { name: 'Send reply' }).isEnabled()).resolves.toBe(true);
  });

  it('shows a generic message when the failure says nothing', async () => {
    const { page } = await aPage('silent');
    await page.getByRole('button', { name: 'Reply securely' }).click();
    await page.getByLabel('Your reply').fill('Hello');

    await page.getByRole('button', { name: 'Send reply' }).click();

    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Your reply could not be sent. Please try again.');
  });
});
