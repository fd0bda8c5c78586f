/**
 * Hostile content everywhere it can enter, on the real local stack (the API, sealing, the mailbox)
 * in real Chromium: hundreds of payloads (test/helpers/hostile-payloads.ts) in HTML and text
 * bodies, subjects, file names, sender and recipient names, tenant names, logos, webhook URLs and
 * replies (test/helpers/hostile-world.ts), opened in the pickup page (message and reply views), the
 * inbox and the admin console. On every page: nothing runs (canaries), nothing leaves the origin
 * (every request checked), and payloads reach the top document only as text, the message only
 * inside its sandboxed, opaque-origin frame.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../functions/entries/local/start-local.ts';
import { describeBrowser, launchChromium } from '../helpers/browser.ts';
import { FRAME_SANDBOX, inspectFrame, inspectTop, watchContext, type Watch } from '../helpers/hostile-page.ts';
import { EMAIL_PAYLOADS, LOGO_PAYLOADS, PAYLOADS, WEBHOOK_PAYLOADS, hasControls, type Payload } from '../helpers/hostile-payloads.ts';
import { ATTACHED_MESSAGE_NAME, LAST_TENANT_NAME, READER, TENANT_NAMES, buildHostileWorld, probeOf, type HostileWorld } from '../helpers/hostile-world.ts';
import { startTestStack } from '../helpers/local-stack.ts';
import { SMUGGLED_MARKER } from '../helpers/smuggled-message.ts';

const ALL_MARKERS = [...PAYLOADS, ...LOGO_PAYLOADS, ...WEBHOOK_PAYLOADS, ...EMAIL_PAYLOADS].map((p) => p.id);
const texts = (payloads: readonly Payload[]) => payloads.map((p) => p.text);

/** Payload ids by the field they were put in, and by the page that showed them. */
const exercised = { field: new Map<string, Set<string>>(), page: new Map<string, Set<string>>() };
/** CSP reports over all pages: attempts the policy blocked (after the sanitizer, the second line). */
let blockedByPolicy = 0;
const count = (map: Map<string, Set<string>>, key: string, payloads: readonly Payload[]): void => {
  const set = map.get(key) ?? new Set<string>();
  for (const p of payloads) set.add(p.id);
  map.set(key, set);
};
const seen = (field: string, page: string, payloads: readonly Payload[]): void => {
  count(exercised.field, field, payloads);
  count(exercised.page, page, payloads);
};

describeBrowser('hostile content (local stack + Chromium)', () => {
  let stack: LocalStack;
  let browser: Browser;
  let world: HostileWorld;

  beforeAll(async () => {
    // tenantCacheMs 0: each payload is set as a tenant's name and looked at at once (in AWS a warm
    // portal shows a new name within TENANT_CACHE_MS).
    [stack, browser] = await Promise.all([startTestStack({ maintenanceIntervalMs: 0, tenantCacheMs: 0 }), launchChromium()]);
    world = await buildHostileWorld(stack);
  }, 120_000);

  afterAll(async () => {
    const table = (map: Map<string, Set<string>>) => [...map].map(([k, v]) => `  ${k}: ${v.size}`).join('\n');
    const all = new Set([...exercised.field.values()].flatMap((s) => [...s]));
    console.info(`hostile payloads exercised: ${all.size} (CSP reports: ${blockedByPolicy})\nby field:\n${table(exercised.field)}\nby page:\n${table(exercised.page)}`);
    await Promise.all([browser?.close(), stack?.close()]);
  });

  /** A context whose pages are all watched; `use` gets its first page. */
  async function withPage(use: (page: Page, watch: Watch) => Promise<void>, options: Parameters<Browser['newContext']>[0] = {}): Promise<Watch> {
    const context: BrowserContext = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC', ...options });
    const watch = await watchContext(context, new URL(stack.appUrl).origin, ALL_MARKERS);
    try {
      await use(await context.newPage(), watch);
    } finally {
      await context.close();
    }
    return watch;
  }

  /** The page shows `texts` as text, and nothing of any payload as markup, anywhere outside the frame. */
  async function expectInert(page: Page, texts: readonly string[]): Promise<void> {
    const top = await inspectTop(page, texts);
    expect(top.canaries).toBe(true);
    expect(top.activeAttributes).toEqual([]);
    expect(top.markupText).toEqual([]);
    expect(top.missingTexts).toEqual([]);
    expect(top.frames.every((f) => f === `iframe.html-body: ${FRAME_SANDBOX}`)).toBe(true);
  }

  async function openMessage(page: Page, link: string): Promise<void> {
    await page.goto(link);
    await page.getByRole('button', { name: 'Open message' }).click();
    await page.locator('.message-subject').waitFor();
  }

  /** Nothing ran, nothing left the origin (the app's host is the only one asked), nothing broke. */
  function expectNothingEscaped(watch: Watch): void {
    expect(watch.fired).toEqual([]);
    expect(watch.offOrigin).toEqual([]);
    expect([...watch.hosts]).toEqual([new URL(stack.appUrl).host]);
    expect(watch.errors).toEqual([]);
    blockedByPolicy += watch.blocked.length;
  }

  it('refuses hostile SVG logos, serves the one that passes inert, and keeps every tenant name as text on the branded pages', async () => {
    const accepted = LOGO_PAYLOADS.filter((p) => world.logos.get(p.id) === 200);
    expect(accepted.map((p) => p.id)).toEqual([LOGO_PAYLOADS.at(-1)!.id]);
    expect(LOGO_PAYLOADS.slice(0, -1).every((p) => world.logos.get(p.id) === 422)).toBe(true);
    const logoUrl = ((await world.api('GET', '/v1/admin/settings')).body.brand as { logoUrl: string }).logoUrl;
    const probe = world.messages[0]!;

    const watch = await withPage(async (page) => {
      const logo = await page.goto(new URL(logoUrl, stack.appUrl).href);
      expect(logo?.headers()['content-security-policy']).toContain('sandbox');
      await page.waitForTimeout(100);
      for (const name of TENANT_NAMES) {
        await world.setTenantName(name);
        await page.goto(probe.link);
        await page.getByRole('button', { name: 'Open message' }).waitFor();
        await expectInert(page, [`${name.text} sent you a secure message`, `${name.text}'s Message Center can also open this message.`]);
        expect(await page.title()).toBe(`Secure message from ${name.text}`);
        await page.goto(`${stack.appUrl}/inbox/demo`);
        await page.getByLabel('Email address').waitFor();
        await expectInert(page, []);
        expect(await page.title()).toBe(`Secure inbox · ${name.text}`);
        expect(await page.locator('img.brand-logo').getAttribute('alt')).toBe(name.text);
      }
    });

    expectNothingEscaped(watch);
    seen('logo', 'logo (opened directly)', accepted);
    seen('logo (refused)', 'settings API', LOGO_PAYLOADS.slice(0, -1));
    seen('tenant display name', 'pickup (ready)', TENANT_NAMES);
    seen('tenant display name', 'inbox (sign-in)', TENANT_NAMES);
    expect(TENANT_NAMES.length).toBeGreaterThanOrEqual(20);
  });

  it('opens every message in the pickup page: inert frame, payloads only as text, the attached message only a download, and the reply form', async () => {
    const watch = await withPage(async (page) => {
      for (const m of world.messages) {
        await openMessage(page, m.link);
        await expectInert(page, [m.subjectText, m.from.text, ...texts(m.names), ...texts(m.emails), ...texts(m.files), ...texts(m.text), ATTACHED_MESSAGE_NAME]);
        expect(await page.locator('iframe.html-body').count()).toBe(m.html.length > 0 ? 1 : 0);
        if (m.html.length > 0) {
          const sandbox = await page.locator('iframe.html-body').getAttribute('sandbox');
          expect(sandbox).toBe(FRAME_SANDBOX);
          expect(sandbox).not.toMatch(/allow-scripts|allow-same-origin/);
          const frame = await inspectFrame(page);
          expect(frame.active).toEqual([]);
          expect(frame.probes).toEqual(m.html.map(probeOf));
          seen('HTML body', 'pickup (message)', m.html);
        }
        expect(await page.evaluate((marker) => `${document.documentElement.textContent}${document.querySelector('iframe')?.srcdoc}`.includes(marker), SMUGGLED_MARKER)).toBe(false);
        expect(await page.locator('.attachment-name', { hasText: ATTACHED_MESSAGE_NAME }).count()).toBe(1);

        await page.getByRole('button', { name: 'Reply securely' }).click();
        await page.getByLabel('Your reply').waitFor();
        await expectInert(page, [`Re: ${m.subjectText}`, `encrypted for ${LAST_TENANT_NAME.text} before`]);

        seen('subject', 'pickup (message)', m.subject);
        seen('subject', 'pickup (reply form)', m.subject);
        seen('sender display name', 'pickup (message)', [m.from]);
        seen('recipient name', 'pickup (message)', m.names);
        seen('recipient address', 'pickup (message)', m.emails);
        seen('attachment file name', 'pickup (message)', m.files);
        seen('text body', 'pickup (message)', m.text);
      }
    });

    expectNothingEscaped(watch);
    expect([...world.bidiFiles.values()]).toEqual(PAYLOADS.filter(hasControls).map(() => 422));
    expect(world.attachedMessageReplies).toEqual([422, 422]);
    seen('bidi file name (refused)', 'sender API', PAYLOADS.filter(hasControls));
    expect(exercised.page.get('pickup (message)')?.size).toBeGreaterThanOrEqual(150);
  });

  it('opens the replies as the organisation: the recipient\'s name, subject, text and file names only as text', async () => {
    const watch = await withPage(async (page) => {
      for (const reply of world.replies) {
        await openMessage(page, reply.link);
        await expectInert(page, [reply.subject, reply.from.text, ...texts(reply.text), ...texts(reply.files)]);
        expect(await page.locator('iframe').count()).toBe(0);
        seen('reply body', 'pickup (reply)', reply.text);
        seen('sender display name', 'pickup (reply)', [reply.from]);
        seen('attachment file name', 'pickup (reply)', reply.files);
      }
    });

    expectNothingEscaped(watch);
    expect(exercised.page.get('pickup (reply)')?.size).toBeGreaterThanOrEqual(150);
  });

  it('lists the messages in the Message Center inbox with the tenant name as text', async () => {
    const name = LAST_TENANT_NAME;
    const watch = await withPage(async (page) => {
      await page.goto(`${stack.appUrl}/inbox/demo`);
      await page.getByLabel('Email address').fill(READER);
      await page.getByRole('button', { name: 'Send me a code' }).click();
      await page.getByLabel('Code').waitFor();
      await expect.poll(async () => (await world.mailTo(READER)).some((m) => m.subject.includes('sign-in code'))).toBe(true);
      const mail = (await world.mailTo(READER)).find((m) => m.subject.includes('sign-in code'));
      await page.getByLabel('Code').fill(/^\s+(\d{6})$/m.exec(mail?.body.text ?? '')?.[1] ?? '');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: /^Open the message from / }).first().waitFor();

      expect(await page.getByRole('button', { name: /^Open the message from / }).count()).toBe(world.messages.length);
      await expectInert(page, [name.text]);
    });

    expectNothingEscaped(watch);
    seen('tenant display name', 'inbox (list)', [name]);
  });

  it('shows settings, webhooks, messages and activity in the admin console with every payload as text', async () => {
    const accepted = WEBHOOK_PAYLOADS.filter((p) => world.webhooks.get(p.id)?.status === 201);
    const refused = WEBHOOK_PAYLOADS.filter((p) => world.webhooks.get(p.id)?.status === 422);
    const first = world.messages[0]!;
    const watch = await withPage(async (page) => {
      await page.goto(`${stack.appUrl}/admin`);
      await page.getByLabel('Admin key').fill(stack.adminKey);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 2, name: 'Settings' }).waitFor();
      await expectInert(page, [LAST_TENANT_NAME.text]);

      const open = async (section: string) => {
        await page.getByRole('navigation', { name: 'Console sections' }).getByRole('button', { name: section }).click();
        await page.getByRole('heading', { level: 2, name: section }).waitFor();
        await page.locator('[aria-busy="true"]').first().waitFor({ state: 'detached', timeout: 5000 }).catch(() => undefined);
      };
      await open('Webhooks');
      await expect.poll(() => page.locator('.cards > li').count()).toBe(accepted.length);
      await expectInert(page, accepted.map((p) => world.webhooks.get(p.id)!.url!));
      await open('Messages');
      await page.locator(`button[data-message-id="${first.id}"]`).waitFor();
      // The list names a message by its first recipient ("… and 40 others", here not a payload); the details list them all.
      await expectInert(page, []);
      await page.locator(`button[data-message-id="${first.id}"]`).click();
      await page.locator('#message-detail-title').waitFor();
      await expectInert(page, texts(first.emails));
      await open('Activity');
      await page.locator('#panel-activity .activity').waitFor();
      await expectInert(page, []);
    });

    expectNothingEscaped(watch);
    // Every scheme other than http(s), credentials, fragments and non-URLs are refused.
    expect(refused.map((p) => p.id)).toEqual(WEBHOOK_PAYLOADS.slice(0, 8).map((p) => p.id));
    expect(accepted.length + refused.length).toBe(WEBHOOK_PAYLOADS.length);
    seen('webhook URL', 'admin (webhooks)', accepted);
    seen('webhook URL (refused)', 'admin API', refused);
    seen('tenant display name', 'admin (settings)', [LAST_TENANT_NAME]);
    seen('recipient address', 'admin (messages)', first.emails);
  });
}, { timeout: 90_000 });
