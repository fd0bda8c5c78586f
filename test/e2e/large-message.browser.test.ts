/**
 * Messages the sender sealed on its own machine (the CLI, docs/protocol.md §21), opened in real
 * headless Chromium against the real local stack: the open answers with the parts' URLs, and the
 * page downloads them from the S3 stand-in through the portal's own /blobs/ path, with a progress
 * bar, then decrypts and shows the message as it shows any other. One 25 MiB attachment (its
 * SHA-256 checked after the browser's download); the rest is small: the same page for a message
 * sealed by sealpost, a part that fails once, links that no longer work, and a Message Center
 * message opened from the inbox and by a recovery link.
 *
 * SEALPOST_MEASURE=1 prints the 25 MiB open's time and the page's peak JS heap.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../../functions/entries/cli.ts';
import type { LocalStack } from '../../functions/entries/local/start-local.ts';
import { capturedMail } from '../../functions/stand-ins/stand-ins.ts';
import { axeViolations } from '../helpers/accessibility.ts';
import { describeBrowser, launchChromium } from '../helpers/browser.ts';
import { parseLink } from '../helpers/builders.ts';
import { startTestStack } from '../helpers/local-stack.ts';

const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const sha256OfFile = (path: string): Promise<string> => new Promise((resolve, reject) => {
  const hash = createHash('sha256');
  createReadStream(path).on('data', (chunk) => hash.update(chunk)).on('end', () => resolve(hash.digest('hex'))).on('error', reject);
});

describeBrowser('large messages sealed by the sender (local stack + Chromium)', () => {
  let stack: LocalStack;
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-large-'));

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startTestStack({ maintenanceIntervalMs: 0 }), launchChromium()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([browser?.close(), stack?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** `npx sealpost send …` in-process against the stack; returns the message id. */
  const cliSend = async (args: string[]): Promise<string> => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(['send', ...args, '--json'], {
      env: { SEALPOST_URL: stack.appUrl, SEALPOST_API_KEY: stack.apiKey },
      stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, isTty: false,
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    return (JSON.parse(stdout) as { id: string }).id;
  };
  /** A file to attach, written to the test's directory. */
  const aFile = (name: string, bytes: Uint8Array): string => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };
  /** The pickup link of message `id` from its notification to `to`. */
  const linkOf = async (id: string, to: string): Promise<string> => {
    const mail = (await capturedMail(stack.mailboxUrl)).find((m) => m.destination.to.some((t) => t.includes(to)) && (m.body.html ?? '').includes(id));
    return parseLink(mail?.body.html ?? '').url;
  };
  /** A context recording the portal's requests (`POST /m/<id>/open`, `GET /blobs/<id>/<n>`, `GET /assets/download.js`). */
  const aContext = async (): Promise<{ context: BrowserContext; page: Page; requests: string[] }> => {
    const context = await browser.newContext({ acceptDownloads: true });
    const requests: string[] = [];
    context.on('request', (r) => { requests.push(`${r.method()} ${new URL(r.url()).pathname}`); });
    // What the bar and the live region said, every change of it (the bar can come and go within a frame).
    await context.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { __said: string[] }).__said = seen;
      new MutationObserver(() => {
        const label = document.getElementById('download-label')?.textContent;
        const bar = document.querySelector('[role="progressbar"], progress');
        const status = document.getElementById('status')?.textContent;
        for (const text of [label && bar ? `bar: ${label}` : '', status ? `status: ${status}` : '']) if (text && seen.at(-1) !== text && !seen.includes(text)) seen.push(text);
      }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    return { context, page: await context.newPage(), requests };
  };
  const said = (page: Page): Promise<string[]> => page.evaluate(() => (window as unknown as { __said: string[] }).__said);
  const open = async (page: Page, url: string, subject: string, timeout = 15_000): Promise<void> => {
    await page.goto(url);
    await page.getByRole('button', { name: 'Open message' }).click();
    await page.getByRole('heading', { level: 1, name: subject }).waitFor({ timeout });
  };
  const download = async (page: Page, name: string): Promise<string> => {
    const event = page.waitForEvent('download');
    await page.getByRole('link', { name: new RegExp(name) }).click();
    const file = await event;
    expect(file.suggestedFilename()).toBe(name);
    return sha256OfFile(await file.path());
  };
  /** What the message view shows, but for the date (two messages sent apart may cross a minute). */
  const shown = (page: Page): Promise<string> => page.evaluate(() => {
    const view = document.getElementById('view-message')?.cloneNode(true) as HTMLElement;
    view.querySelector('time')?.remove();
    return view.innerText;
  });

  it('opens a 25 MiB attachment from the emailed link with a progress bar, and the download is the original', async () => {
    const attachment = new Uint8Array(randomBytes(25 * MiB));
    const id = await cliSend(['--to', 'alice@example.com', '--subject', 'Your scans', '--text', 'All 25 MiB of them.', '--attach', aFile('scans.bin', attachment)]);
    const { context, page, requests } = await aContext();
    const cdp = await context.newCDPSession(page);
    // The JS heap, and with it the ArrayBuffers' backing stores (where the ciphertext and plaintext live).
    let peakHeap = 0;
    let peakWithBuffers = 0;
    const sampling = setInterval(() => {
      cdp.send('Runtime.getHeapUsage').then((usage) => {
        const { usedSize, backingStorageSize = 0 } = usage as typeof usage & { backingStorageSize?: number };
        peakHeap = Math.max(peakHeap, usedSize);
        peakWithBuffers = Math.max(peakWithBuffers, usedSize + backingStorageSize);
      }, () => undefined);
    }, 50);

    const started = Date.now();
    await open(page, await linkOf(id, 'alice@example.com'), 'Your scans', 60_000);
    const openMs = Date.now() - started;
    clearInterval(sampling);

    const bar = await said(page);
    expect(bar.find((t) => /^bar: Downloading \d+\.\d of 34\.\d MiB$/.test(t))).toBeDefined();
    expect(bar).toContain('bar: Decrypting…');
    expect(bar.indexOf('bar: Decrypting…')).toBeGreaterThan(bar.findIndex((t) => t.startsWith('bar: Downloading')));
    // Announced politely, a few times, not at every update of the bar.
    const announced = bar.filter((t) => /^status: Downloading \d/.test(t));
    expect(announced.length).toBeGreaterThanOrEqual(1);
    expect(announced.length).toBeLessThanOrEqual(4);
    expect(bar).toContain('status: Decrypting in your browser…');
    expect(await page.locator('#download').count()).toBe(0);
    expect(await page.locator('pre.text-body').innerText()).toContain('All 25 MiB of them.');
    // One open (one view), then every part once, in order, from this origin.
    const parts = requests.filter((r) => r.startsWith('GET /blobs/'));
    expect(requests.filter((r) => r.startsWith('POST '))).toEqual([`POST /m/${id}/open`]);
    expect(parts).toEqual(Array.from({ length: 9 }, (_, n) => `GET /blobs/${id}/${n}`));
    expect(await download(page, 'scans.bin')).toBe(sha256(attachment));
    if (process.env.SEALPOST_MEASURE) {
      console.log(`25 MiB attachment: opened in ${openMs} ms; peak JS heap ${(peakHeap / MiB).toFixed(1)} MiB, ${(peakWithBuffers / MiB).toFixed(1)} MiB with ArrayBuffers`);
    }
    await context.close();
  }, 180_000);

  it('opens a small message sealed by the CLI exactly as one sealed by sealpost, loading the download only for the first', async () => {
    const file = Buffer.from('%PDF-1.7\nA small report\n');
    const content = { subject: 'Your report', text: 'The report is attached.' };
    const sealedHere = await cliSend(['--to', 'bob@example.com', '--subject', content.subject, '--text', content.text, '--attach', aFile('report.pdf', file)]);
    const sent = await fetch(`${stack.appUrl}/v1/messages`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${stack.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ to: ['bob@example.com'], ...content, attachments: [{ filename: 'report.pdf', contentType: 'application/pdf', content: file.toString('base64') }] }),
    });
    expect(sent.status).toBe(201);
    const sealedThere = (await sent.json() as { id: string }).id;

    const views: string[] = [];
    for (const [id, fetched] of [[sealedHere, true], [sealedThere, false]] as const) {
      const { context, page, requests } = await aContext();
      await open(page, await linkOf(id, 'bob@example.com'), content.subject);
      views.push(await shown(page));
      expect(await download(page, 'report.pdf')).toBe(sha256(file));
      expect(requests.filter((r) => r.startsWith('POST '))).toEqual([`POST /m/${id}/open`]);
      expect(requests.some((r) => r.startsWith('GET /blobs/'))).toBe(fetched);
      expect(requests.includes('GET /assets/download.js')).toBe(fetched);
      await context.close();
    }
    expect(views[0]).toContain(content.text);
    expect(views[0]).toContain('report.pdf');
    expect(views[1]).toBe(views[0]);
  });

  it('fetches a part again when its first request fails, and offers to resume when it keeps failing', async () => {
    const id = await cliSend(['--to', 'carol@example.com', '--subject', 'Retry me', '--text', 'Here after a retry.']);
    const link = await linkOf(id, 'carol@example.com');

    const once = await aContext();
    let failures = 1;
    await once.page.route('**/blobs/**', (route) => (failures-- > 0 ? route.abort('connectionreset') : route.continue()));
    await open(once.page, link, 'Retry me');
    expect(once.requests.filter((r) => r.startsWith('GET /blobs/'))).toEqual([`GET /blobs/${id}/0`, `GET /blobs/${id}/0`]);
    expect(once.requests.filter((r) => r.startsWith('POST '))).toEqual([`POST /m/${id}/open`]);
    await once.context.close();

    // Four failures in a row (the first try and three retries): the page asks, and resumes without a new open.
    const often = await aContext();
    failures = 4;
    await often.page.route('**/blobs/**', (route) => (failures-- > 0 ? route.abort('internetdisconnected') : route.continue()));
    await often.page.goto(link);
    await often.page.getByRole('button', { name: 'Open message' }).click();
    const resume = often.page.getByRole('button', { name: 'Resume download' });
    await resume.waitFor({ timeout: 15_000 });
    expect(await often.page.getByRole('progressbar', { name: /^Downloading 0 of \d KiB$/ }).isVisible()).toBe(true);
    expect(await often.page.getByRole('alert').filter({ hasText: 'interrupted' }).innerText()).toContain('no view is used');
    await expect.poll(() => often.page.evaluate(() => document.activeElement?.textContent)).toBe('Resume download');
    expect(await axeViolations(often.page)).toEqual([]);
    await resume.click();
    await often.page.getByRole('heading', { level: 1, name: 'Retry me' }).waitFor();
    expect(often.requests.filter((r) => r.startsWith('POST '))).toEqual([`POST /m/${id}/open`]);
    expect(often.requests.filter((r) => r.startsWith('GET /blobs/'))).toHaveLength(5);
    await often.context.close();
  });

  it('says plainly that the download links expired when S3 refuses them (403), and opens nothing again', async () => {
    const id = await cliSend(['--to', 'dave@example.com', '--subject', 'Expired links', '--text', 'Never shown.']);
    const { context, page, requests } = await aContext();
    const statuses: number[] = [];
    page.on('response', (r) => { if (new URL(r.url()).pathname.startsWith('/blobs/')) statuses.push(r.status()); });
    // A signature S3 does not accept: the stand-in answers 403 exactly as for links past their 15 minutes.
    await page.route('**/blobs/**', (route) => route.continue({ url: route.request().url().replace(/X-Amz-Signature=[0-9a-f]+/, `X-Amz-Signature=${'0'.repeat(64)}`) }));

    await page.goto(await linkOf(id, 'dave@example.com'));
    await page.getByRole('button', { name: 'Open message' }).click();
    await page.locator('#view-error').waitFor();

    expect(statuses).toEqual([403]);
    expect(await page.locator('#error-text').innerText()).toBe('The download links of this message have expired. Open the link in your email again to download it.');
    expect(await page.locator('#retry-button').isVisible()).toBe(false);
    expect(requests.filter((r) => r.startsWith('POST '))).toEqual([`POST /m/${id}/open`]);
    expect(await page.content()).not.toContain('Never shown.');
    await context.close();
  });

  it('opens a Message Center message sealed by the CLI from the inbox, and by a recovery link', async () => {
    const current = await fetch(`${stack.appUrl}/v1/admin/settings`, { headers: { Authorization: `Bearer ${stack.adminKey}` } });
    const patched = await fetch(`${stack.appUrl}/v1/admin/settings`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${stack.adminKey}`, 'Content-Type': 'application/json', 'If-Match': current.headers.get('ETag') ?? '' },
      body: JSON.stringify({ messageCenter: true }),
    });
    expect(patched.status).toBe(200);
    const id = await cliSend(['--to', 'erin@example.com', '--subject', 'Your statement', '--text', 'Balance: 0.00.']);
    const { context, page, requests } = await aContext();

    await page.goto(`${stack.appUrl}/inbox/demo`);
    await page.getByLabel('Email address').fill('erin@example.com');
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await page.getByLabel('Code').waitFor();
    const codeMail = async () => (await capturedMail(stack.mailboxUrl)).find((m) => m.destination.to.some((t) => t.includes('erin@example.com')) && m.subject.includes('Your sign-in code'));
    await expect.poll(codeMail, { timeout: 15_000 }).toBeDefined();
    await page.getByLabel('Code').fill(/^\s+(\d{6})$/m.exec((await codeMail())?.body.text ?? '')?.[1] ?? '');
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The CLI gives no label: the row is named after the sender.
    await page.getByRole('button', { name: /^Open the message from Demo Health Clinic/ }).click();
    await page.waitForURL(`${stack.appUrl}/m/${id}`);
    await page.getByRole('heading', { level: 1, name: 'Your statement' }).waitFor();
    expect(await page.locator('pre.text-body').innerText()).toContain('Balance: 0.00.');
    expect(requests).toContain(`GET /blobs/${id}/0`);
    await context.close();

    const recovered = await fetch(`${stack.appUrl}/v1/admin/messages/${id}/recover`, { method: 'POST', headers: { Authorization: `Bearer ${stack.adminKey}` } });
    expect(recovered.status).toBe(201);
    const recovery = await aContext();
    await open(recovery.page, (await recovered.json() as { url: string }).url, 'Your statement');
    expect(await recovery.page.locator('.recovery-note').innerText()).toBe('Opened with a recovery link from Demo Health Clinic.');
    expect(recovery.requests).toContain(`GET /blobs/${id}/0`);
    await recovery.context.close();
  });
}, { timeout: 60_000 });
