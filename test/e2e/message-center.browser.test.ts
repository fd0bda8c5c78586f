/**
 * The Message Center in real headless Chromium against the real local stack (startLocal, the same
 * as `npm start`) and its real mailbox: the inbox sign-in by emailed code, an admin's one-time
 * recovery link, and a secure reply that reaches the organisation and opens there.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../functions/entries/local/start-local.ts';
import { capturedMail } from '../../functions/stand-ins/stand-ins.ts';
import { startTestStack } from '../helpers/local-stack.ts';
import { describeBrowser, launchChromium } from '../helpers/browser.ts';
import { parseLink } from '../helpers/builders.ts';

/** Where replies go: the demo tenant's sender address (it sets no replyTo). */
const DEMO_SENDER = 'notices@demo-clinic.example';

describeBrowser('Message Center (local stack + Chromium)', () => {
  let stack: LocalStack;
  let browser: Browser;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      startTestStack(),
      launchChromium(),
    ]);
    // Message Center on for the demo tenant: messages sent from now on keep their key (custody).
    const current = await fetch(`${stack.appUrl}/v1/admin/settings`, { headers: { Authorization: `Bearer ${stack.adminKey}` } });
    expect(current.status).toBe(200);
    const patched = await fetch(`${stack.appUrl}/v1/admin/settings`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${stack.adminKey}`, 'Content-Type': 'application/json', 'If-Match': current.headers.get('ETag') ?? '' },
      body: JSON.stringify({ messageCenter: true }),
    });
    expect(patched.status).toBe(200);
    expect((await patched.json() as { messageCenter: boolean }).messageCenter).toBe(true);
  }, 60_000);
  afterAll(async () => { await Promise.all([browser?.close(), stack?.close()]); });

  const send = async (to: string, subject: string, text: string, extra: Record<string, unknown> = {}): Promise<string> => {
    const res = await fetch(`${stack.appUrl}/v1/messages`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${stack.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ to: [to], subject, text, ...extra }),
    });
    expect(res.status).toBe(201);
    return (await res.json() as { id: string }).id;
  };
  const mailTo = async (to: string) => (await capturedMail(stack.mailboxUrl)).filter((m) => m.destination.to.some((t) => t.includes(to)));
  /** The first mail to `to` whose subject contains `subject`, once it has arrived. */
  const waitForMail = async (to: string, subject: string) => {
    await expect.poll(async () => (await mailTo(to)).some((m) => m.subject.includes(subject)), { timeout: 15_000 }).toBe(true);
    return (await mailTo(to)).find((m) => m.subject.includes(subject))!;
  };
  const detailOf = async (id: string) =>
    (await (await fetch(`${stack.appUrl}/v1/messages/${id}`, { headers: { Authorization: `Bearer ${stack.apiKey}` } })).json()) as {
      events: { type: string }[];
      replies?: { id: string }[];
    };
  /** Presses "Open message" on a pickup page and waits for the message's heading. */
  const openOnPage = async (page: Page, subject: string) => {
    await page.getByRole('button', { name: 'Open message' }).click();
    await page.getByRole('heading', { level: 1, name: subject }).waitFor();
  };

  it('signs in at /inbox/demo with an emailed code, lists the message by its label, opens it in one step, and comes back to it read', async () => {
    const subject = 'Your invoice for March';
    const id = await send('alice@example.com', subject, 'The invoice is attached to your account.', {
      label: 'Invoice, March', attachments: [{ filename: 'invoice.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.7').toString('base64') }],
    });
    const context = await browser.newContext();
    const page = await context.newPage();

    await page.goto(`${stack.appUrl}/inbox/demo`);
    await page.getByLabel('Email address').fill('alice@example.com');
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await page.getByLabel('Code').waitFor();
    const codeMail = await waitForMail('alice@example.com', 'Your sign-in code');
    const code = /^\s+(\d{6})$/m.exec(codeMail.body.text ?? '')?.[1];
    expect(code).toMatch(/^\d{6}$/);
    await page.getByLabel('Code').fill(code!);
    await page.getByRole('button', { name: 'Sign in' }).click();

    const open = page.getByRole('button', { name: /^Open “Invoice, March” from Demo Health Clinic/ });
    await open.waitFor();
    expect(await page.getByRole('button', { name: /^Open / }).count()).toBe(1);
    await open.click();
    // One step: the message opens without a second click, under a way back to the list.
    await page.waitForURL(`${stack.appUrl}/m/${id}`);
    await page.getByRole('heading', { level: 1, name: subject }).waitFor();

    expect(await page.locator('pre.text-body').innerText()).toContain('The invoice is attached to your account.');
    expect(await page.locator('.recovery-note').count()).toBe(0);
    expect((await detailOf(id)).events.map((e) => e.type)).toContain('opened');
    await page.getByRole('link', { name: 'Back to your messages' }).click();
    await page.getByRole('heading', { name: 'Your secure messages' }).waitFor();
    await expect.poll(() => page.getByRole('listitem').first().textContent()).toContain('Read');
    expect(await page.getByRole('listitem').first().textContent()).toContain('1 attachment');
    await context.close();
  });

  it('opens a recovery link once: the message shows, then the same link is "not available"', async () => {
    const subject = 'Your lost statement';
    const id = await send('erin@example.com', subject, 'Statement: balance 0.00.');
    const recovered = await fetch(`${stack.appUrl}/v1/admin/messages/${id}/recover`, { method: 'POST', headers: { Authorization: `Bearer ${stack.adminKey}` } });
    expect(recovered.status).toBe(201);
    const { url } = await recovered.json() as { url: string };
    expect(url.startsWith(`${stack.appUrl}/m/${id}#`)).toBe(true);
    const context = await browser.newContext();
    const page = await context.newPage();

    await page.goto(url);
    await openOnPage(page, subject);
    const text = await page.locator('pre.text-body').innerText();
    const note = await page.locator('.recovery-note').textContent();
    await page.goto('about:blank');
    await page.goto(url);
    await page.getByRole('button', { name: 'Open message' }).click();
    await page.getByRole('heading', { level: 1, name: 'This message is no longer available' }).waitFor();
    expect(await page.locator('#unavailable-text').textContent()).toBe('A recovery link opens the message once. If you need it again, ask Demo Health Clinic for a new link.');

    expect(text).toContain('Statement: balance 0.00.');
    expect(note).toBe('Opened with a recovery link from Demo Health Clinic.');
    expect((await detailOf(id)).events.map((e) => e.type)).toContain('recovered');
    await context.close();
  });

  it('sends a secure reply that reaches the organisation, opens there as a reply, is listed on the original, and is answered back to the recipient', async () => {
    const subject = 'Your appointment on Monday';
    const id = await send('frank@example.com', subject, 'Please confirm your appointment.');
    const notification = await waitForMail('frank@example.com', '');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(parseLink(notification.body.text ?? '').url);
    await openOnPage(page, subject);

    await page.getByRole('button', { name: 'Reply securely' }).click();
    await page.getByLabel('Your reply').fill('Thanks, received.');
    await page.getByRole('button', { name: 'Send reply' }).click();
    await expect.poll(() => page.locator('.reply-status').textContent(), { timeout: 15_000 }).toBe('Your reply was sent securely to Demo Health Clinic.');

    const replyMail = await waitForMail(DEMO_SENDER, 'replied securely');
    const reply = parseLink(replyMail.body.text ?? '');
    const staff = await context.newPage();
    await staff.goto(reply.url);
    const staffGreeting = await staff.locator('#ready-title').textContent();
    await openOnPage(staff, `Re: ${subject}`);
    expect(await staff.locator('pre.text-body').innerText()).toContain('Thanks, received.');

    const detail = await detailOf(id);
    expect(detail.events.map((e) => e.type)).toContain('replied');
    expect(detail.replies).toEqual([{ id: reply.id }]);
    // Who wrote to whom: the organisation is not told it "sent you a message", and its answer goes to Frank.
    expect(staffGreeting).toBe('A secure reply for Demo Health Clinic');
    await staff.getByRole('button', { name: 'Reply securely' }).click();
    expect(await staff.locator('.reply-hint').textContent()).toContain('Your reply is encrypted for frank@example.com');
    await staff.getByLabel('Your reply').fill('See you on Monday.');
    await staff.getByRole('button', { name: 'Send reply' }).click();
    await expect.poll(() => staff.locator('.reply-status').textContent(), { timeout: 15_000 }).toBe('Your reply was sent securely to frank@example.com.');
    const answer = await waitForMail('frank@example.com', 'Demo Health Clinic replied securely');
    const frank = await context.newPage();
    await frank.goto(parseLink(answer.body.text ?? '').url);
    expect(await frank.locator('#ready-title').textContent()).toBe('Demo Health Clinic sent you a secure reply');
    await context.close();
  });
}, { timeout: 90_000 });
