import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';

import { buildWeb } from '../../web/build.ts';
import { describeBrowser, launchChromium } from '../helpers/browser.ts';
import { BINARY_BYTES, RED_PNG, aMailMessage, aSecret, composeMime, seal } from './pickup-fixtures.ts';
import { TEST_GRANT, startPickupServer, startRemoteServer, type PickupServer, type StoredMessage } from './pickup-server.ts';
import { deriveAccessToken, deriveLinkToken, deriveMessageKey } from '../../functions/core/protocol/index.ts';
import { encodeWrappedSecret, newRecoveryMaterial } from '../../functions/core/protocol/index.ts';
import { fromBase64Url } from '../../functions/core/shared/index.ts';
import { aBrandedTenant, SIMPLE_SVG, svgBytes, withLogo } from '../helpers/brand-fakes.ts';
import { InMemoryTenantDirectory } from '../helpers/fakes.ts';

const SCREENSHOT_DIR = path.join(tmpdir(), 'sealpost-pickup-screenshots');
const UNAVAILABLE = 'This message is no longer available.';
const UNAVAILABLE_WHY = 'It may have expired, or the sender may have withdrawn it. A link that was mistyped also ends here.';

/** One branded tenant ("<b>Acme & Co</b>", teal, an SVG logo) for the branded page. */
const brandDirectory = new InMemoryTenantDirectory();
const brandedTenant = withLogo(brandDirectory, aBrandedTenant(), svgBytes(SIMPLE_SVG), 'image/svg+xml');

describeBrowser('pickup page', () => {
  let distDir: string;
  let server: PickupServer;
  let remote: Awaited<ReturnType<typeof startRemoteServer>>;
  let browser: Browser;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    distDir = await mkdtemp(path.join(tmpdir(), 'sealpost-web-'));
    await buildWeb({ outDir: distDir });
    [server, remote, browser] = await Promise.all([startPickupServer(distDir, { tenants: brandDirectory }), startRemoteServer(), launchChromium()]);
  }, 60_000);

  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  afterAll(async () => {
    await Promise.all([browser?.close(), server?.close(), remote?.close()]);
    await rm(distDir, { recursive: true, force: true });
  });

  /** Seals `mail` under a fresh secret and stores it; returns the pickup link. */
  async function aStoredMessage(id: string, mail = aMailMessage()): Promise<string> {
    const { secret, token } = await aSecret();
    server.messages.set(id, { token, ciphertext: await seal(await composeMime(mail), secret) });
    return `${server.origin}/m/${id}#${secret}`;
  }

  /** A message that needs more than the link: an emailed code and/or a passcode. */
  async function aGuardedMessage(id: string, options: { code?: string; passcode?: string; facts?: StoredMessage['facts'] } = {}): Promise<{ link: string; stored: StoredMessage }> {
    const { secret } = await aSecret();
    const key = await deriveMessageKey(secret, options.passcode);
    const stored: StoredMessage = {
      token: await deriveAccessToken(key), link: await deriveLinkToken(secret), ciphertext: await seal(await composeMime(aMailMessage()), key),
      ...(options.code ? { code: options.code } : {}),
      ...(options.facts ? { facts: options.facts } : options.passcode ? { facts: { kind: 'message', passcode: true, custody: 'link', tenantName: 'Acme' } } : {}),
    };
    server.messages.set(id, stored);
    return { link: `${server.origin}/m/${id}#${secret}`, stored };
  }

  /**
   * A Message Center message opened by a recovery link: sealed under the recipient's secret S (and
   * passcode), while the link's fragment holds R and the open answers with S wrapped under R.
   * `wrappedUnder` wraps S under another link's R instead (a damaged or swapped header).
   */
  async function aRecoveredMessage(id: string, options: { passcode?: string; wrappedUnder?: 'other' } = {}): Promise<{ link: string; stored: StoredMessage }> {
    const { secret } = await aSecret();
    const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
    const material = await newRecoveryMaterial(fromBase64Url(secret), random);
    const other = options.wrappedUnder === 'other' ? await newRecoveryMaterial(fromBase64Url(secret), random) : material;
    const r = material.recoverySecret;
    const stored: StoredMessage = {
      token: await deriveAccessToken(await deriveMessageKey(r, options.passcode)),
      link: await deriveLinkToken(r),
      ciphertext: await seal(await composeMime(aMailMessage()), await deriveMessageKey(secret, options.passcode)),
      wrappedSecret: encodeWrappedSecret(other.wrappedSecret),
      facts: { kind: 'message', passcode: options.passcode !== undefined, custody: 'message-center', tenantName: brandedTenant.settings.displayName },
    };
    server.messages.set(id, stored);
    server.brandedIds.set(id, brandedTenant.id);
    return { link: `${server.origin}/m/${id}#${r}`, stored };
  }

  /** A recovery link to a message sealed for its recipient and for a custody key, as the server seals Message Center messages. */
  async function aCustodyRecovery(id: string, options: { passcode?: string } = {}): Promise<{ link: string; stored: StoredMessage }> {
    const { secret } = await aSecret();
    const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
    const custodyKey = random(32);
    const material = await newRecoveryMaterial(custodyKey, random);
    const r = material.recoverySecret;
    const stored: StoredMessage = {
      token: await deriveAccessToken(r),
      link: await deriveLinkToken(r),
      ciphertext: await seal(await composeMime(aMailMessage()), [await deriveMessageKey(secret, options.passcode), Buffer.from(custodyKey).toString('base64url')]),
      wrappedSecret: encodeWrappedSecret(material.wrappedSecret),
      recoveredKey: 'custody',
      facts: { kind: 'message', passcode: options.passcode !== undefined, custody: 'message-center', tenantName: brandedTenant.settings.displayName },
    };
    server.messages.set(id, stored);
    server.brandedIds.set(id, brandedTenant.id);
    return { link: `${server.origin}/m/${id}#recover:${r}`, stored };
  }

  const posts = (id: string, kind = 'open') => server.requests.filter((r) => r.method === 'POST' && r.path === `/m/${id}/${kind}`).map((r) => r.body ?? {});
  const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id);
  /** Goes to `link`, presses "Open message" and waits for the message (the builders' subject). */
  const openLink = async (page: Page, link: string): Promise<void> => {
    await page.goto(link);
    await page.getByRole('button', { name: 'Open message' }).click();
    await page.getByRole('heading', { level: 1, name: 'Quarterly report' }).waitFor();
  };

  async function aPage(viewport = { width: 1280, height: 860 }): Promise<{ page: Page; seen: string[]; cspErrors: string[] }> {
    context = await browser.newContext({ viewport, acceptDownloads: true, locale: 'en-US', timezoneId: 'UTC' });
    const page = await context.newPage();
    const seen: string[] = [];
    const cspErrors: string[] = [];
    page.on('request', (request) => seen.push(`${request.method()} ${request.url()}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) cspErrors.push(message.text());
    });
    return { page, seen, cspErrors };
  }

  const opens = (id: string): number => server.requests.filter((r) => r.method === 'POST' && r.path === `/m/${id}/open`).length;
  /** The message frame as seen from inside (Playwright reaches an opaque-origin frame; the page cannot) and from the page. */
  const frameDocument = async (page: Page) => {
    const inner = await (await page.$('iframe.html-body'))?.contentFrame();
    const inside = await inner?.evaluate(() => ({
      text: document.body.innerText,
      images: [...document.images].map((img) => ({ src: img.getAttribute('src'), width: img.naturalWidth })),
      framePwned: (window as Window & { __pwned?: unknown }).__pwned,
      origin: window.origin,
    }));
    const outside = await page.evaluate(() => {
      const frame = document.querySelector<HTMLIFrameElement>('iframe.html-body');
      return {
        srcdoc: frame?.srcdoc ?? '',
        pagePwned: (window as Window & { __pwned?: unknown }).__pwned,
        height: frame?.getBoundingClientRect().height ?? 0,
        readable: frame?.contentDocument != null,
      };
    });
    return { text: '', images: [] as { src: string | null; width: number }[], framePwned: undefined as unknown, origin: '', ...inside, ...outside };
  };

  it('removes the key from the address bar and requests nothing before the click', async () => {
    const link = await aStoredMessage('scan-me');
    const { page, seen } = await aPage();

    await page.goto(link);
    await page.getByRole('button', { name: 'Open message' }).waitFor();
    await page.waitForTimeout(300);

    expect(page.url()).toBe(`${server.origin}/m/scan-me`);
    expect(await page.evaluate(() => location.hash)).toBe('');
    expect(opens('scan-me')).toBe(0);
    expect(seen.filter((entry) => !entry.startsWith('GET '))).toEqual([]);
    await expect(page.getByText('It is decrypted in your browser; the server cannot read it.').isVisible()).resolves.toBe(true);
  });

  it('takes the key out of the address bar and history even when the page script never loads, with no CSP violation', async () => {
    const link = await aStoredMessage('script-blocked');
    const { page, cspErrors } = await aPage();
    await page.route('**/assets/pickup.js', (route) => route.abort());

    await page.goto(link);
    await page.waitForLoadState('load');
    await page.goto('about:blank');
    await page.goBack();

    expect(page.url()).toBe(`${server.origin}/m/script-blocked`);
    expect(await page.evaluate(() => location.hash)).toBe('');
    expect(cspErrors).toEqual([]);
  });

  it('decrypts and shows subject, people, date and the text body when the recipient opens it', async () => {
    const link = await aStoredMessage('text-only', aMailMessage({ subject: 'Quarterly report — Q3 🔒' }));
    const { page, cspErrors } = await aPage();
    await page.goto(link);

    await page.getByRole('button', { name: 'Open message' }).click();
    const heading = page.getByRole('heading', { level: 1, name: 'Quarterly report — Q3 🔒' });
    await heading.waitFor();

    await expect(heading.evaluate((element) => element === document.activeElement)).resolves.toBe(true);
    const meta = await page.locator('.message-meta').innerText();
    expect(meta).toContain('Alice Sender');
    expect(meta).toContain('<alice@example.com>');
    expect(meta).toContain('Bob Recipient');
    expect(meta).toContain('carol@example.net');
    expect(meta).toMatch(/Saturday, March 14, 2026 at \d{1,2}:\d{2} [AP]M UTC/);
    const body = await page.locator('pre.text-body').innerText();
    expect(body).toContain('Hello Bob,\n\nThe report is attached.\n  Indented line stays indented.');
    await expect(page.getByRole('link', { name: 'https://example.com/report' }).getAttribute('rel')).resolves.toBe('noopener noreferrer');
    await expect(page.locator('#status').textContent()).resolves.toBe('Message opened.');
    expect(opens('text-only')).toBe(1);
    expect(cspErrors).toEqual([]);
  });

  it('opens a link whose last key character was altered only in its unused bits, as the link it came from', async () => {
    const link = await aStoredMessage('altered-bits', aMailMessage({ subject: 'Same bytes, other spelling' }));
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const altered = link.slice(0, -1) + alphabet[alphabet.indexOf(link.at(-1) as string) | 3];
    const { page } = await aPage();
    await page.goto(altered);

    await page.getByRole('button', { name: 'Open message' }).click();

    await page.getByRole('heading', { level: 1, name: 'Same bytes, other spelling' }).waitFor();
    expect(altered).not.toBe(link);
    expect(opens('altered-bits')).toBe(1);
  });

  it('renders hostile HTML inert: no script, no handler, no remote load, links open in a new tab', async () => {
    const pixel = `${remote.origin}/pixel.gif`;
    const link = await aStoredMessage(
      'hostile',
      aMailMessage({
        html:
          '<html><head><style>body{background:url(' + remote.origin + '/bg.gif)} .hi{color:#b00}</style></head><body>' +
          '<p class="hi">Formatted hello</p><script>window.__pwned=1;parent.__pwned=1</script>' +
          '<img src=x onerror="window.__pwned=2;parent.__pwned=2">' +
          `<img src="${pixel}" alt="tracker"><img srcset="${remote.origin}/set.gif 2x">` +
          `<div style="background-image:url('${remote.origin}/div.gif')">styled</div>` +
          '<form action="https://evil.example/"><input name=q></form>' +
          '<a href="https://example.com/more">More</a><img src="cid:logo@sealpost.test" alt="logo"></body></html>',
        attachments: [{ filename: 'logo.png', content: RED_PNG, contentType: 'image/png', cid: 'logo@sealpost.test' }],
      }),
    );
    const { page, seen, cspErrors } = await aPage();
    await page.goto(link);

    await page.getByRole('button', { name: 'Open message' }).click();
    await page.locator('iframe.html-body').waitFor();
    await expect.poll(async () => (await frameDocument(page)).text).toContain('Formatted hello');
    await expect.poll(async () => (await frameDocument(page)).images.find((img) => img.src?.startsWith('data:image/png;base64,'))?.width).toBe(4);

    const frame = await frameDocument(page);
    expect(frame.pagePwned).toBeUndefined();
    expect(frame.framePwned).toBeUndefined();
    expect(frame.srcdoc).not.toMatch(/<script|onerror|<form|<input/i);
    expect(frame.srcdoc).not.toContain(remote.origin);
    expect(frame.height).toBeGreaterThan(100);
    expect(remote.requests).toEqual([]);
    expect(seen.filter((entry) => entry.includes(remote.origin))).toEqual([]);
    // Neither allow-scripts nor allow-same-origin: the frame's origin is opaque, so even a script that
    // somehow ran, or a popup it opened, could not reach the portal's origin.
    expect(await page.locator('iframe.html-body').getAttribute('sandbox')).toBe('allow-popups allow-popups-to-escape-sandbox');
    expect(frame.origin).toBe('null');
    expect(frame.readable).toBe(false);
    const anchor = await (await (await page.$('iframe.html-body'))?.contentFrame())?.evaluate(() => {
      const a = document.querySelector('a');
      return { target: a?.getAttribute('target'), rel: a?.getAttribute('rel') };
    });
    expect(anchor).toEqual({ target: '_blank', rel: 'noopener noreferrer' });
    await expect(page.getByText('4 remote images were blocked', { exact: false }).isVisible()).resolves.toBe(true);
    // The inline image is shown in the body, so it is not listed again as a download.
    expect(await page.locator('.attachment').count()).toBe(0);
    // Chromium reports the onerror attribute as soon as DOMPurify parses it (inertly); nothing else may be blocked.
    expect(cspErrors.filter((text) => !text.startsWith('Executing inline event handler'))).toEqual([]);
  });

  it('puts a quiet placeholder with the description where a blocked picture would show a broken image, and drops tracking pixels', async () => {
    const link = await aStoredMessage('placeholders', aMailMessage({
      html: `<p>Map:</p><img src="${remote.origin}/map.png" alt="Clinic map" width="200" height="80">`
        + `<img src="${remote.origin}/pixel.gif" width="1" height="1" alt="">`
        + `<img src="cid:missing@example" alt="">`
        + '<span class="sealpost-image-placeholder">forged</span>',
    }));
    const { page } = await aPage();
    await page.goto(link);
    await page.getByRole('button', { name: 'Open message' }).click();
    await page.locator('iframe.html-body').waitFor();

    const inner = await (await page.$('iframe.html-body'))?.contentFrame();
    const boxes = await inner?.evaluate(() => [...document.querySelectorAll('.sealpost-image-placeholder')].map((box) => ({
      text: box.textContent, label: box.getAttribute('aria-label'), role: box.getAttribute('role'), style: box.getAttribute('style'),
    })));
    const images = await inner?.evaluate(() => document.images.length);

    expect(boxes).toEqual([
      { text: 'Clinic map — remote image not loaded', label: 'Clinic map (remote image not loaded)', role: 'img', style: 'width:200px;height:80px' },
      { text: 'Image not available', label: 'Image not available', role: 'img', style: null },
    ]);
    expect(images).toBe(0);
    expect(remote.requests).toEqual([]);
  });

  it('switches between the formatted and the plain-text body', async () => {
    const link = await aStoredMessage('both', aMailMessage({ html: '<p>Formatted <b>hello</b></p>' }));
    const { page } = await aPage();
    await page.goto(link);
    await page.getByRole('button', { name: 'Open message' }).click();
    const plainButton = page.getByRole('button', { name: 'Plain text' });
    await plainButton.waitFor();

    expect(await page.locator('pre.text-body').isVisible()).toBe(false);
    await plainButton.click();

    expect(await page.locator('pre.text-body').isVisible()).toBe(true);
    expect(await page.locator('iframe.html-body').isVisible()).toBe(false);
    expect(await plainButton.getAttribute('aria-pressed')).toBe('true');
  });

  it('shows attachment names as text and downloads the exact bytes', async () => {
    const link = await aStoredMessage(
      'files',
      aMailMessage({ attachments: [{ filename: '<b>evil</b>.txt', content: BINARY_BYTES, contentType: 'text/plain' }] }),
    );
    const { page } = await aPage();
    await page.goto(link);
    await page.getByRole('button', { name: 'Open message' }).click();
    const attachment = page.locator('a.attachment');
    await attachment.waitFor();

    expect(await attachment.locator('.attachment-name').textContent()).toBe('<b>evil</b>.txt');
    expect(await page.locator('.attachments b').count()).toBe(0);
    expect(await attachment.locator('.attachment-meta').textContent()).toBe('text/plain · 512 bytes');
    const [download] = await Promise.all([page.waitForEvent('download'), attachment.click()]);
    const bytes = await readFile(await download.path());
    expect(Buffer.compare(bytes, BINARY_BYTES)).toBe(0);
  });

  it('lists attachments kept encoded with their exact sizes and downloads each one\'s original bytes', async () => {
    const small = Buffer.from(new Uint8Array(999).map((_, i) => (i * 7919) % 256));
    const large = Buffer.alloc(300_001);
    crypto.getRandomValues(large.subarray(0, 65536));
    crypto.getRandomValues(large.subarray(65536, 131072));
    const link = await aStoredMessage('lazy-files', aMailMessage({
      attachments: [
        { filename: 'small.bin', content: small, contentType: 'application/octet-stream' },
        { filename: 'large.pdf', content: large, contentType: 'application/pdf' },
      ],
    }));
    const { page } = await aPage();
    await page.goto(link);
    await page.getByRole('button', { name: 'Open message' }).click();
    const attachments = page.locator('a.attachment');
    await attachments.first().waitFor();
    expect(await attachments.locator('.attachment-meta').allTextContents()).toEqual(['application/octet-stream · 999 bytes', 'application/pdf · 300 kB']);
    for (const [index, original] of [[1, large], [0, small], [1, large]] as const) {
      const [download] = await Promise.all([page.waitForEvent('download'), attachments.nth(index).click()]);
      const bytes = await readFile(await download.path());
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(createHash('sha256').update(original).digest('hex'));
    }
  });

  it('shows the one "not available" state when the server answers 404', async () => {
    await aStoredMessage('guarded');
    const { secret: otherSecret } = await aSecret();
    const { page } = await aPage();
    await page.goto(`${server.origin}/m/guarded#${otherSecret}`);

    await page.getByRole('button', { name: 'Open message' }).click();
    const heading = page.getByRole('heading', { name: 'This message is no longer available' });
    await heading.waitFor();

    expect(await page.locator('#unavailable-text').textContent()).toBe(UNAVAILABLE_WHY);
    expect(await page.locator('#status').textContent()).toBe(UNAVAILABLE);
    await expect(heading.evaluate((element) => element === document.activeElement)).resolves.toBe(true);
  });

  it('offers a retry after a server error and succeeds once the server recovers', async () => {
    const link = await aStoredMessage('flaky');
    server.failNextOpens(1, 503);
    const { page } = await aPage();
    await page.goto(link);

    await page.getByRole('button', { name: 'Open message' }).click();
    await page.getByRole('heading', { name: 'Something went wrong' }).waitFor();
    expect(await page.locator('#error-text').textContent()).toContain('try again');
    expect(await page.locator('#error-reference').textContent()).toBe('Reference: req-test-1');
    await page.getByRole('button', { name: 'Try again' }).click();

    await page.getByRole('heading', { level: 1, name: 'Quarterly report' }).waitFor();
    expect(opens('flaky')).toBe(2);
  });

  for (const [label, fragment] of [
    ['malformed', '#not-a-secret'],
    ['missing', ''],
  ] as const) {
    it(`shows the incomplete-link state without any request when the key is ${label}`, async () => {
      await aStoredMessage('cut-short');
      const { page, seen } = await aPage();

      await page.goto(`${server.origin}/m/cut-short${fragment}`);
      await page.getByRole('heading', { name: 'This link is incomplete' }).waitFor();
      await page.waitForTimeout(200);

      expect(await page.getByText('Open the full link from your email.', { exact: true }).isVisible()).toBe(true);
      expect(await page.getByRole('button', { name: 'Open message' }).isVisible()).toBe(false);
      expect(opens('cut-short')).toBe(0);
      expect(seen.filter((entry) => !entry.startsWith('GET '))).toEqual([]);
      expect(page.url()).toBe(`${server.origin}/m/cut-short`);
    });
  }

  it('says at once that a message is no longer available when the server knows there is none, with or without a key, and asks for nothing', async () => {
    const { secret } = await aSecret();
    const { page, seen } = await aPage();

    const shown: string[] = [];
    for (const url of [`${server.origin}/m/never-sent#${secret}`, `${server.origin}/m/never-sent`]) {
      await page.goto(url);
      await page.getByRole('heading', { name: 'This message is no longer available' }).waitFor();
      shown.push(await page.locator('#view-unavailable').innerText());
    }

    expect(shown[0]).toContain(UNAVAILABLE_WHY);
    expect(shown[1]).toBe(shown[0]);
    expect(await page.getByRole('button', { name: 'Open message' }).isVisible()).toBe(false);
    expect(seen.filter((entry) => !entry.startsWith('GET '))).toEqual([]);
  });

  it('says to open the email\'s link again, not that the link is incomplete, when an opened message is reloaded', async () => {
    const link = await aStoredMessage('reloaded');
    const { page } = await aPage();
    await openLink(page, link);

    await page.reload();
    await page.getByRole('heading', { name: 'Open the link in your email again' }).waitFor();

    expect(await page.locator('#reload-text').textContent()).toBe('For your security, this page never keeps the key to your message, so the message closed when the page reloaded.');
    expect(await page.locator('#view-incomplete').isVisible()).toBe(false);
    expect(await page.evaluate(() => JSON.stringify(history.state))).not.toMatch(/[A-Za-z0-9_-]{43}/);
    expect(opens('reloaded')).toBe(1);
  });

  it('says the same after a reload before the message was opened: the key left the address bar on the first load', async () => {
    const link = await aStoredMessage('reloaded-early');
    const { page } = await aPage();
    await page.goto(link);
    await page.getByRole('button', { name: 'Open message' }).waitFor();

    await page.reload();
    await page.getByRole('heading', { name: 'Open the link in your email again' }).waitFor();

    expect(await page.locator('#reload-text').textContent()).toContain('the key to your message left the address bar as soon as the page first opened');
    expect(opens('reloaded-early')).toBe(0);
  });

  it('greets the organisation\'s staff with a reply for them, and sends their answer to the recipient who replied', async () => {
    const { secret, token } = await aSecret();
    server.messages.set('a-reply', {
      token,
      ciphertext: await seal(await composeMime(aMailMessage({
        from: { name: 'Alice Example', address: 'alice@example.com' }, to: ['notices@acme.example'], cc: [], replyTo: 'alice@example.com', subject: 'Re: Lab results',
      })), secret),
      facts: { kind: 'reply-to-tenant', passcode: false, custody: 'link', tenantName: brandedTenant.settings.displayName },
    });
    server.brandedIds.set('a-reply', brandedTenant.id);
    const { page } = await aPage();
    await page.goto(`${server.origin}/m/a-reply#${secret}`);
    const greeting = await page.locator('#ready-title').textContent();
    const title = await page.title();

    await page.getByRole('button', { name: 'Open message' }).click();
    await page.getByRole('button', { name: 'Reply securely' }).click();
    await page.getByLabel('Your reply').fill('Thank you, Alice.');
    await page.getByRole('button', { name: 'Send reply' }).click();

    expect(greeting).toBe('A secure reply for <b>Acme & Co</b>');
    expect(title).toBe('Secure reply for <b>Acme & Co</b>');
    await expect.poll(() => page.locator('.reply-status').textContent()).toBe('Your reply was sent securely to alice@example.com.');
  });

  it('opens a message handed over by the inbox at once, under the inbox bar, and opens it again through the inbox on reload', async () => {
    const { secret, token } = await aSecret();
    const ids = ['AAAAAAAAAAAAAAAAAAAAAA', 'BBBBBBBBBBBBBBBBBBBBBB', 'CCCCCCCCCCCCCCCCCCCCCC'] as const;
    server.messages.set(ids[1], { token, ciphertext: await seal(await composeMime(aMailMessage({ subject: 'From the inbox' })), secret), facts: { kind: 'message', passcode: false, custody: 'message-center', tenantName: 'Acme' } });
    const { page } = await aPage();
    const inboxOpens: string[] = [];
    await page.route('**/inbox/api/acme/messages/*/open', (route) => {
      inboxOpens.push(new URL(route.request().url()).pathname);
      return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ secret }) });
    });
    await page.goto(`${server.origin}/inbox-stand-in`).catch(() => undefined);
    await page.evaluate((handed) => sessionStorage.setItem('sealpost.inbox.open', JSON.stringify(handed)), { tenantId: 'acme', home: '/inbox/acme', ids, opening: ids[1] });

    await page.goto(`${server.origin}/m/${ids[1]}#${secret}`);
    await page.getByRole('heading', { level: 1, name: 'From the inbox' }).waitFor();
    const bar = {
      back: await page.getByRole('link', { name: 'Back to your messages' }).getAttribute('href'),
      position: await page.locator('#inbox-position').textContent(),
      signOut: await page.getByRole('button', { name: 'Sign out' }).isVisible(),
    };
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'From the inbox' }).waitFor();

    expect(bar).toEqual({ back: '/inbox/acme', position: '2 of 3', signOut: true });
    expect(inboxOpens).toEqual([`/inbox/api/acme/messages/${ids[1]}/open`]);
    expect(opens(ids[1])).toBe(2);
    expect(await page.evaluate(() => sessionStorage.getItem('sealpost.inbox.last'))).toBe(ids[1]);
    expect(await page.getByRole('button', { name: 'Next message' }).isEnabled()).toBe(true);
  });

  it('takes no inbox hand-over meant for another message: a link opened later in the same tab is a plain link', async () => {
    const link = await aStoredMessage('plain-link');
    const { page, seen } = await aPage();
    await page.goto(`${server.origin}/inbox-stand-in`).catch(() => undefined);
    await page.evaluate(() => sessionStorage.setItem('sealpost.inbox.open', JSON.stringify({ tenantId: 'acme', home: '/inbox/acme', ids: [], opening: 'ZZZZZZZZZZZZZZZZZZZZZZ' })));

    await page.goto(link);
    await page.getByRole('button', { name: 'Open message' }).waitFor();

    expect(await page.locator('#inbox-nav').count()).toBe(0);
    expect(opens('plain-link')).toBe(0);
    // An emailed link never downloads the inbox bar.
    expect(seen.filter((entry) => entry.includes('/assets/inbox-bar.js'))).toEqual([]);
    expect(await page.evaluate(() => sessionStorage.getItem('sealpost.inbox.open'))).toBeNull();
  });

  it('starts over when the full link is pasted into a tab that shows the incomplete state', async () => {
    const link = await aStoredMessage('pasted');
    const { page } = await aPage();
    await page.goto(`${server.origin}/m/pasted`);
    await page.getByRole('heading', { name: 'This link is incomplete' }).waitFor();

    // Same path, new fragment: the browser does not reload by itself. A mail client's trailing ")" is ignored.
    await page.goto(`${link})`);
    await page.getByRole('button', { name: 'Open message' }).click();

    await page.getByRole('heading', { level: 1, name: 'Quarterly report' }).waitFor();
    expect(page.url()).toBe(`${server.origin}/m/pasted`);
  });

  it('shows the sender\'s brand: name as text, logo, colour from the theme stylesheet, and no CSP violation', async () => {
    const link = await aStoredMessage('branded');
    server.brandedIds.set('branded', brandedTenant.id);
    const { page, seen, cspErrors } = await aPage();
    const errors: string[] = [];
    page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
    page.on('pageerror', (error) => errors.push(error.message));
    const logoUrl = `${server.origin}/brand/acme/logo/${brandedTenant.settings.brand.logo!.digest}`;

    await page.goto(link);
    const button = page.getByRole('button', { name: 'Open message' });
    await button.waitFor();
    const logo = page.locator('img.brand-logo');
    await expect.poll(() => logo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);

    expect(await page.title()).toBe('Secure message from <b>Acme & Co</b>');
    expect(await page.locator('#ready-title').textContent()).toBe('<b>Acme & Co</b> sent you a secure message');
    expect(await page.locator('b').count()).toBe(0);
    expect(await logo.getAttribute('alt')).toBe('<b>Acme & Co</b>');
    expect(await logo.isVisible()).toBe(true);
    expect(await button.evaluate((element) => getComputedStyle(element).backgroundColor)).toBe('rgb(15, 118, 110)');
    expect(await page.locator('.topbar').evaluate((element) => getComputedStyle(element).borderTopColor)).toBe('rgb(15, 118, 110)');
    expect(seen).toContain(`GET ${logoUrl}`);
    expect(seen).toContain(`GET ${server.origin}/brand/acme/theme.css?v=${brandedTenant.revision}`);
    expect(seen.every((entry) => entry.startsWith(`GET ${server.origin}/`))).toBe(true);
    expect((await page.locator('body').innerText()).match(/sealpost/gi)).toEqual(['sealpost']);
    await expect(page.locator('footer').textContent()).resolves.toBe('Secured by sealpost');
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'branded-ready.png') });

    await button.click();
    await page.locator('pre.text-body').waitFor();
    expect(cspErrors).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('keeps the neutral page unbranded: no brand requests, default colour, no tenant name', async () => {
    const link = await aStoredMessage('unbranded');
    const { page, seen } = await aPage();

    await page.goto(link);
    const button = page.getByRole('button', { name: 'Open message' });
    await button.waitFor();

    expect(await page.title()).toBe('Secure message');
    expect(await page.locator('#ready-title').textContent()).toBe('A secure message is waiting for you');
    expect(await page.locator('img.brand-logo').count()).toBe(0);
    expect(await button.evaluate((element) => getComputedStyle(element).backgroundColor)).toBe('rgb(36, 70, 199)');
    expect(seen.some((entry) => entry.includes('/brand/'))).toBe(false);
  });

  it('fits a 360 px phone without horizontal scrolling (screenshots for review)', async () => {
    const link = await aStoredMessage(
      'phone',
      aMailMessage({
        subject: 'Your signed contract and next steps for onboarding',
        html: '<h2 style="color:#1d4ed8">Welcome aboard</h2><p>Hi Bob, please find your countersigned contract attached. A long unbroken token: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</p><p><img src="cid:logo@sealpost.test" width="48" height="48" alt=""></p>',
        attachments: [
          { filename: 'contract-countersigned-2026-03-14-final-version.pdf', content: BINARY_BYTES, contentType: 'application/pdf' },
          { filename: 'logo.png', content: RED_PNG, contentType: 'image/png', cid: 'logo@sealpost.test' },
          { filename: 'notes.txt', content: 'x'.repeat(2048), contentType: 'text/plain' },
        ],
      }),
    );
    const { page } = await aPage({ width: 360, height: 740 });
    await page.goto(link);
    await page.getByRole('button', { name: 'Open message' }).waitFor();
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'phone-ready.png') });

    await page.getByRole('button', { name: 'Open message' }).click();
    await page.locator('a.attachment').first().waitFor();
    await expect.poll(async () => (await frameDocument(page)).text).toContain('Welcome aboard');

    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'phone-message.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 860 });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'desktop-message.png'), fullPage: true });
    console.info(`pickup screenshots: ${SCREENSHOT_DIR}`);
  });

  it('asks for the emailed code in a labelled one-time-code field, counts a wrong one, and opens with the right one', async () => {
    const { link } = await aGuardedMessage('coded', { code: '482913' });
    const { page, cspErrors } = await aPage();
    await page.goto(link);

    await page.getByRole('button', { name: 'Open message' }).click();
    const input = page.getByLabel('6-digit code');
    await input.waitFor();
    expect(await page.locator('#code-sent').textContent()).toBe('We sent a 6-digit code to a•••@example.com. It works for 10 minutes.');
    expect(await page.locator('#status').textContent()).toContain('a•••@example.com');
    expect(await input.getAttribute('autocomplete')).toBe('one-time-code');
    expect(await input.getAttribute('inputmode')).toBe('numeric');
    expect(await focusedId(page)).toBe('code-input');

    await input.fill('123');
    await page.getByRole('button', { name: 'Verify and open' }).click();
    expect(await page.locator('#code-error').textContent()).toBe('Enter the 6 digits from the email.');
    await input.fill('111111');
    await page.getByRole('button', { name: 'Verify and open' }).click();
    await expect.poll(() => page.locator('#code-error').textContent()).toBe('That code is not right, or it has expired. 4 attempts left.');
    expect(await input.getAttribute('aria-invalid')).toBe('true');
    expect(await focusedId(page)).toBe('code-input');

    await input.fill('482 913');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Quarterly report' }).waitFor();

    const sent = posts('coded');
    expect(sent.map((b) => b.code)).toEqual([undefined, '111111', '482913']);
    expect(sent.every((b) => typeof b.link === 'string' && typeof b.token === 'string' && b.link !== b.token)).toBe(true);
    expect(cspErrors).toEqual([]);
  });

  it('shows the lock with the time to come back in the recipient\'s time zone, and disables the whole form until then', async () => {
    const { link, stored } = await aGuardedMessage('locking', { code: '000111' });
    const { page } = await aPage();
    await page.goto(link);
    await page.getByRole('button', { name: 'Open message' }).click();
    const input = page.getByLabel('6-digit code');
    await input.waitFor();

    stored.failures = 4;
    await input.fill('999999');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#code-error').textContent())
      .toMatch(/^Too many wrong attempts\. For your security, opening this message is paused until \d{1,2}:\d{2} [AP]M UTC \(about 15 minutes\)\.$/);

    expect(await input.isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Verify and open' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Send a new code' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Verify and open' }).click({ force: true });
    expect(posts('locking')).toHaveLength(2);
  });

  it('keeps "send a new code" disabled while rate-limited', async () => {
    const { link, stored } = await aGuardedMessage('rate-limited', { code: '000111' });
    const { page } = await aPage();
    await page.goto(link);
    await page.getByRole('button', { name: 'Open message' }).click();
    await page.getByLabel('6-digit code').waitFor();

    stored.rateLimitCodes = 30;
    await page.getByRole('button', { name: 'Send a new code' }).click();

    await expect.poll(() => page.locator('#code-sent').textContent()).toBe('We sent you a code a moment ago. Enter it below, or ask for a new one in 30 seconds.');
    expect(await page.getByRole('button', { name: 'Send a new code' }).isDisabled()).toBe(true);
    expect(posts('rate-limited', 'code')).toHaveLength(1);
  });

  it('says that wrong codes and wrong passcodes count together when the message has both', async () => {
    const { link } = await aGuardedMessage('both', { code: '000111', passcode: 'Blue' });
    const { page } = await aPage();
    await page.goto(link);
    await page.getByLabel('Passcode', { exact: true }).fill('Blue');
    await page.getByRole('button', { name: 'Open message' }).click();
    const input = page.getByLabel('6-digit code');
    await input.waitFor();

    await input.fill('999999');
    await page.keyboard.press('Enter');

    await expect.poll(() => page.locator('#code-error').textContent()).toBe('That code is not right, or it has expired. 4 attempts left (wrong passcodes count too).');
    expect(await page.locator('#code-limit').textContent()).toBe('After 5 wrong attempts in all — codes and passcodes count together — opening this message pauses for 15 minutes.');
  });

  it('shows a labelled passcode field, asks for it when empty, counts a wrong one, and decrypts with the right one', async () => {
    const { link } = await aGuardedMessage('passcoded', { passcode: '1970-01-31' });
    const { page } = await aPage();
    await page.goto(link);
    const field = page.getByLabel('Passcode', { exact: true });
    await field.waitFor();
    expect(await field.getAttribute('type')).toBe('password');
    expect(await page.locator('#passcode-hint').textContent()).toContain('Capital letters count.');

    await page.getByRole('button', { name: 'Open message' }).click();
    expect(await page.locator('#open-error').textContent()).toBe('Enter the passcode the sender gave you.');
    expect(await focusedId(page)).toBe('passcode-input');
    expect(posts('passcoded')).toHaveLength(0);

    await field.fill('1970-01-30');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#open-error').textContent()).toBe('That passcode is not right — check capital letters. 4 attempts left.');
    await field.fill(' 1970-01-31 ');
    await page.getByRole('button', { name: 'Open message' }).click();
    await page.getByRole('heading', { level: 1, name: 'Quarterly report' }).waitFor();

    const [wrong, right] = posts('passcoded');
    expect(wrong?.link).toBe(right?.link);
    expect(wrong?.token).not.toBe(right?.token);
    expect(JSON.stringify(server.requests)).not.toContain('1970-01');
  });

  it('masks the passcode, unmasks it on request, and warns while Caps Lock is on', async () => {
    const { link } = await aGuardedMessage('masked', { passcode: 'Blue' });
    const { page } = await aPage();
    await page.goto(link);
    const field = page.getByLabel('Passcode', { exact: true });
    await field.waitFor();

    await page.getByRole('button', { name: 'Show passcode' }).click();
    const shown = { type: await field.getAttribute('type'), pressed: await page.locator('#passcode-show').getAttribute('aria-pressed') };
    await page.getByRole('button', { name: 'Hide passcode' }).click();
    await field.evaluate((input) => input.dispatchEvent(new KeyboardEvent('keyup', { key: 'A', modifierCapsLock: true } as KeyboardEventInit)));

    expect(shown).toEqual({ type: 'text', pressed: 'true' });
    expect(await field.getAttribute('type')).toBe('password');
    expect(await page.locator('#passcode-caps').isVisible()).toBe(true);
    expect(await field.getAttribute('aria-describedby')).toBe('passcode-hint passcode-caps');
    await field.evaluate((input) => input.dispatchEvent(new KeyboardEvent('keyup', { key: 'a' })));
    expect(await page.locator('#passcode-caps').isVisible()).toBe(false);
  });

  it('shows who can open the message: the link only, or the tenant\'s Message Center (as text)', async () => {
    const { link: linkOnly } = await aGuardedMessage('custody-link', { facts: { kind: 'message', passcode: false, custody: 'link', tenantName: 'Acme' } });
    const { link: center } = await aGuardedMessage('custody-mc', { facts: { kind: 'message', passcode: false, custody: 'message-center', tenantName: '<b>Acme & Co</b>' } });
    const { page } = await aPage();

    await page.goto(linkOnly);
    const first = await page.locator('.custody').textContent();
    await page.goto('about:blank');
    await page.goto(center);
    const second = await page.locator('.custody').textContent();

    expect(first).toBe('Only the link in your email can open this message.');
    expect(second).toBe('<b>Acme & Co</b>\'s Message Center can also open this message.');
    expect(await page.locator('.custody b').count()).toBe(0);
    expect(await page.getByLabel('Passcode').count()).toBe(0);
  });

  it('sends the grant carried in the fragment (#secret:grant) instead of asking for a code, and removes both from the address bar', async () => {
    const { link } = await aGuardedMessage('granted', { code: '123123' });
    const { page } = await aPage();

    await page.goto(`${link}:${TEST_GRANT}`);
    await page.getByRole('button', { name: 'Open message' }).click();
    await page.getByRole('heading', { level: 1, name: 'Quarterly report' }).waitFor();

    expect(page.url()).toBe(`${server.origin}/m/granted`);
    expect(posts('granted').map((b) => b.grant)).toEqual([TEST_GRANT]);
  });

  it('decrypts a recovery link\'s open with the secret unwrapped from Sealpost-Wrapped-Secret, and says so', async () => {
    const { link, stored } = await aRecoveredMessage('recovered');
    const { page, cspErrors } = await aPage();

    await page.goto(link);
    await page.getByRole('button', { name: 'Open message' }).click();
    await page.getByRole('heading', { level: 1, name: 'Quarterly report' }).waitFor();

    expect(await page.locator('pre.text-body').innerText()).toContain('The report is attached.');
    expect(await page.locator('.recovery-note').textContent()).toBe('Opened with a recovery link from <b>Acme & Co</b>.');
    expect(await page.locator('.recovery-note b').count()).toBe(0);
    expect(posts('recovered')).toEqual([{ link: stored.link, token: stored.token }]);
    // The recipient replies, not the one who recovered the message: no reply button here.
    expect(await page.getByRole('button', { name: 'Reply securely' }).count()).toBe(0);
    expect(cspErrors).toEqual([]);
  });

  it('opens a recovery link through the message\'s custody key: no passcode asked even for a passcode message, and no reply', async () => {
    const { link } = await aCustodyRecovery('custody-recovery', { passcode: 'Blue Fox 7' });
    const { page, cspErrors } = await aPage();

    await page.goto(link);
    const before = await page.locator('.recovery-intro').textContent();
    const passcodeFields = await page.getByLabel('Passcode').count();
    await page.getByRole('button', { name: 'Open message' }).click();
    await page.getByRole('heading', { level: 1, name: 'Quarterly report' }).waitFor();

    expect(before).toBe('This is a recovery link from <b>Acme & Co</b>. It opens the message once, in this browser.');
    expect(passcodeFields).toBe(0);
    expect(page.url()).toBe(`${server.origin}/m/custody-recovery`);
    expect(await page.locator('pre.text-body').innerText()).toContain('The report is attached.');
    expect(await page.getByRole('button', { name: 'Reply securely' }).count()).toBe(0);
    expect(cspErrors).toEqual([]);
  });

  it('mixes the passcode into the recovered secret when the message has one', async () => {
    const { link } = await aRecoveredMessage('recovered-passcode', { passcode: 'Blue Fox 7' });
    const { page } = await aPage();

    await page.goto(link);
    await page.getByLabel('Passcode', { exact: true }).fill('Blue Fox 7');
    await page.getByRole('button', { name: 'Open message' }).click();

    await page.getByRole('heading', { level: 1, name: 'Quarterly report' }).waitFor();
    expect(await page.locator('.recovery-note').count()).toBe(1);
  });

  it('shows the undecryptable error when the wrapped secret does not open with the link\'s key', async () => {
    const { link } = await aRecoveredMessage('recovered-swapped', { wrappedUnder: 'other' });
    const { page } = await aPage();

    await page.goto(link);
    await page.getByRole('button', { name: 'Open message' }).click();

    await page.getByRole('heading', { level: 1, name: 'Something went wrong' }).waitFor();
    expect(await page.locator('#error-text').textContent()).toContain('could not be decrypted');
    expect(await page.locator('.message').count()).toBe(0);
  });

  it('loads the reply form only when "Reply securely" is pressed, and posts the reply with the open\'s link and token', async () => {
    // A branded page names its tenant: the open sends it along (read with the message), the reply does not.
    const { link, stored } = await aGuardedMessage('reply-me', { facts: { kind: 'message', passcode: false, custody: 'link', tenantName: 'Acme', tenantId: 'acme-1' } });
    const { page, seen, cspErrors } = await aPage();
    await page.goto(link);
    await page.getByRole('button', { name: 'Open message' }).click();
    await page.getByRole('heading', { level: 1, name: 'Quarterly report' }).waitFor();
    await page.waitForTimeout(200);
    const loadedBefore = seen.filter((entry) => entry.includes('/assets/reply.'));

    await page.getByRole('button', { name: 'Reply securely' }).click();
    const text = page.getByLabel('Your reply');
    await text.waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('TEXTAREA');
    await text.fill('Thanks, received.');
    await page.getByRole('button', { name: 'Send reply' }).click();
    await expect.poll(() => page.locator('.reply-status').textContent()).toBe('Your reply was sent securely to the sender.');

    expect(loadedBefore).toEqual([]);
    expect(seen).toEqual(expect.arrayContaining([`GET ${server.origin}/assets/reply.js`, `GET ${server.origin}/assets/reply.css`]));
    expect(await page.locator('.reply').evaluate((el) => getComputedStyle(el).marginTop)).toBe('20px');
    expect(posts('reply-me')).toEqual([{ link: stored.link, token: stored.token, tenant: 'acme-1' }]);
    expect(posts('reply-me', 'reply')).toEqual([{ link: stored.link, token: stored.token, subject: 'Re: Quarterly report', text: 'Thanks, received.', attachments: [] }]);
    expect(cspErrors).toEqual([]);
  });

  it('replies with the grant the code earned (never the used code), in the tenant\'s name', async () => {
    const { link, stored } = await aGuardedMessage('reply-coded', { code: '424242' });
    server.brandedIds.set('reply-coded', brandedTenant.id);
    const { page } = await aPage();
    await page.goto(link);
    await page.getByRole('button', { name: 'Open message' }).click();
    await page.getByLabel('6-digit code').fill('424242');
    await page.getByRole('button', { name: 'Verify and open' }).click();
    await page.getByRole('heading', { level: 1, name: 'Quarterly report' }).waitFor();

    await page.getByRole('button', { name: 'Reply securely' }).click();
    await page.getByLabel('Your reply').fill('Got it.');
    await page.getByRole('button', { name: 'Send reply' }).click();

    await expect.poll(() => page.locator('.reply-status').textContent()).toBe('Your reply was sent securely to <b>Acme & Co</b>.');
    const [reply] = posts('reply-coded', 'reply');
    expect(reply).toMatchObject({ link: stored.link, token: stored.token, grant: TEST_GRANT, subject: 'Re: Quarterly report' });
    expect(reply).not.toHaveProperty('code');
  });

  it('offers the reply button again when the reply form cannot be loaded', async () => {
    const link = await aStoredMessage('reply-offline');
    const { page } = await aPage();
    await openLink(page, link);
    await page.route('**/assets/reply.js', (route) => route.abort());

    await page.getByRole('button', { name: 'Reply securely' }).click();

    await expect.poll(() => page.locator('.reply-host [role="alert"]').textContent()).toBe('The reply form could not be loaded. Check your connection and try again.');
    expect(await page.getByRole('button', { name: 'Reply securely' }).isEnabled()).toBe(true);
    expect(posts('reply-offline', 'reply')).toEqual([]);
  });
});
