/**
 * An attached message (message/rfc822) in real Chromium: the pickup page shows it only as a
 * downloadable .eml file, whatever the MIME says (inline, no file name, a Content-ID an <img>
 * names), and nothing of it — HTML, text, its forged From — reaches the rendered message.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { buildWeb } from '../../web/build.ts';
import { describeBrowser, launchChromium } from '../helpers/browser.ts';
import { SMUGGLED_MARKER, SMUGGLED_MESSAGE } from '../helpers/smuggled-message.ts';
import { aSecret, seal } from './pickup-fixtures.ts';
import { startPickupServer, type PickupServer } from './pickup-server.ts';

/** Built by hand, as a hostile sender's system could: three attached messages a reader would inline. */
const MIME = [
  'From: Acme Health <notices@acme.example>',
  'To: bob@example.org',
  'Subject: Your documents',
  'Date: Sat, 14 Mar 2026 09:26:53 +0000',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="outer"',
  '',
  '--outer',
  'Content-Type: multipart/alternative; boundary="alt"',
  '',
  '--alt',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Please see the attached notice.',
  '--alt',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<p>Please see the attached notice.</p><img src="cid:fwd@acme.example" alt="">',
  '--alt--',
  '--outer',
  'Content-Type: message/rfc822',
  '',
  SMUGGLED_MESSAGE,
  '--outer',
  'Content-Type: message/rfc822',
  'Content-Disposition: inline',
  'Content-ID: <fwd@acme.example>',
  '',
  SMUGGLED_MESSAGE,
  '--outer',
  'Content-Type: message/rfc822; name="notice.eml"',
  'Content-Disposition: inline; filename="notice.eml"',
  '',
  SMUGGLED_MESSAGE,
  '--outer--',
  '',
].join('\r\n');

describeBrowser('pickup page: an attached message', () => {
  let distDir: string;
  let server: PickupServer;
  let browser: Browser;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    distDir = await mkdtemp(path.join(tmpdir(), 'sealpost-web-'));
    await buildWeb({ outDir: distDir });
    [server, browser] = await Promise.all([startPickupServer(distDir), launchChromium()]);
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await Promise.all([browser?.close(), server?.close()]);
    await rm(distDir, { recursive: true, force: true });
  });

  it('lists it as a downloadable .eml and renders nothing of it, however the MIME presents it', async () => {
    const { secret, token } = await aSecret();
    server.messages.set('attached', { token, ciphertext: await seal(new TextEncoder().encode(MIME), secret) });
    context = await browser.newContext({ acceptDownloads: true, locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${server.origin}/m/attached#${secret}`);

    await page.getByRole('button', { name: 'Open message' }).click();
    await page.locator('a.attachment').first().waitFor();
    const frame = page.frameLocator('iframe.html-body');
    await expect.poll(() => frame.locator('body').innerText()).toContain('Please see the attached notice.');

    const shown = {
      frame: await frame.locator('html').textContent() ?? '',
      ...await page.evaluate(() => ({
        page: document.documentElement.textContent ?? '',
        srcdoc: document.querySelector('iframe')?.srcdoc ?? '',
        from: document.querySelector('.message-meta')?.textContent ?? '',
        links: [...document.querySelectorAll('a:not(.attachment)')].map((a) => a.getAttribute('href')),
      })),
    };
    expect(shown.page).not.toContain(SMUGGLED_MARKER);
    expect(shown.srcdoc).not.toContain(SMUGGLED_MARKER);
    expect(shown.frame).not.toContain(SMUGGLED_MARKER);
    expect(shown.from).toContain('Acme Health');
    expect(shown.from).not.toContain('IT Service Desk');
    expect(shown.links).toEqual([]);
    const attachments = page.locator('a.attachment');
    expect(await attachments.locator('.attachment-name').allTextContents()).toEqual(['attachment-1.eml', 'attachment-2.eml', 'notice.eml']);
    expect((await attachments.locator('.attachment-meta').allTextContents()).every((meta) => meta.startsWith('message/rfc822 · '))).toBe(true);
    expect(await attachments.first().getAttribute('download')).toBe('attachment-1.eml');
    const [download] = await Promise.all([page.waitForEvent('download'), attachments.first().click()]);
    expect(download.suggestedFilename()).toBe('attachment-1.eml');
    // postal-mime hands over a part's lines with LF endings.
    expect((await readFile(await download.path())).toString('utf8').trimEnd()).toBe(SMUGGLED_MESSAGE.replace(/\r\n/g, '\n').trimEnd());
  });
});
