/**
 * Sending: seal once for every recipient, store (head last, as the commit point), notify each
 * recipient with their own secret, and report exactly what happened per recipient.
 */
import { deriveAccessToken, deriveLinkToken, deriveMessageKey, encodeSecret, hashAccessToken } from '../protocol/index.ts';
import {
  fromBase64Url, sha256Base64Url, ConflictError, DeliveryFailedError, DependencyError, IdempotencyKeyMismatchError, ValidationError,
  describeError, addDays, type Address, type Clock, type Logger, type Notifier, type PickupNotification, type RandomBytes,
} from '../shared/index.ts';
import { appendEvents, type AuditEvent, type EventLog } from '../audit/index.ts';
import { newMessageId } from './ids.ts';
import { TABLE_CIPHERTEXT_MAX_BYTES, partLayout, summarizeAttachments, type OutboundMessage, type RecipientKind, type RecipientOutcome, type RecipientRecord, type ReplyAuthor, type SendReceipt } from './model.ts';
import type { Principal, Tenant, VerificationPolicy } from '../tenants/index.ts';
import { buildPickupNotification, pickupLink, type PickupNotificationInput } from './notification.ts';
import type { BlobStore, CustodyHeadFields, IdempotencyStore, MessageStore, NewMessageHead, Sealer, SecretCustody } from './ports.ts';
import { composeMime } from './mime.ts';

export interface SendDeps {
  readonly store: MessageStore;
  readonly events: EventLog;
  readonly idempotency: IdempotencyStore;
  readonly sealer: Sealer;
  readonly notifier: Notifier;
  readonly clock: Clock;
  readonly random: RandomBytes;
  readonly portalOrigin: string;
  readonly logger: Logger;
  /** Keeps recipients' secrets for a Message Center tenant (KMS) and lists them in inboxes; every deployment composes it. */
  readonly custody?: SecretCustody;
  /**
   * Where a sealed message larger than TABLE_CIPHERTEXT_MAX_BYTES is kept (S3); without it, the
   * table keeps every message.
   */
  readonly blobs?: Pick<BlobStore, 'write' | 'delete'>;
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

/** A recipient of a message being sealed: its fresh secret, its key (the OpenPGP password) and the hashes the head keeps. */
export interface PlannedRecipient extends Address {
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
  return withIdempotency(deps, principal.tenant.id, ctx, (now) => sealStoreAndNotify(deps, principal, message, ctx, now));
}

/**
 * Runs a send under the sender's Idempotency-Key (when there is one): a repeat with the same key and
 * body gets the first receipt again, a repeat while the first runs a conflict, a repeat with another
 * body a mismatch. A send that fails frees the key, so the sender's retry is a fresh attempt.
 */
export async function withIdempotency(
  deps: Pick<SendDeps, 'idempotency' | 'clock' | 'logger'>,
  tenantId: string,
  ctx: Pick<SendContext, 'idempotencyKey' | 'requestHash'>,
  send: (now: Date) => Promise<SendReceipt>,
): Promise<SendReceipt> {
  const now = deps.clock();
  const keyHash = ctx.idempotencyKey === undefined ? undefined : await sha256Base64Url(`${tenantId}\n${ctx.idempotencyKey}`);

  let claim: string | undefined;
  if (keyHash) {
    const begun = await deps.idempotency.begin(tenantId, keyHash, ctx.requestHash, now);
    if (begun.state === 'new') claim = begun.claim;
    if (begun.state === 'done') return begun.receipt;
    if (begun.state === 'in-flight') throw new ConflictError('A request with this Idempotency-Key is still being processed. Retry in a few seconds.', { retryAfter: 2 });
    if (begun.state === 'mismatch') throw new IdempotencyKeyMismatchError();
  }

  try {
    const receipt = await send(now);
    if (keyHash) {
      await deps.idempotency.complete(tenantId, keyHash, receipt)
        .catch((e: unknown) => deps.logger.error('idempotency_complete_failed', { messageId: receipt.id, error: describeError(e) }));
    }
    return receipt;
  } catch (error) {
    // Nothing was delivered: free the key so the sender's retry is a fresh attempt.
    if (keyHash) await deps.idempotency.release(tenantId, keyHash, claim).catch((e: unknown) => deps.logger.error('idempotency_release_failed', { error: describeError(e) }));
    throw error;
  }
}

/** What a tenant's settings and a sender's request make of a new message's terms. */
export interface MessageTerms {
  readonly expiresAt: Date;
  readonly replyTo?: string;
  readonly verification: VerificationPolicy;
}

/** The expiry (refused beyond the tenant's maximum), reply-to and verification of a new message. */
export function messageTerms(tenant: Tenant, request: Pick<OutboundMessage, 'expiresInDays' | 'replyTo' | 'verification'>, now: Date): MessageTerms {
  const { defaultExpiryDays, maxExpiryDays } = tenant.settings;
  if (request.expiresInDays !== undefined && request.expiresInDays > maxExpiryDays) {
    throw new ValidationError(`expiresInDays: your organisation allows at most ${maxExpiryDays} days`, [{ field: 'expiresInDays', message: `must be at most ${maxExpiryDays}` }]);
  }
  const replyTo = request.replyTo ?? tenant.settings.replyTo;
  return {
    expiresAt: addDays(now, Math.min(request.expiresInDays ?? defaultExpiryDays, maxExpiryDays)),
    ...(replyTo ? { replyTo } : {}),
    verification: request.verification ?? tenant.settings.verification,
  };
}

/**
 * Each distinct recipient with a fresh secret: its key (the secret, or the secret mixed with the
 * passcode — before anything is derived from it, and nowhere else) and the hashes the head keeps.
 * The same planning seals on the server and on a sender's machine (the SDK).
 */
export async function planRecipients(message: Pick<OutboundMessage, 'to' | 'cc' | 'passcode'>, random: RandomBytes): Promise<PlannedRecipient[]> {
  return Promise.all(distinctRecipients(message).map(async ({ address, kind }, index) => {
    const secret = encodeSecret(random(32));
    const key = await deriveMessageKey(secret, message.passcode);
    return {
      ...address, kind, rid: `r${index}`, secret, key,
      tokenHash: await hashAccessToken(await deriveAccessToken(key)),
      linkTokenHash: await hashAccessToken(await deriveLinkToken(secret)),
    };
  }));
}

async function sealStoreAndNotify(deps: SendDeps, principal: Principal, message: OutboundMessage, ctx: SendContext, now: Date): Promise<SendReceipt> {
  const { tenant } = principal;
  const id = newMessageId(deps.random);
  const terms = messageTerms(tenant, message, now);
  const planned = await planRecipients(message, deps.random);

  const { passcode, verification: _override, label, ...content } = message;
  const plaintext = composeMime({
    ...content,
    from: ctx.from ?? { email: tenant.settings.senderAddress, name: tenant.settings.displayName },
    ...(terms.replyTo ? { replyTo: terms.replyTo } : {}),
    date: now,
    messageId: `<${id}@sealpost>`,
  }, deps.random);
  // Message Center: the link secrets (not the passcode-mixed keys) are kept, wrapped by KMS, and a
  // custody key is drawn and wrapped under its own context, before anything is sealed or stored: a
  // KMS failure stores and sends nothing. The message is also sealed for the custody key, so a
  // recovery never needs a recipient's secret. A reply is always link-only (it goes to the
  // organisation's own address, not to an inbox).
  const custody = ctx.inReplyTo === undefined ? messageCenterFor(deps, tenant) : undefined;
  let fields: CustodyHeadFields = { custody: 'link' };
  const passwords = planned.map((r) => r.key);
  if (custody) {
    const secretBytes = planned.map((r) => fromBase64Url(r.secret));
    try {
      const [key, wrappedSecrets] = await Promise.all([custody.drawKey(tenant.id, id), custody.keepSecrets(tenant.id, id, secretBytes)]);
      fields = { custody: 'message-center', wrappedSecrets, wrappedCustodyKey: key.wrapped };
      passwords.push(key.password);
    } catch (error) {
      throw keyServiceFailed(error);
    } finally {
      secretBytes.forEach((b) => b.fill(0));
    }
  }
  const ciphertext = await deps.sealer.seal(plaintext, passwords);
  const blobs = ciphertext.length > TABLE_CIPHERTEXT_MAX_BYTES ? deps.blobs : undefined;
  const parts = blobs ? partLayout(ciphertext.length) : undefined;

  const head = newHead(tenant, id, now, terms, planned, fields, {
    ...(message.maxViews !== undefined ? { maxViews: message.maxViews } : {}),
    ...(passcode !== undefined ? { passcode: true } : {}),
    ...(label !== undefined ? { label } : {}),
    attachments: summarizeAttachments(message.attachments),
    ...(ctx.inReplyTo ? { inReplyTo: ctx.inReplyTo, replyFrom: ctx.replyFrom ?? 'recipient' } : {}),
    ...(parts ? { blob: { parts } } : {}),
  });
  const created = [createdEvent(principal, head, ctx, now)];
  if (blobs && parts) await storeInBlobs(deps, blobs, head, ciphertext, parts, created);
  else await deps.store.create(head, ciphertext, created).catch((error: unknown) => settleCommit(deps, head, error));
  return notifyCommitted(deps, principal, head, planned, ctx, now);
}

/**
 * After a commit that failed: whether it landed after all (its answer lost, and the store's own
 * check of it unsure). A head that is there — this message's own, the id being fresh — is
 * committed: the send goes on to notify, rather than tell the sender nothing was sent while the
 * message stands. Otherwise, or when that cannot be read, the failure stands.
 */
async function settleCommit(deps: Pick<SendDeps, 'store'>, head: NewMessageHead, error: unknown): Promise<void> {
  const stored = await deps.store.getHead(head.id).catch(() => undefined);
  if (stored?.tenantId === head.tenantId && stored.createdAt === head.createdAt) return;
  throw error;
}

/** The `created` event of a new message: written with its head (MessageStore.create), all or nothing. */
export function createdEvent(principal: Principal, head: NewMessageHead, ctx: Pick<SendContext, 'actor' | 'sourceIp' | 'userAgent'>, now: Date): AuditEvent {
  return {
    ...auditBase(principal, head, ctx), type: 'created', at: now.toISOString(), actor: ctx.actor ?? `key:${principal.keyId}`,
  };
}

function auditBase(principal: Principal, head: Pick<NewMessageHead, 'id'>, ctx: Pick<SendContext, 'sourceIp' | 'userAgent'>) {
  return { messageId: head.id, tenantId: principal.tenant.id, sourceIp: ctx.sourceIp, userAgent: ctx.userAgent, retentionDays: principal.tenant.settings.auditRetentionDays };
}

/**
 * A large message sealed here: its parts into the blob store, then the head with its `created`
 * event (the commit point). When the head was not written, every part is deleted — also one whose
 * write failed but may have landed — so nothing is left behind (a part whose deletion fails too is
 * removed by the bucket's lifecycle); when it cannot be told whether the head was written, the parts
 * stay. Either way the sender is told nothing was sent.
 */
async function storeInBlobs(
  deps: SendDeps, blobs: Pick<BlobStore, 'write' | 'delete'>, head: NewMessageHead, ciphertext: Uint8Array, parts: readonly number[], events: readonly AuditEvent[],
): Promise<void> {
  try {
    let at = 0;
    for (const [index, bytes] of parts.entries()) {
      await blobs.write(head.id, index, ciphertext.subarray(at, at + bytes));
      at += bytes;
    }
    await deps.store.create(head, undefined, events).catch((error: unknown) => settleCommit(deps, head, error));
  } catch (error) {
    const stored = await deps.store.getHead(head.id).then((h) => h !== undefined, () => undefined);
    if (stored === false) {
      await blobs.delete(head.id, parts.length).catch((e: unknown) => deps.logger.error('blob_cleanup_failed', { messageId: head.id, error: describeError(e) }));
    } else {
      deps.logger.error('blob_cleanup_skipped', { messageId: head.id, headStored: stored ?? 'unknown' });
    }
    throw error;
  }
}

/**
 * Message Center's custody for a new message of `tenant`, decided by its setting at this moment, or
 * undefined for standard mode. Message Center on without a key service refuses the send.
 */
export function messageCenterFor(deps: Pick<SendDeps, 'custody'>, tenant: Tenant): SecretCustody | undefined {
  if (!tenant.settings.messageCenter) return undefined;
  if (!deps.custody) throw new DependencyError('Message Center is on, but this deployment has no key service configured. Nothing was stored or sent.', 'kms');
  return deps.custody;
}

/** The answer to a key service failure while keeping a Message Center message's keys. */
export function keyServiceFailed(cause: unknown): DependencyError {
  return new DependencyError('Message Center could not keep the message\'s keys (the key service failed), so nothing was stored or sent. It is safe to retry.', 'kms', cause);
}

/** A new message's head item, before the store adds its chunk count and size. */
export function newHead(
  tenant: Tenant, id: string, now: Date, terms: MessageTerms, recipients: readonly RecipientPlan[], custody: CustodyHeadFields,
  extra: Partial<Pick<NewMessageHead, 'maxViews' | 'passcode' | 'label' | 'attachments' | 'inReplyTo' | 'replyFrom' | 'blob'>>,
): NewMessageHead {
  return {
    id,
    tenantId: tenant.id,
    createdAt: now.toISOString(),
    expiresAt: terms.expiresAt.toISOString(),
    state: 'active',
    ...(terms.replyTo ? { replyTo: terms.replyTo } : {}),
    auditRetentionDays: tenant.settings.auditRetentionDays,
    verification: terms.verification,
    ...extra,
    ...custody,
    recipients: recipients.map(({ rid, kind, email, name, tokenHash, linkTokenHash }): RecipientRecord => ({
      rid, kind, email, ...(name ? { name } : {}), tokenHash, linkTokenHash, status: 'pending', opens: 0,
    })),
  };
}

/** A recipient as the commit needs it: the secret only when sealpost emails the link. */
export interface RecipientPlan extends Address {
  readonly rid: string;
  readonly kind: RecipientKind;
  readonly tokenHash: string;
  readonly linkTokenHash: string;
  /** Absent when the sender delivers the link itself: nothing is emailed to this recipient. */
  readonly secret?: string;
}

/**
 * After the head is committed: inbox entries (Message Center), the `created` event, one
 * notification per recipient that has a secret here (a recipient whose link the sender delivers
 * gets nothing), the per-recipient outcome, and the receipt. When no notification could be sent to
 * anyone who needed one, the secrets existed only in those emails: the message is discarded.
 */
export async function notifyCommitted(
  deps: SendDeps,
  principal: Principal,
  head: NewMessageHead,
  recipients: readonly RecipientPlan[],
  ctx: SendContext,
  now: Date,
): Promise<SendReceipt> {
  const { tenant } = principal;
  const id = head.id;
  const expiresAt = new Date(head.expiresAt);
  // The `created` event was written with the head (createdEvent).
  const base = auditBase(principal, head, ctx);

  const emailed = recipients.filter((r): r is RecipientPlan & { secret: string } => r.secret !== undefined);
  const outcomes = await mapLimited(emailed, NOTIFY_CONCURRENCY, async (recipient) => {
    const notification = (ctx.notification ?? buildPickupNotification)({
      tenant, reference: { messageId: id, rid: recipient.rid }, to: { email: recipient.email, ...(recipient.name ? { name: recipient.name } : {}) },
      link: pickupLink(deps.portalOrigin, id, recipient.secret), expiresAt,
      ...(head.replyTo ? { replyTo: head.replyTo } : {}),
      ...(head.passcode ? { passcode: true } : {}),
      ...(head.verification === 'email-code' ? { code: true } : {}),
      ...(head.custody === 'message-center' ? { inboxUrl: `${deps.portalOrigin.replace(/\/+$/, '')}/inbox/${encodeURIComponent(tenant.id)}` } : {}),
    });
    try {
      return { recipient, ...(await deps.notifier.send(notification)), at: deps.clock().toISOString() };
    } catch (error) {
      deps.logger.error('notify_error', { messageId: id, rid: recipient.rid, error: describeError(error) });
      return { recipient, status: 'failed' as const, reason: 'The notification service failed; the email was not sent.', at: deps.clock().toISOString() };
    }
  });
  const byRid = new Map(outcomes.map((o) => [o.recipient.rid, o]));
  const receiptRecipients: RecipientOutcome[] = recipients.map((recipient) => {
    const outcome = byRid.get(recipient.rid);
    if (!outcome) return { email: recipient.email, status: 'sender' };
    return outcome.status === 'failed' ? { email: recipient.email, status: 'failed', reason: outcome.reason ?? 'rejected' } : { email: recipient.email, status: outcome.status };
  });

  if (outcomes.length > 0 && outcomes.every((o) => o.status === 'failed') && outcomes.length === recipients.length) {
    // The secrets existed only in those emails: nobody can open the ciphertext. Discard it.
    const discarded = await discard(deps, tenant.id, head);
    await appendEvents(deps, outcomes.map((o) => ({ ...base, type: 'notify_failed' as const, at: o.at, actor: 'system', recipient: o.recipient.email, detail: o.reason })));
    throw new DeliveryFailedError(
      discarded
        // "Confirmed": an email whose answer was lost may have gone out (its reason says so); its link opens nothing.
        ? 'No notification was confirmed by the email service, so the message was discarded: nobody can open it, even from an email that went out unconfirmed. It is safe to send again.'
        : `No notification was confirmed by the email service. The message could not be discarded automatically: revoke it with DELETE /v1/messages/${id}. It is safe to send again.`,
      receiptRecipients.map((r) => ({ email: r.email, status: 'failed' as const, reason: r.reason ?? 'rejected' })),
    );
  }

  const delivery = [
    ...outcomes.map((o) => ({ rid: o.recipient.rid, status: o.status, reason: o.reason, at: o.at })),
    ...recipients.filter((r) => r.secret === undefined).map((r) => ({ rid: r.rid, status: 'sender' as const, at: now.toISOString() })),
  ];
  const outcomeEvents = outcomes.map((o): AuditEvent => ({
    ...base,
    // A source id: written twice (the fallback below after a write that landed unseen), stored once.
    id: `delivery:${o.recipient.rid}`,
    type: o.status === 'notified' ? 'notified' : 'notify_failed',
    at: o.at,
    actor: 'system',
    recipient: o.recipient.email,
    detail: o.reason,
  }));
  // The outcomes and their events in one write; if it fails, the events are still tried on their own
  // (the audit trail is what tells the sender later what happened).
  try {
    await deps.store.recordDelivery(id, delivery, outcomeEvents);
  } catch (error) {
    deps.logger.error('record_delivery_failed', { messageId: id, error: describeError(error) });
    await appendEvents(deps, outcomeEvents);
  }

  return { id, expiresAt: head.expiresAt, recipients: receiptRecipients };
}

/** Revokes and deletes a message nobody can open; reports whether that fully succeeded. */
async function discard(deps: Pick<SendDeps, 'store' | 'clock' | 'logger'> & { readonly blobs?: Pick<BlobStore, 'delete'> }, tenantId: string, head: NewMessageHead): Promise<boolean> {
  try {
    const revoked = await deps.store.revoke(tenantId, head.id, deps.clock());
    if (revoked) await deleteCiphertext(deps, head.id, { chunkCount: revoked.chunkCount, ...(head.blob ? { blob: head.blob } : {}) });
    return revoked !== undefined;
  } catch (error) {
    deps.logger.error('discard_failed', { messageId: head.id, error: describeError(error) });
    return false;
  }
}

/** Deletes a message's ciphertext wherever it is: the table's chunks, or the blob store's parts. */
export async function deleteCiphertext(
  deps: { readonly store: Pick<MessageStore, 'deleteChunks'>; readonly blobs?: Pick<BlobStore, 'delete'> },
  messageId: string,
  where: { readonly chunkCount: number; readonly blob?: { readonly parts: readonly number[] } },
): Promise<void> {
  if (where.chunkCount > 0) await deps.store.deleteChunks(messageId, where.chunkCount);
  if (where.blob && where.blob.parts.length > 0) {
    if (!deps.blobs) throw new Error('this message\'s ciphertext is in the blob store, which this deployment did not give');
    await deps.blobs.delete(messageId, where.blob.parts.length);
  }
}
