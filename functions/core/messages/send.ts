/**
 * Sending: seal once for every recipient, store (head last, as the commit point), notify each
 * recipient with their own secret, and report exactly what happened per recipient.
 */
import { deriveAccessToken, deriveLinkToken, deriveMessageKey, encodeSecret, hashAccessToken } from '../protocol/index.ts';
import {
  fromBase64Url, sha256Base64Url, ConflictError, DeliveryFailedError, DependencyError, IdempotencyKeyMismatchError, ValidationError,
  describeError, addDays, type Address, type Clock, type Logger, type Notifier, type PickupNotification, type RandomBytes,
} from '../shared/index.ts';
import { appendEvents, type EventLog } from '../audit/index.ts';
import { newMessageId } from './ids.ts';
import { summarizeAttachments, type OutboundMessage, type RecipientKind, type RecipientOutcome, type RecipientRecord, type ReplyAuthor, type SendReceipt } from './model.ts';
import type { Principal } from '../tenants/index.ts';
import { buildPickupNotification, pickupLink, type PickupNotificationInput } from './notification.ts';
import type { CustodyHeadFields, IdempotencyStore, MessageStore, MimeComposer, NewMessageHead, Sealer, SecretCustody } from './ports.ts';

export interface SendDeps {
  readonly store: MessageStore;
  readonly events: EventLog;
  readonly idempotency: IdempotencyStore;
  readonly sealer: Sealer;
  readonly mime: MimeComposer;
  readonly notifier: Notifier;
  readonly clock: Clock;
  readonly random: RandomBytes;
  readonly portalOrigin: string;
  readonly logger: Logger;
  /** Keeps recipients' secrets for a Message Center tenant (KMS) and lists them in inboxes; every deployment composes it. */
  readonly custody?: SecretCustody;
}

export interface SendContext {
  /** The sender's Idempotency-Key header, if any. */
  readonly idempotencyKey?: string;
  /** A hash of the request body, to detect a key reused for a different request. */
  readonly requestHash: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  /** Who the `created` event names; default `key:<keyId>` (a secure reply: `recipient:<rid>`). */
  readonly actor?: string;
  /** A secure reply: the id of the message it answers, kept in the head. */
  readonly inReplyTo?: string;
  /** A secure reply: who wrote it (MessageHead.replyFrom). */
  readonly replyFrom?: ReplyAuthor;
  /** The sealed MIME's From; default the tenant's display name and sender address (a reply: its recipient). */
  readonly from?: Address;
  /** Builds each recipient's notification; default buildPickupNotification (a reply says who replied). */
  readonly notification?: (input: PickupNotificationInput) => PickupNotification;
}

/** How many notifications go out at once: enough to be quick, few enough to stay under SES send rates. */
const NOTIFY_CONCURRENCY = 8;

interface PlannedRecipient extends Address {
  readonly rid: string;
  readonly kind: RecipientKind;
  readonly secret: string;
  /** The OpenPGP password: the secret, or the secret mixed with the passcode. */
  readonly key: string;
  readonly tokenHash: string;
  readonly linkTokenHash: string;
}

/** Each distinct address once (case-insensitive), `to` before `cc`. */
export function distinctRecipients(message: Pick<OutboundMessage, 'to' | 'cc'>): { address: Address; kind: RecipientKind }[] {
  const seen = new Set<string>();
  const out: { address: Address; kind: RecipientKind }[] = [];
  for (const [kind, list] of [['to', message.to], ['cc', message.cc]] as const) {
    for (const address of list) {
      const key = address.email.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ address, kind });
    }
  }
  return out;
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  });
  await Promise.all(workers);
  return results;
}

export async function sendMessage(deps: SendDeps, principal: Principal, message: OutboundMessage, ctx: SendContext): Promise<SendReceipt> {
  const { tenant } = principal;
  const now = deps.clock();
  const keyHash = ctx.idempotencyKey === undefined ? undefined : await sha256Base64Url(`${tenant.id}\n${ctx.idempotencyKey}`);

  let claim: string | undefined;
  if (keyHash) {
    const begun = await deps.idempotency.begin(tenant.id, keyHash, ctx.requestHash, now);
    if (begun.state === 'new') claim = begun.claim;
    if (begun.state === 'done') return begun.receipt;
    if (begun.state === 'in-flight') throw new ConflictError('A request with this Idempotency-Key is still being processed. Retry in a few seconds.');
    if (begun.state === 'mismatch') throw new IdempotencyKeyMismatchError();
  }

  try {
    const receipt = await sealStoreAndNotify(deps, principal, message, ctx, now);
    if (keyHash) {
      await deps.idempotency.complete(tenant.id, keyHash, receipt)
        .catch((e: unknown) => deps.logger.error('idempotency_complete_failed', { messageId: receipt.id, error: describeError(e) }));
    }
    return receipt;
  } catch (error) {
    // Nothing was delivered: free the key so the sender's retry is a fresh attempt.
    if (keyHash) await deps.idempotency.release(tenant.id, keyHash, claim).catch((e: unknown) => deps.logger.error('idempotency_release_failed', { error: describeError(e) }));
    throw error;
  }
}

async function sealStoreAndNotify(deps: SendDeps, principal: Principal, message: OutboundMessage, ctx: SendContext, now: Date): Promise<SendReceipt> {
  const { tenant } = principal;
  const id = newMessageId(deps.random);
  const { defaultExpiryDays, maxExpiryDays } = tenant.settings;
  if (message.expiresInDays !== undefined && message.expiresInDays > maxExpiryDays) {
    throw new ValidationError(`expiresInDays: your organisation allows at most ${maxExpiryDays} days`, [{ field: 'expiresInDays', message: `must be at most ${maxExpiryDays}` }]);
  }
  const expiresAt = addDays(now, Math.min(message.expiresInDays ?? defaultExpiryDays, maxExpiryDays));
  const replyTo = message.replyTo ?? tenant.settings.replyTo;
  const verification = message.verification ?? tenant.settings.verification;
  const planned: PlannedRecipient[] = await Promise.all(
    distinctRecipients(message).map(async ({ address, kind }, index) => {
      const secret = encodeSecret(deps.random(32));
      // The passcode goes into the key before anything is derived from it, and nowhere else.
      const key = await deriveMessageKey(secret, message.passcode);
      return {
        ...address, kind, rid: `r${index}`, secret, key,
        tokenHash: await hashAccessToken(await deriveAccessToken(key)),
        linkTokenHash: await hashAccessToken(await deriveLinkToken(secret)),
      };
    }),
  );

  const { passcode, verification: _override, label, ...content } = message;
  const plaintext = await deps.mime.compose({
    ...content,
    from: ctx.from ?? { email: tenant.settings.senderAddress, name: tenant.settings.displayName },
    ...(replyTo ? { replyTo } : {}),
    date: now,
    messageId: `<${id}@sealpost>`,
  });
  // Message Center: the link secrets (not the passcode-mixed keys) are kept, wrapped by KMS, and a
  // custody key is drawn and wrapped under its own context, before anything is sealed or stored: a
  // KMS failure stores and sends nothing. The message is also sealed for the custody key, so a
  // recovery never needs a recipient's secret. A reply is always link-only (it goes to the
  // organisation's own address, not to an inbox).
  const secretBytes = planned.map((r) => fromBase64Url(r.secret));
  const messageCenter = tenant.settings.messageCenter && ctx.inReplyTo === undefined;
  if (messageCenter && !deps.custody) {
    throw new DependencyError('Message Center is on, but this deployment has no key service configured. Nothing was stored or sent.', 'kms');
  }
  const kept: { fields: CustodyHeadFields; passwords: readonly string[] } = !messageCenter || !deps.custody
    ? { fields: { custody: 'link' }, passwords: [] }
    : await deps.custody.keep(tenant.id, id, secretBytes).catch((error: unknown) => {
      throw new DependencyError('Message Center could not keep the message\'s keys (the key service failed), so nothing was stored or sent. It is safe to retry.', 'kms', error);
    });
  secretBytes.forEach((b) => b.fill(0));
  const custody = kept.fields;
  const ciphertext = await deps.sealer.seal(plaintext, [...planned.map((r) => r.key), ...kept.passwords]);

  const head: NewMessageHead = {
    id,
    tenantId: tenant.id,
    createdAt: now.toISOString(),
    expiresAt: expiresAt.toISOString(),
    state: 'active',
    ...(message.maxViews !== undefined ? { maxViews: message.maxViews } : {}),
    ...(replyTo ? { replyTo } : {}),
    ...(label !== undefined ? { label } : {}),
    attachments: summarizeAttachments(message.attachments),
    ...(ctx.inReplyTo ? { inReplyTo: ctx.inReplyTo, replyFrom: ctx.replyFrom ?? 'recipient' } : {}),
    auditRetentionDays: tenant.settings.auditRetentionDays,
    verification,
    ...(passcode !== undefined ? { passcode: true } : {}),
    ...custody,
    recipients: planned.map(({ secret: _secret, key: _key, ...r }): RecipientRecord => ({ ...r, status: 'pending', opens: 0 })),
  };
  await deps.store.create(head, ciphertext);
  // The inbox lists are a convenience: a failure leaves the message openable by its link.
  if (custody.custody === 'message-center') {
    await deps.custody?.list(head).catch((e: unknown) => deps.logger.error('inbox_entries_failed', { messageId: id, error: describeError(e) }));
  }
  const actor = ctx.actor ?? `key:${principal.keyId}`;
  const base = { messageId: id, tenantId: tenant.id, sourceIp: ctx.sourceIp, userAgent: ctx.userAgent, retentionDays: tenant.settings.auditRetentionDays };
  await appendEvents(deps, [{ ...base, type: 'created', at: now.toISOString(), actor }]);

  const outcomes = await mapLimited(planned, NOTIFY_CONCURRENCY, async (recipient) => {
    const notification = (ctx.notification ?? buildPickupNotification)({
      tenant, reference: { messageId: id, rid: recipient.rid }, to: { email: recipient.email, ...(recipient.name ? { name: recipient.name } : {}) },
      link: pickupLink(deps.portalOrigin, id, recipient.secret), expiresAt,
      ...(replyTo ? { replyTo } : {}),
      ...(passcode !== undefined ? { passcode: true } : {}),
      ...(verification === 'email-code' ? { code: true } : {}),
      ...(custody.custody === 'message-center' ? { inboxUrl: `${deps.portalOrigin.replace(/\/+$/, '')}/inbox/${encodeURIComponent(tenant.id)}` } : {}),
    });
    try {
      return { recipient, ...(await deps.notifier.send(notification)), at: deps.clock().toISOString() };
    } catch (error) {
      deps.logger.error('notify_error', { messageId: id, rid: recipient.rid, error: describeError(error) });
      return { recipient, status: 'failed' as const, reason: 'The notification service failed; the email was not sent.', at: deps.clock().toISOString() };
    }
  });

  const receiptRecipients: RecipientOutcome[] = outcomes.map(({ recipient, status, reason }) =>
    status === 'failed' ? { email: recipient.email, status, reason: reason ?? 'rejected' } : { email: recipient.email, status });

  if (outcomes.every((o) => o.status === 'failed')) {
    // The secrets existed only in those emails: nobody can open the ciphertext. Discard it.
    const discarded = await discard(deps, tenant.id, id);
    await appendEvents(deps, outcomes.map((o) => ({ ...base, type: 'notify_failed' as const, at: o.at, actor: 'system', recipient: o.recipient.email, detail: o.reason })));
    throw new DeliveryFailedError(
      discarded
        // "Confirmed": an email whose answer was lost may have gone out (its reason says so); its link opens nothing.
        ? 'No notification was confirmed by the email service, so the message was discarded: nobody can open it, even from an email that went out unconfirmed. It is safe to send again.'
        : `No notification was confirmed by the email service. The message could not be discarded automatically: revoke it with DELETE /v1/messages/${id}. It is safe to send again.`,
      receiptRecipients.map((r) => ({ email: r.email, status: 'failed' as const, reason: r.reason ?? 'rejected' })),
    );
  }

  await deps.store
    .recordDelivery(id, outcomes.map((o) => ({ rid: o.recipient.rid, status: o.status, reason: o.reason, at: o.at })))
    .catch((e: unknown) => deps.logger.error('record_delivery_failed', { messageId: id, error: describeError(e) }));
  await appendEvents(deps, outcomes.map((o) => ({
    ...base,
    type: o.status === 'notified' ? ('notified' as const) : ('notify_failed' as const),
    at: o.at,
    actor: 'system',
    recipient: o.recipient.email,
    detail: o.reason,
  })));

  return { id, expiresAt: head.expiresAt, recipients: receiptRecipients };
}

/** Revokes and deletes a message nobody can open; reports whether that fully succeeded. */
async function discard(deps: SendDeps, tenantId: string, messageId: string): Promise<boolean> {
  try {
    const revoked = await deps.store.revoke(tenantId, messageId, deps.clock());
    if (revoked) await deps.store.deleteChunks(messageId, revoked.chunkCount);
    return revoked !== undefined;
  } catch (error) {
    deps.logger.error('discard_failed', { messageId, error: describeError(error) });
    return false;
  }
}



