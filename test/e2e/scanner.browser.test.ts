/**
 * Link scanners against every kind of message, on the real local stack (startLocal, the same as
 * `npm start`) and in real Chromium. Mail-security products fetch every URL of an email (GET, HEAD,
 * prefetch), mangle the fragment (`#` sent as `%23`, or `%2523` after double encoding), pass links
 * through their own redirectors (like Safe Links), and some run the page in a browser and click
 * everything. None of it that only reads may reveal, consume or change anything; what a clicking bot
 * holding the whole link does is exactly what any link holder can do (threat model: T7, residual
 * risks 1, 19 and 20).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deriveAccessToken, deriveLinkToken } from '../../functions/core/protocol/index.ts';
import type { LocalStack, SeenRequest } from '../../functions/entries/local/start-local.ts';
import { capturedMail } from '../../functions/stand-ins/stand-ins.ts';
import { describeBrowser, launchChromium } from '../helpers/browser.ts';
import { parseLink } from '../helpers/builders.ts';
import { snapshotTable } from '../helpers/leak-scan.ts';
import { startTestStack } from '../helpers/local-stack.ts';
import { BOT_USER_AGENT, runScannerBot } from '../helpers/scanner-bot.ts';

const SCANNER_USER_AGENT = 'Mozilla/5.0 (compatible; SealpostLinkScanner/1.0)';
const PASSCODE = 'correct horse 1970';
/** Where replies go: the demo tenant's sender address (it sets no replyTo). */
const DEMO_SENDER = 'notices@demo-clinic.example';

interface Case {
  readonly name: string;
  readonly to: string;
  readonly send: Record<string, unknown>;
  /** Sent after Message Center is turned on for the tenant. */
  readonly messageCenter?: true;
  /** The link alone opens it (no code, no passcode): a bot that clicks "Open message" opens it. */
  readonly linkAlone: boolean;
}

const CASES: readonly Case[] = [
  { name: 'plain', to: 'plain@example.com', send: {}, linkAlone: true },
  { name: 'maxViews: 1', to: 'once@example.com', send: { maxViews: 1 }, linkAlone: true },
  { name: 'email code', to: 'coded@example.com', send: { verification: 'email-code' }, linkAlone: false },
  { name: 'passcode', to: 'guarded@example.com', send: { passcode: PASSCODE }, linkAlone: false },
  { name: 'Message Center', to: 'kept@example.com', send: {}, messageCenter: true, linkAlone: true },
];

interface Sent extends Case {
  readonly id: string;
  readonly link: { id: string; secret: string; url: string };
  /** Every URL in the notification, as a scanner extracts them (the link with its fragment). */
  readonly urls: readonly string[];
}

interface Seen extends Omit<SeenRequest, 'headers'> {
  readonly phase: string;
  readonly purpose: string;
}

/** The link with its `#` sent encoded once (`%23`) or twice (`%2523`). */
const mangled = (url: string, encoding: '%23' | '%2523') => url.replace('#', encoding);

/** A tiny stand-in for a link-rewriting service: /safelinks?url=… answers 302 to it; /prefetch?url=… is a page that prefetches it. */
function startRedirector(): Promise<{ origin: string; server: Server }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://redirector.invalid');
    const target = url.searchParams.get('url') ?? '';
    if (url.pathname === '/safelinks') {
      res.writeHead(302, { Location: target });
      res.end();
    } else if (url.pathname === '/prefetch') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(`<!doctype html><title>prefetch</title><link rel="prefetch" href="${target.replace(/"/g, '&quot;')}">`);
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server })));
}

/** The view the pickup page shows once its script has run (`view-ready`, `view-incomplete`, …). */
async function shownView(page: Page): Promise<string> {
  const shown = () => page.evaluate(() => [...document.querySelectorAll<HTMLElement>('[id^="view-"]')].filter((v) => !v.hidden).map((v) => v.id).join(' '));
  await expect.poll(shown, { timeout: 5000 }).not.toBe('');
  return shown();
}

describeBrowser('link scanners (local stack + Chromium)', () => {
  let stack: LocalStack;
  let browser: Browser;
  let redirector: { origin: string; server: Server };
  let phase = 'setup';
  const seen: Seen[] = [];
  const sent: Sent[] = [];

  const api = async <T>(method: string, path: string, body?: unknown, key = stack.apiKey): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${stack.appUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (res.status === 204 ? undefined : await res.json()) as T };
  };
  type Status = { recipients: { opens: number }[]; events: { type: string; userAgent?: string }[] };
  const statusOf = async (id: string) => (await api<Status>('GET', `/v1/messages/${id}`)).body;
  const mailTo = async (to: string) => (await capturedMail(stack.mailboxUrl)).filter((m) => m.destination.to.some((t) => t.includes(to)));
  /** Successful POSTs of /m/{id}/open: each served ciphertext. */
  const releases = (id: string) => seen.filter((s) => s.method === 'POST' && s.target === `/m/${id}/open` && s.status === 200);
  const inPhase = (name: string) => seen.filter((s) => s.phase === name);

  beforeAll(async () => {
    [stack, browser, redirector] = await Promise.all([
      startTestStack({
        // No maintenance run may write while the table is compared; the bot's inbox code request unpaced.
        maintenanceIntervalMs: 0,
        signInAnswerMs: 0,
        onRequest: ({ headers, ...request }) => seen.push({ ...request, phase, purpose: `${headers.get('sec-purpose') ?? ''} ${headers.get('purpose') ?? ''}`.trim() }),
      }),
      launchChromium(),
      startRedirector(),
    ]);
    for (const c of CASES) {
      if (c.messageCenter) expect((await api('PATCH', '/v1/admin/settings', { messageCenter: true }, stack.adminKey)).status).toBe(200);
      const res = await api<{ id: string }>('POST', '/v1/messages', { to: [c.to], subject: `Scanner case: ${c.name}`, text: 'Nothing for scanners.', ...c.send });
      expect(res.status).toBe(201);
      const [mail] = await mailTo(c.to);
      const text = `${mail?.body.text ?? ''}\n${mail?.body.html ?? ''}`;
      const urls = [...new Set([...text.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((m) => m[0].replace(/&amp;/g, '&').replace(/[.,)]+$/, '')))];
      sent.push({ ...c, id: res.body.id, link: parseLink(mail?.body.text ?? ''), urls });
    }
  }, 60_000);
  afterAll(async () => {
    await Promise.all([browser?.close(), stack?.close(), new Promise((resolve) => redirector?.server.close(resolve))]);
  });

  /** A fresh context whose requests may go to the app and the redirector only; records what its pages asked for. */
  async function scannerContext(userAgent: string): Promise<{ context: BrowserContext; requests: string[] }> {
    const context = await browser.newContext({ userAgent });
    const allowed = new Set([new URL(stack.appUrl).origin, redirector.origin]);
    await context.route((url) => !allowed.has(url.origin), (route) => route.abort());
    const requests: string[] = [];
    context.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
    return { context, requests };
  }

  it('reveals, consumes and changes nothing for GET, HEAD, prefetch, %23 and %2523 links and a redirector, with or without a browser', async () => {
    // Each notification carries the link, and for Message Center the inbox's address as well.
    expect(sent.map((s) => s.urls.length)).toEqual([1, 1, 1, 1, 2]);
    const before = await snapshotTable(stack.dynamoDbEndpoint, stack.tableName);

    phase = 'fetch';
    const fetched: number[] = [];
    const scan = async (url: string, init: RequestInit = {}) => {
      const res = await fetch(url, { ...init, headers: { 'User-Agent': SCANNER_USER_AGENT, ...init.headers } });
      await res.arrayBuffer();
      fetched.push(res.status);
    };
    for (const s of sent) {
      for (const url of s.urls) {
        await scan(url);
        await scan(url, { method: 'HEAD' });
        await scan(url, { headers: { 'Sec-Purpose': 'prefetch', Purpose: 'prefetch' } });
        await scan(`${redirector.origin}/safelinks?url=${encodeURIComponent(url)}`);
      }
      await scan(mangled(s.link.url, '%23'));
      await scan(mangled(s.link.url, '%2523'));
    }

    phase = 'browser';
    const { context, requests } = await scannerContext(SCANNER_USER_AGENT);
    const page = await context.newPage();
    const views: string[] = [];
    for (const s of sent) {
      await page.goto(`${redirector.origin}/prefetch?url=${encodeURIComponent(s.link.url)}`);
      await expect.poll(() => inPhase('browser').some((r) => r.target === `/m/${s.id}` && /prefetch/.test(r.purpose))).toBe(true);
      for (const encoding of ['%23', '%2523'] as const) {
        await page.goto(mangled(s.link.url, encoding));
        // The key the scanner put in the path leaves the address bar (and history), as a fragment does.
        views.push(`${s.name} ${encoding}: ${await shownView(page)} at ${page.url().replace(stack.appUrl, '')}`);
      }
      // The rewriter's 302 keeps the fragment: the page gets the whole link, and waits for a click.
      await page.goto(`${redirector.origin}/safelinks?url=${encodeURIComponent(s.link.url)}`);
      views.push(`${s.name} redirected: ${await shownView(page)} at ${page.url().replace(stack.appUrl, '')}`);
    }
    await context.close();
    phase = 'after';
    const after = await snapshotTable(stack.dynamoDbEndpoint, stack.tableName);

    expect(fetched.every((status) => status === 200)).toBe(true);
    // Four ways for every URL of every notification, and the two mangled links of each message.
    expect(fetched).toHaveLength(4 * sent.flatMap((s) => s.urls).length + 2 * sent.length);
    expect(after).toEqual(before);
    expect(views).toEqual(sent.flatMap((s) => [
      `${s.name} %23: view-incomplete at /m/${s.id}`,
      `${s.name} %2523: view-incomplete at /m/${s.id}`,
      `${s.name} redirected: view-ready at /m/${s.id}`,
    ]));
    // Chromium asked for pages, scripts and styles only: nothing was posted, nothing opened.
    expect(requests.filter((r) => !r.startsWith('GET '))).toEqual([]);
    expect(requests.filter((r) => /\/(open|code|reply)\b/.test(r))).toEqual([]);
    const scanned = seen.filter((r) => r.phase === 'fetch' || r.phase === 'browser');
    expect(new Set(scanned.map((r) => r.method))).toEqual(new Set(['GET', 'HEAD']));
    // The secret reached the server's URLs only where a scanner itself put it in the path (%23, %2523).
    for (const s of sent) {
      const withSecret = scanned.filter((r) => r.target.includes(s.link.secret)).map((r) => r.target.replace(s.link.secret, '<secret>'));
      expect(new Set(withSecret)).toEqual(new Set([`/m/${s.id}%23<secret>`, `/m/${s.id}%2523<secret>`]));
    }
    for (const s of sent) {
      const status = await statusOf(s.id);
      expect(status.recipients.map((r) => r.opens), s.name).toEqual([0]);
      expect(status.events.map((e) => e.type), s.name).toEqual(['created', 'notified']);
    }
  });

  it('lets a clicking bot with the whole link open only what the link alone opens, once each: a view-limited message is spent by the bot\'s click and nothing else, a code or passcode message releases nothing', async () => {
    const before = await snapshotTable(stack.dynamoDbEndpoint, stack.tableName);
    const clicks = new Map<string, string[]>();
    for (const s of sent) {
      phase = `bot ${s.name}`;
      const { context } = await scannerContext(BOT_USER_AGENT);
      clicks.set(s.name, await runScannerBot(context, s.urls));
      await context.close();
    }
    phase = 'after bot';

    // Reading again everything the bot read changes nothing: only its POSTs did.
    const botReads = seen.filter((r) => r.phase.startsWith('bot ') && (r.method === 'GET' || r.method === 'HEAD'));
    const middle = await snapshotTable(stack.dynamoDbEndpoint, stack.tableName);
    phase = 'replay';
    for (const r of botReads) await (await fetch(`${stack.appUrl}${r.target}`, { method: r.method, headers: { 'User-Agent': BOT_USER_AGENT } })).arrayBuffer();
    phase = 'after replay';
    expect(await snapshotTable(stack.dynamoDbEndpoint, stack.tableName)).toEqual(middle);
    expect(middle).not.toEqual(before);
    expect(botReads.length).toBeGreaterThan(sent.length * 3);

    const bySent = new Map<string, { opens: number[]; released: number; opened: (string | undefined)[]; types: string[] }>();
    for (const s of sent) {
      const status = await statusOf(s.id);
      bySent.set(s.name, {
        opens: status.recipients.map((r) => r.opens),
        released: releases(s.id).length,
        opened: status.events.filter((e) => e.type === 'opened').map((e) => e.userAgent),
        types: [...new Set(status.events.map((e) => e.type))].sort(),
      });
    }
    console.info(`scanner bot clicks:\n${[...clicks].map(([name, c]) => `  ${name}: ${c.join(' | ')}`).join('\n')}`);

    for (const s of sent) {
      const result = bySent.get(s.name)!;
      // Every ciphertext served went to the bot's own click: no release before the bot, none to anyone else.
      expect(releases(s.id).every((r) => r.phase === `bot ${s.name}`), s.name).toBe(true);
      expect(clicks.get(s.name)?.filter((c) => c.endsWith('Open message')), s.name).toHaveLength(1);
      if (s.linkAlone) {
        // Residual risk 1: a bot holding the whole link is a bearer of it, and opens the message once.
        expect(result, s.name).toMatchObject({ opens: [1], released: 1, opened: [BOT_USER_AGENT] });
        // And, like any link holder (residual risk 28), it can reply: it typed junk into the form and sent it.
        expect(result.types, s.name).toContain('replied');
      } else {
        expect(result, s.name).toMatchObject({ opens: [0], released: 0, opened: [] });
        expect(result.types, s.name).not.toContain('replied');
      }
    }
    // Residual risk 20: the bot's click asked for a code, and its junk passcode counted as a wrong one.
    expect(bySent.get('email code')?.types).toContain('code_sent');
    expect(bySent.get('passcode')?.types).toContain('verification_failed');
    // Residual risk 19: the view-limited message was spent by the bot; its recipient now gets nothing.
    const once = sent.find((s) => s.name === 'maxViews: 1')!;
    const retry = await fetch(`${stack.appUrl}/m/${once.id}/open`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ link: await deriveLinkToken(once.link.secret), token: await deriveAccessToken(once.link.secret) }),
    });
    expect(retry.status).toBe(404);
    const replies = (await mailTo(DEMO_SENDER)).filter((m) => m.subject.includes('replied securely'));
    expect(replies).toHaveLength(sent.filter((s) => s.linkAlone).length);
  });
}, { timeout: 60_000 });
