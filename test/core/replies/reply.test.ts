import { describe, expect, it } from 'vitest';
import {
  DependencyError, MessageUnavailableError, PayloadTooLargeError, ValidationError, ReplyRateLimitedError,
} from '../../../functions/core/shared/index.ts';
import type { Tenant } from '../../../functions/core/tenants/index.ts';
import { MAX_REPLY_CONTENT_BYTES, REPLY_LIMIT, sendReply, type ReplyInput } from '../../../functions/core/replies/index.ts';
import { aTenant, parseLink } from '../../helpers/builders.ts';
import { deriveAccessToken, deriveLinkToken } from '../../../functions/core/protocol/index.ts';
import { aReplyWorld } from '../../helpers/reply-fakes.ts';
import { smuggledBytes } from '../../helpers/smuggled-message.ts';

const aReply = (overrides: Partial<ReplyInput> = {}): ReplyInput => ({ subject: 'Re: Lab results', text: 'Thank you, see the form attached.', attachments: [], ...overrides });
const file = (name: string, bytes = 16) => ({ filename: name, contentType: 'application/pdf', content: new Uint8Array(bytes).fill(65) });

/** A world with one original message to alice (r0) and bob (r1), and a helper that replies as one of them. */
async function anOpenedMessage(options: { tenant?: Tenant; replyTo?: string } = {}) {
  const world = aReplyWorld(options.tenant ? { tenant: options.tenant } : {});
  const original = await world.sendOriginal({
    to: [{ email: 'alice@example.com', name: 'Alice Example' }, { email: 'bob@example.com' }],
    ...(options.replyTo ? { replyTo: options.replyTo } : {}),
  });
  const sentBefore = world.deps.notifier.sent.length;
  const reply = (reply: ReplyInput = aReply(), who = 0) =>
    sendReply(world.deps, original.id, { link: original.links[who]?.link as string, token: original.links[who]?.token as string }, reply, { sourceIp: '198.51.100.7', userAgent: 'test-browser/1' });
  const replyNotifications = () => world.deps.notifier.sent.slice(sentBefore);
  return { ...world, original, reply, replyNotifications };
}

describe('sendReply', () => {
  describe('where the reply goes', () => {
    it('goes to the reply-to address given at send time when the original had one', async () => {
      const { reply, replyNotifications } = await anOpenedMessage({ tenant: aTenant({ settings: { replyTo: 'desk@acme.example' } }), replyTo: 'case-42@acme.example' });

      await reply();

      expect(replyNotifications().map((n) => n.to.email)).toEqual(['case-42@acme.example']);
    });

    it("goes to the tenant's reply-to address when the original named none", async () => {
      const { reply, replyNotifications, deps, tenant } = await anOpenedMessage();
      deps.tenants.tenants.set(tenant.id, { ...tenant, settings: { ...tenant.settings, replyTo: 'desk@acme.example' } });

      await reply();

      expect(replyNotifications().map((n) => n.to.email)).toEqual(['desk@acme.example']);
    });

    it("falls back to the tenant's sender address when there is no reply-to address at all", async () => {
      const { reply, replyNotifications } = await anOpenedMessage();

      await reply();

      expect(replyNotifications().map((n) => n.to.email)).toEqual(['notices@acme.example']);
    });
  });

  describe('threading', () => {
    it('links the reply and the original both ways and records "replied" on the original when a reply is sent', async () => {
      const { reply, original, deps } = await anOpenedMessage({ tenant: aTenant({ settings: { auditRetentionDays: 400 } }) });

      const sent = await reply(aReply(), 1);

      expect(sent.expiresAt).toBe('2026-12-13T12:00:00.000Z');
      expect(deps.store.heads.get(sent.id)?.inReplyTo).toBe(original.id);
      expect(deps.store.heads.get(original.id)?.replyIds).toEqual([sent.id]);
      expect(deps.store.heads.get(original.id)?.replyIds).toEqual([sent.id]);
      expect(deps.store.heads.get(sent.id)).toMatchObject({ inReplyTo: original.id });
      expect(deps.store.heads.get(sent.id)?.replyIds).toBeUndefined();
      const replied = deps.events.events.filter((e) => e.messageId === original.id && e.type === 'replied');
      expect(replied).toEqual([expect.objectContaining({
        actor: 'recipient:r1', recipient: 'bob@example.com', detail: sent.id, retentionDays: 400,
        sourceIp: '198.51.100.7', userAgent: 'test-browser/1', tenantId: 'acme',
      })]);
      expect(deps.events.events.find((e) => e.messageId === sent.id && e.type === 'created')?.actor).toBe('recipient:r1');
    });

    it('keeps every reply, oldest first, when a recipient replies twice', async () => {
      const { reply, original, deps } = await anOpenedMessage();

      const first = await reply();
      const second = await reply();

      expect(deps.store.heads.get(original.id)?.replyIds).toEqual([first.id, second.id]);
    });

    it('still answers with the reply when threading it fails afterwards', async () => {
      const { reply, deps } = await anOpenedMessage();
      deps.replies.failAddReply = true;

      const sent = await reply();

      expect(deps.store.heads.get(sent.id)).toBeDefined();
      expect(deps.logger.lines.some((l) => l.includes('reply_link_failed'))).toBe(true);
    });
  });

  describe('what is sealed and what is notified', () => {
    it('seals a MIME message from the recipient, with the text and attachments, that opens with the secret of its notification', async () => {
      const { reply, deps, replyNotifications } = await anOpenedMessage();

      const sent = await reply(aReply({ attachments: [file('form.pdf')] }));

      const [notification] = replyNotifications();
      const link = parseLink(notification?.text ?? '');
      expect(link.id).toBe(sent.id);
      const mime = new TextDecoder().decode(await deps.sealer.open(deps.store.chunks.get(sent.id) as Uint8Array, link.secret));
      expect(mime).toMatch(/^From: Alice Example <alice@example\.com>/m);
      expect(mime).toMatch(/^To: notices@acme\.example/m);
      expect(mime).toMatch(/^Reply-To: alice@example\.com/m);
      expect(mime).toMatch(/^Subject: Re: Lab results/m);
      expect(mime).toContain('Thank you, see the form attached.');
      expect(mime).toContain('filename="form.pdf"');
      expect(mime).not.toMatch(/text\/html/);
    });

    it("names the recipient's address as the sender when the recipient has no name", async () => {
      const { reply, deps, replyNotifications } = await anOpenedMessage();

      const sent = await reply(aReply(), 1);

      const link = parseLink(replyNotifications()[0]?.text ?? '');
      const mime = new TextDecoder().decode(await deps.sealer.open(deps.store.chunks.get(sent.id) as Uint8Array, link.secret));
      expect(mime).toMatch(/^From: "bob@example\.com" <bob@example\.com>/m);
    });

    it("notifies from the tenant's sender address, says who replied, and carries nothing of the reply", async () => {
      const { reply, replyNotifications } = await anOpenedMessage();

      await reply(aReply({ subject: 'Re: TopSecretSubject', text: 'TopSecretBody', attachments: [file('TopSecretName.pdf')] }));

      const [notification] = replyNotifications();
      expect(notification?.from).toEqual({ email: 'notices@acme.example', name: 'Acme Health' });
      expect(notification?.subject).toBe('alice@example.com replied securely to your message');
      expect(notification?.text).toContain('alice@example.com replied securely to your message');
      expect(notification?.replyTo).toBeUndefined();
      expect(JSON.stringify(notification)).not.toMatch(/TopSecret/);
    });
  });

  describe('who wrote to whom', () => {
    it('marks a recipient\'s reply as written by the recipient, and the organisation\'s answer to it as written by the organisation, to that recipient', async () => {
      const { reply, deps, replyNotifications, original } = await anOpenedMessage();
      const first = await reply();
      const toClinic = parseLink(replyNotifications()[0]?.text ?? '');
      const staff = { link: await deriveLinkToken(toClinic.secret), token: await deriveAccessToken(toClinic.secret) };
      const sentBefore = deps.notifier.sent.length;

      const answer = await sendReply(deps, first.id, staff, aReply({ subject: 'Re: Re: Lab results', text: 'Thank you, Alice.' }), {});

      const [notification] = deps.notifier.sent.slice(sentBefore);
      expect(deps.store.heads.get(original.id)).not.toHaveProperty('replyFrom');
      expect(deps.store.heads.get(first.id)?.replyFrom).toBe('recipient');
      expect(deps.store.heads.get(answer.id)).toMatchObject({ inReplyTo: first.id, replyFrom: 'tenant', replyTo: 'notices@acme.example' });
      expect(notification?.to.email).toBe('alice@example.com');
      expect(notification?.subject).toBe('Acme Health replied securely to your message');
      const mime = new TextDecoder().decode(await deps.sealer.open(deps.store.chunks.get(answer.id) as Uint8Array, parseLink(notification?.text ?? '').secret));
      expect(mime).toMatch(/^From: Acme Health <notices@acme\.example>/m);
      expect(mime).toMatch(/^To: alice@example\.com/m);
    });
  });

  describe('rate limit', () => {
    it(`accepts ${REPLY_LIMIT} replies an hour, refuses the next with Retry-After, and accepts again after the hour`, async () => {
      const { reply, clock, deps } = await anOpenedMessage();
      for (let i = 0; i < REPLY_LIMIT; i++) {
        await reply();
        clock.set(new Date(clock().getTime() + 60_000).toISOString());
      }

      const refused = await reply().catch((e: unknown) => e);

      expect(refused).toBeInstanceOf(ReplyRateLimitedError);
      // The window began at 12:00; it is now 12:05.
      expect((refused as ReplyRateLimitedError).retryAfter).toBe(55 * 60);
      const sentSoFar = deps.notifier.sent.length;
      clock.set('2026-11-29T13:00:00.001Z');
      await expect(reply()).resolves.toMatchObject({ id: expect.any(String) });
      expect(deps.notifier.sent.length).toBe(sentSoFar + 1);
    });

    it('counts each recipient on its own when another recipient has used up its replies', async () => {
      const { reply } = await anOpenedMessage();
      for (let i = 0; i < REPLY_LIMIT; i++) await reply(aReply(), 0);

      await expect(reply(aReply(), 0)).rejects.toBeInstanceOf(ReplyRateLimitedError);
      await expect(reply(aReply(), 1)).resolves.toBeDefined();
    });
  });

  describe('availability', () => {
    it('refuses and sends nothing when the original was revoked', async () => {
      const { reply, original, deps, replyNotifications } = await anOpenedMessage();
      await deps.store.revoke('acme', original.id, deps.clock());

      await expect(reply()).rejects.toBeInstanceOf(MessageUnavailableError);

      expect(replyNotifications()).toEqual([]);
      expect(deps.store.heads.size).toBe(1);
    });

    it('refuses and sends nothing when the original has expired', async () => {
      const { reply, clock, replyNotifications } = await anOpenedMessage();
      clock.advanceDays(15);

      await expect(reply()).rejects.toBeInstanceOf(MessageUnavailableError);

      expect(replyNotifications()).toEqual([]);
    });

    it('hands back the grant when authorize verified an emailed code for this reply', async () => {
      const world = aReplyWorld();
      const original = await world.sendOriginal();
      const deps = { ...world.deps, authorize: async (...args: Parameters<typeof world.deps.authorize>) => ({ ...(await world.deps.authorize(...args)), grant: 'G'.repeat(43) }) };

      const sent = await sendReply(deps, original.id, { link: original.links[0]?.link as string, token: original.links[0]?.token as string, code: '123456' }, aReply(), {});

      expect(sent.grant).toBe('G'.repeat(43));
    });

    it('refuses when the token is not a recipient of the original', async () => {
      const { deps, original } = await anOpenedMessage();

      await expect(sendReply(deps, original.id, { token: 'A'.repeat(43) }, aReply(), {})).rejects.toBeInstanceOf(MessageUnavailableError);
    });

    it("refuses when the original's tenant has been disabled", async () => {
      const { reply, deps, tenant } = await anOpenedMessage();
      await deps.tenants.setDisabled(tenant.id, true);

      await expect(reply()).rejects.toBeInstanceOf(MessageUnavailableError);
    });

    it('reports a dependency failure, not the sender API wording, when the notification cannot be sent', async () => {
      const { reply, deps } = await anOpenedMessage();
      deps.notifier.reject.add('notices@acme.example');

      const error = await reply().catch((e: unknown) => e);

      expect(error).toBeInstanceOf(DependencyError);
      expect((error as DependencyError).detail).toBe('Your reply could not be delivered, so it was discarded: nobody can open it. Please try again later.');
    });
  });

  describe('size limits', () => {
    it('refuses a reply over 4 MiB after decoding, before anything is counted or sent', async () => {
      const { reply, original, deps, replyNotifications } = await anOpenedMessage();

      await expect(reply(aReply({ text: 'x', attachments: [file('big.pdf', MAX_REPLY_CONTENT_BYTES)] }))).rejects.toBeInstanceOf(PayloadTooLargeError);

      expect(replyNotifications()).toEqual([]);
      expect(deps.store.heads.get(original.id)?.recipients[0]?.replies).toBeUndefined();
    });

    it('accepts a reply of exactly 4 MiB', async () => {
      const { reply } = await anOpenedMessage();
      const subject = 'Re: Lab results';

      await expect(reply(aReply({ subject, text: '', attachments: [file('max.pdf', MAX_REPLY_CONTENT_BYTES - subject.length)] }))).resolves.toBeDefined();
    });

    it('refuses more than 10 attachments', async () => {
      const { reply } = await anOpenedMessage();

      const error = await reply(aReply({ attachments: Array.from({ length: 11 }, (_, i) => file(`f${i}.pdf`)) })).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues).toEqual([{ field: 'attachments', message: 'allows at most 10 attachments' }]);
    });

    it('refuses an empty reply', async () => {
      const { reply } = await anOpenedMessage();

      await expect(reply(aReply({ text: '  \n' }))).rejects.toBeInstanceOf(ValidationError);
    });
  });

  describe('what a reply may attach', () => {
    it.each(['message/rfc822', 'message/global', 'Multipart/Mixed', 'multipart/alternative'])(
      'refuses an attachment of type %s, naming its field, before anything is counted or sent',
      async (contentType) => {
        const { reply, original, deps, replyNotifications } = await anOpenedMessage();

        const error = await reply(aReply({ attachments: [file('form.pdf'), { filename: 'notice.eml', contentType, content: smuggledBytes() }] })).catch((e: unknown) => e);

        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).issues.map((i) => i.field)).toEqual(['attachments/1/contentType']);
        expect(replyNotifications()).toEqual([]);
        expect(deps.store.heads.get(original.id)?.recipients[0]?.replies).toBeUndefined();
      },
    );
  });
});
