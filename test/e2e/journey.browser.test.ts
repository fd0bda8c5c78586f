/**
 * The product's core journey in real headless Chromium against the real local stack (the same
 * startLocal that `npm start` runs): send through the API, read the notification from the local
 * mailbox, open the link, click, read, download, revoke, and see "no longer available" at once.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deriveAccessToken, hashAccessToken } from '../../functions/core/protocol/index.ts';
import type { LocalStack } from '../../functions/entries/local/start-local.ts';
import { capturedMail } from '../../functions/stand-ins/stand-ins.ts';
import { startTestStack } from '../helpers/local-stack.ts';
import { describeBrowser, launchChromium } from '../helpers/browser.ts';
import { parseLink } from '../helpers/builders.ts';
import { dumpTable, findLeaks } from '../helpers/leak-scan.ts';

describeBrowser('recipient journey (local stack + Chromium)', () => {
  let stack: LocalStack;
  let browser: Browser;
  const logs: string[] = [];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      startTestStack({ logWrite: (line) => logs.push(line), logLevel: 'info' }),
      launchChromium(),
    ]);
  }, 60_000);
  afterAll(async () => { await Promise.all([browser?.close(), stack?.close()]); });

  it('sends, notifies, opens only after the click, shows, downloads, and is gone after revocation', async () => {
    // 3.3 MB: its ciphertext is over 3 MB, so the page must fetch it in two parts.
    const attachment = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from(new Uint8Array(3_300_000).map((_, i) => (i * 31) & 0xff))]);
    const sent = await fetch(`${stack.appUrl}/v1/messages`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${stack.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        to: [{ email: 'alice@example.com', name: 'Alice Example' }],
        subject: 'Lab results MARKER-SUBJECT',
        text: 'Plain MARKER-TEXT body',
        html: '<h2>Hello Alice</h2><p>Your <b>MARKER-HTML</b> results.</p><script>parent.__pwned = 1</script><img src="https://tracker.example/pixel.gif">',
        attachments: [{ filename: 'report MARKER-FILE.pdf', contentType: 'application/pdf', content: attachment.toString('base64') }],
      }),
    });
    expect(sent.status).toBe(201);
    const { id } = await sent.json() as { id: string };

    const mail = (await capturedMail(stack.mailboxUrl)).find((m) => m.destination.to.some((t) => t.includes('alice@example.com')));
    expect(mail?.subject).toBe('Demo Health Clinic sent you a secure message');
    expect(JSON.stringify(mail)).not.toMatch(/MARKER/);
    const link = parseLink(mail?.body.html ?? '');
    expect(link.id).toBe(id);

    // A person reads the notification in the local mailbox's web page and clicks the button in it.
    const context = await browser.newContext({ acceptDownloads: true });
    // Recorded for every page of the context from the start, so the pickup tab's first requests count too.
    const requests: string[] = [];
    context.on('request', (r) => {
      const url = new URL(r.url());
      if (url.port !== new URL(stack.mailboxUrl).port) requests.push(`${r.method()} ${url.host}${url.pathname}`);
    });
    const inbox = await context.newPage();
    await inbox.goto(stack.mailboxUrl);
    const email = inbox.locator('.email', { hasText: 'alice@example.com' });
    // The mailbox shows the notification's HTML view open (functions/stand-ins/stand-ins.ts), as a person sees it.
    const popup = context.waitForEvent('page');
    await email.frameLocator('iframe').getByRole('link', { name: 'Open secure message' }).click();
    const page = await popup;
    await page.locator('#open-button').waitFor({ state: 'visible' });

    // Before the click: no secret in the address bar, no content, no request for the ciphertext.
    expect(page.url()).toBe(`${stack.appUrl}/m/${id}`);
    expect(await page.content()).not.toMatch(/MARKER/);
    expect(requests.some((r) => r.startsWith(`GET localhost:${new URL(stack.appUrl).port}/m/${id}`))).toBe(true);
    expect(requests.filter((r) => r.startsWith('POST'))).toEqual([]);
    const statusBefore = await (await fetch(`${stack.appUrl}/v1/messages/${id}`, { headers: { Authorization: `Bearer ${stack.apiKey}` } })).json() as { events: { type: string }[] };
    expect(statusBefore.events.map((e) => e.type)).not.toContain('opened');

    await page.locator('#open-button').click();
    const view = page.locator('#view-message');
    await view.waitFor({ state: 'visible' });
    await expect.poll(() => view.innerText()).toContain('Lab results MARKER-SUBJECT');
    const frame = page.frameLocator('#view-message iframe');
    await expect.poll(() => frame.locator('body').innerText()).toContain('MARKER-HTML');
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(requests.some((r) => r.includes('tracker.example'))).toBe(false);

    const download = page.waitForEvent('download');
    await page.getByText('report MARKER-FILE.pdf').click();
    const file = await (await download).path();
    // Compared by digest: a deep toEqual over megabytes stalls the event loop this test shares with the server.
    const downloaded = readFileSync(file);
    expect(downloaded.length).toBe(attachment.length);
    expect(createHash('sha256').update(downloaded).digest('hex')).toBe(createHash('sha256').update(attachment).digest('hex'));

    // Larger than the table keeps (TABLE_CIPHERTEXT_MAX_BYTES): one open answers the part URLs, and
    // the page GETs the two 4 MiB parts from the blob store through the portal's /blobs/ path.
    const opens = logs.filter((l) => l.includes('"route":"/m/:id/open"') && l.includes('"status":200'));
    expect(opens).toHaveLength(1);
    expect(requests.filter((r) => r.startsWith(`GET localhost:${new URL(stack.appUrl).port}/blobs/${id}/`)).sort())
      .toEqual([0, 1].map((i) => `GET localhost:${new URL(stack.appUrl).port}/blobs/${id}/${i}`));
    const status = await (await fetch(`${stack.appUrl}/v1/messages/${id}`, { headers: { Authorization: `Bearer ${stack.apiKey}` } })).json() as { events: { type: string; recipient?: string }[] };
    expect(status.events.filter((e) => e.type === 'opened').map((e) => e.recipient)).toEqual(['alice@example.com']);

    const revoked = await fetch(`${stack.appUrl}/v1/messages/${id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${stack.apiKey}` } });
    expect(revoked.status).toBe(204);
    await page.goto('about:blank');
    // The page says so at once: no "a message is waiting", no click that only then says it is gone.
    await page.goto(link.url);
    await page.locator('#view-unavailable').waitFor({ state: 'visible' });
    expect(await page.locator('#view-unavailable').innerText()).toMatch(/no longer available/);
    expect(await page.locator('#view-ready').isVisible()).toBe(false);
    await context.close();

    // Nothing the server kept holds the content, the secret or the token.
    const token = await deriveAccessToken(link.secret);
    const table = await dumpTable(stack.dynamoDbEndpoint, stack.tableName);
    expect(table.items).toBeGreaterThan(3);
    const needles = { secret: link.secret, token, subject: 'MARKER-SUBJECT', text: 'MARKER-TEXT', html: 'MARKER-HTML', filename: 'MARKER-FILE', apiKey: stack.apiKey };
    expect(findLeaks(table.text, needles)).toEqual([]);
    expect(findLeaks(logs.join('\n'), needles)).toEqual([]);
    expect(logs.length).toBeGreaterThan(3);
    expect(table.text).toContain(await hashAccessToken(token));
  });
}, { timeout: 60_000 });
