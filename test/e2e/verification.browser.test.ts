/**
 * Verification beyond the link, in real headless Chromium against the real local stack (startLocal,
 * the same as `npm start`) and its real mailbox: an "email-code" message opened from the mailbox
 * page, with the code read from the code email; and a passcode message, wrong then right.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../functions/entries/local/start-local.ts';
import { capturedMail } from '../../functions/stand-ins/stand-ins.ts';
import { startTestStack } from '../helpers/local-stack.ts';
import { describeBrowser, launchChromium } from '../helpers/browser.ts';
import { parseLink } from '../helpers/builders.ts';

const SCREENSHOT_DIR = join(tmpdir(), 'sealpost-pickup-screenshots');

describeBrowser('verification beyond the link (local stack + Chromium)', () => {
  let stack: LocalStack;
  let browser: Browser;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      startTestStack(),
      launchChromium(),
    ]);
  }, 60_000);
  afterAll(async () => { await Promise.all([browser?.close(), stack?.close()]); });

  const send = async (extra: Record<string, unknown>, to: string) => {
    const res = await fetch(`${stack.appUrl}/v1/messages`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${stack.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ to: [to], subject: `Lab results for ${to}`, text: 'Your results are ready.', ...extra }),
    });
    expect(res.status).toBe(201);
    return (await res.json() as { id: string }).id;
  };
  const mailTo = async (to: string) => (await capturedMail(stack.mailboxUrl)).filter((m) => m.destination.to.some((t) => t.includes(to)));
  const eventsOf = async (id: string) =>
    (await (await fetch(`${stack.appUrl}/v1/messages/${id}`, { headers: { Authorization: `Bearer ${stack.apiKey}` } })).json() as { events: { type: string }[] }).events.map((e) => e.type);

  it('emails a code (without any link) after "Open message", and shows the message for the right code', async () => {
    const id = await send({ verification: 'email-code' }, 'carol@example.com');
    const context = await browser.newContext();
    const inbox = await context.newPage();
    await inbox.goto(stack.mailboxUrl);
    const email = inbox.locator('.email', { hasText: 'carol@example.com' });
    // The mailbox shows the notification's HTML view open, as a person sees it.
    const popup = context.waitForEvent('page');
    await email.frameLocator('iframe').getByRole('link', { name: 'Open secure message' }).click();
    const page = await popup;
    await page.locator('#open-button').waitFor({ state: 'visible' });
    expect(await page.locator('.custody').textContent()).toBe('Only the link in your email can open this message.');

    await page.locator('#open-button').click();
    await page.getByLabel('6-digit code').waitFor();
    expect(await page.locator('#code-sent').textContent()).toBe('We sent a 6-digit code to c•••@example.com. It works for 10 minutes.');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'code-view.png') });

    await expect.poll(async () => (await mailTo('carol@example.com')).length).toBe(2);
    const codeMail = (await mailTo('carol@example.com')).find((m) => m.subject.includes('your code'));
    expect(codeMail?.subject).toBe('Demo Health Clinic — your code to open a secure message');
    expect(`${codeMail?.body.text}\n${codeMail?.body.html}`).not.toMatch(/https?:|href=|<a\b/i);
    const code = /^\s+(\d{6})$/m.exec(codeMail?.body.text ?? '')?.[1];
    expect(code).toMatch(/^\d{6}$/);

    await page.getByLabel('6-digit code').fill(code!);
    await page.getByRole('button', { name: 'Verify and open' }).click();
    await page.getByRole('heading', { level: 1, name: 'Lab results for carol@example.com' }).waitFor();
    expect(await page.locator('pre.text-body').innerText()).toContain('Your results are ready.');
    expect(await eventsOf(id)).toEqual(expect.arrayContaining(['code_sent', 'verified', 'opened']));
    await context.close();
  });

  it('asks for the passcode: a wrong one shows the attempts left, the right one opens', async () => {
    const id = await send({ passcode: '31.01.1970' }, 'dave@example.com');
    const [notification] = await mailTo('dave@example.com');
    expect(notification?.body.text).toContain('To open it you will also need the passcode Demo Health Clinic gave you.');
    expect(JSON.stringify(notification)).not.toContain('31.01.1970');
    const link = parseLink(notification?.body.text ?? '');
    const context = await browser.newContext();
    const page = await context.newPage();

    await page.goto(link.url);
    const field = page.getByLabel('Passcode', { exact: true });
    await field.fill('01.31.1970');
    await page.getByRole('button', { name: 'Open message' }).click();
    await expect.poll(() => page.locator('#open-error').textContent()).toBe('That passcode is not right — check capital letters. 4 attempts left.');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'passcode-wrong.png') });
    await field.fill('31.01.1970');
    await page.getByRole('button', { name: 'Open message' }).click();

    await page.getByRole('heading', { level: 1, name: 'Lab results for dave@example.com' }).waitFor();
    expect(await eventsOf(id)).toEqual(expect.arrayContaining(['verification_failed', 'opened']));
    await context.close();
  });
}, { timeout: 60_000 });
