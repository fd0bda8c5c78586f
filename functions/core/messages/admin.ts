/** What a sender may do with messages it sent: list them, see status and history, change expiry, revoke. */
import { appendEvents, publicEvent, type PublicEvent, type StoredEvent, type EventLog } from '../audit/index.ts';
import { ConflictError, NotFoundError, ValidationError, addDays, describeError, isExpired, type Clock, type Logger } from '../shared/index.ts';
import { isWellFormedMessageId } from './ids.ts';
import type { AttachmentSummary, MessageHead, ReplyAuthor } from './model.ts';
import type { Principal } from '../tenants/index.ts';
import type { BlobStore, MessageStore } from './ports.ts';
import { deleteCiphertext } from './send.ts';

export interface MessageAdminDeps {
  readonly store: MessageStore;
  readonly events: EventLog;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where sealed uploads' ciphertext is (S3): revoking or expiring such a message deletes its parts there. */
  readonly blobs?: Pick<BlobStore, 'delete'>;
}

export type MessageState = 'active' | 'expired' | 'revoked';

export interface RecipientStatus {
  readonly email: string;
  readonly kind: 'to' | 'cc';
  readonly status: string;
  readonly reason?: string;
  readonly notifiedAt?: string;
  readonly firstOpenedAt?: string;
  readonly lastOpenedAt?: string;
  readonly opens: number;
}

export interface MessageSummary {
  readonly id: string;
  readonly state: MessageState;
  readonly createdAt: string;
  /** Absent only for a message whose record is gone and whose history remains. */
  readonly expiresAt?: string;
  readonly revokedAt?: string;
  readonly maxViews?: number;
  readonly replyTo?: string;
  /**
   * The sealed message's size in bytes (content, attachments and encryption overhead): what is
   * stored and downloaded. Absent only when just the history remains.
   */
  readonly sizeBytes?: number;
  /**
   * Who can open it: "link" (only the emailed links) or "message-center" (also the inbox and
   * recovery). This and `verification` are absent only when just the history remains.
   */
  readonly custody?: 'link' | 'message-center';
  readonly verification?: 'none' | 'email-code';
  /** Present (true) when recipients also need the sender's passcode. */
  readonly passcode?: true;
  /** The sender's label, stored in the clear (MessageHead.label). */
  readonly label?: string;
  /** How many files it carries and their size (absent for messages sent before this was kept). */
  readonly attachments?: AttachmentSummary;
  /** Secure replies to this message, oldest first. */
  readonly replies?: readonly { readonly id: string }[];
  /** For a secure reply: the message it answers. */
  readonly inReplyTo?: string;
  /** For a secure reply: who wrote it (a recipient, or your organisation answering a reply). */
  readonly replyFrom?: ReplyAuthor;
  readonly recipients: readonly RecipientStatus[];
}

export interface MessageStatus extends MessageSummary {
  readonly events: readonly PublicEvent[];
}

const NOT_FOUND = 'No message with this id exists for your organisation.';
/** The soonest a changed expiry may be: to end a message now, revoke it. */
const MIN_REMAINING_MS = 10 * 60 * 1000;

async function ownedHead(deps: MessageAdminDeps, principal: Principal, messageId: string): Promise<MessageHead> {
  if (!isWellFormedMessageId(messageId)) throw new NotFoundError(NOT_FOUND);
  const head = await deps.store.getHead(messageId);
  // Another tenant's message is indistinguishable from a missing one.
  if (!head || head.tenantId !== principal.tenant.id) throw new NotFoundError(NOT_FOUND);
  return head;
}

export function stateOf(head: MessageHead, now: Date): MessageState {
  if (head.state === 'revoked') return 'revoked';
  return isExpired(head.expiresAt, now) ? 'expired' : 'active';
}

function summary(head: MessageHead, now: Date): MessageSummary {
  return {
    id: head.id,
    state: stateOf(head, now),
    createdAt: head.createdAt,
    expiresAt: head.expiresAt,
    ...(head.revokedAt ? { revokedAt: head.revokedAt } : {}),
    ...(head.maxViews !== undefined ? { maxViews: head.maxViews } : {}),
    ...(head.replyTo ? { replyTo: head.replyTo } : {}),
    sizeBytes: head.ciphertextBytes,
    custody: head.custody ?? 'link',
    verification: head.verification ?? 'none',
    ...(head.passcode ? { passcode: true as const } : {}),
    ...(head.label !== undefined ? { label: head.label } : {}),
    ...(head.attachments ? { attachments: head.attachments } : {}),
    ...(head.replyIds && head.replyIds.length > 0 ? { replies: head.replyIds.map((id) => ({ id })) } : {}),
    ...(head.inReplyTo ? { inReplyTo: head.inReplyTo, replyFrom: head.replyFrom ?? 'recipient' } : {}),
    recipients: head.recipients.map((r) => ({
      email: r.email, kind: r.kind, status: r.status, opens: r.opens,
      ...(r.failureReason ? { reason: r.failureReason } : {}),
      ...(r.notifiedAt ? { notifiedAt: r.notifiedAt } : {}),
      ...(r.firstOpenedAt ? { firstOpenedAt: r.firstOpenedAt } : {}),
      ...(r.lastOpenedAt ? { lastOpenedAt: r.lastOpenedAt } : {}),
    })),
  };
}

/**
 * A message's status and history. The history outlives the message record (kept for years): once
 * the record is gone, the answer is rebuilt from the events, which name their tenant themselves.
 */
export async function getMessageStatus(deps: MessageAdminDeps, principal: Principal, messageId: string): Promise<MessageStatus> {
  if (!isWellFormedMessageId(messageId)) throw new NotFoundError(NOT_FOUND);
  const [head, stored] = await Promise.all([deps.store.getHead(messageId), deps.events.listForMessage(messageId)]);
  const events = stored.filter((e) => e.tenantId === principal.tenant.id);
  if (head && head.tenantId === principal.tenant.id) return { ...summary(head, deps.clock()), events: events.map(publicEvent) };
  if (head || events.length === 0) throw new NotFoundError(NOT_FOUND);
  return fromHistory(messageId, events);
}

function fromHistory(messageId: string, events: readonly StoredEvent[]): MessageStatus {
  const revoked = events.find((e) => e.type === 'revoked');
  return {
    id: messageId,
    state: revoked ? 'revoked' : 'expired',
    createdAt: events.find((e) => e.type === 'created')?.at ?? events[0]?.at ?? '',
    ...(revoked ? { revokedAt: revoked.at } : {}),
    recipients: [],
    events: events.map(publicEvent),
  };
}

/** The tenant's messages, newest first. */
export async function listMessages(
  deps: MessageAdminDeps,
  principal: Principal,
  query: { cursor?: string; limit: number },
): Promise<{ messages: MessageSummary[]; cursor?: string }> {
  const page = await deps.store.listForTenant(principal.tenant.id, { limit: query.limit, ...(query.cursor !== undefined ? { before: query.cursor } : {}) });
  const now = deps.clock();
  // The index is the tenant's own partition; the check is a second lock on the same door.
  const messages = page.heads.filter((h) => h.tenantId === principal.tenant.id).map((h) => summary(h, now));
  return { messages, ...(page.cursor !== undefined ? { cursor: page.cursor } : {}) };
}

/**
 * Shortens or extends an active message's life, within the tenant's limit counted from its
 * creation. The ciphertext's deletion time moves with it.
 */
export async function changeExpiry(
  deps: MessageAdminDeps,
  principal: Principal,
  messageId: string,
  expiresAt: Date,
  ctx: { sourceIp?: string; userAgent?: string } = {},
): Promise<MessageStatus> {
  const head = await ownedHead(deps, principal, messageId);
  const now = deps.clock();
  const state = stateOf(head, now);
  if (state !== 'active') throw new ConflictError(`This message is ${state}; only an active message's expiry can change.`);
  const latest = addDays(new Date(head.createdAt), principal.tenant.settings.maxExpiryDays);
  if (expiresAt.getTime() > latest.getTime()) {
    throw new ValidationError(`expiresAt may be at most ${principal.tenant.settings.maxExpiryDays} days after the message was created (${latest.toISOString()}).`, [{ field: 'expiresAt', message: `must be at or before ${latest.toISOString()}` }]);
  }
  if (expiresAt.getTime() < now.getTime() + MIN_REMAINING_MS) {
    throw new ValidationError('expiresAt must be at least 10 minutes from now; to end a message now, revoke it with DELETE.', [{ field: 'expiresAt', message: 'is too soon' }]);
  }
  if (!(await deps.store.setExpiry(principal.tenant.id, messageId, expiresAt, now))) {
    throw new ConflictError('The message changed while its expiry was being updated (expired, revoked or changed by another request). Nothing was changed; read it again and retry.');
  }
  await appendEvents(deps, [{
    messageId, tenantId: principal.tenant.id, type: 'expiry_changed', at: now.toISOString(), actor: `key:${principal.keyId}`,
    before: { expiresAt: head.expiresAt }, after: { expiresAt: expiresAt.toISOString() }, sourceIp: ctx.sourceIp, userAgent: ctx.userAgent,
    retentionDays: head.auditRetentionDays,
  }]);
  return getMessageStatus(deps, principal, messageId);
}

/**
 * Revokes a message: every pickup answers "not available" from the conditional update on, the
 * revocation is recorded, then the ciphertext is deleted. Idempotent: a repeat finishes a cleanup
 * that an earlier attempt could not complete.
 */
export async function revokeMessage(deps: MessageAdminDeps, principal: Principal, messageId: string, ctx: { sourceIp?: string; userAgent?: string } = {}): Promise<void> {
  const head = await ownedHead(deps, principal, messageId);
  const now = deps.clock();
  const revoked = await deps.store.revoke(principal.tenant.id, messageId, now);
  if (revoked) {
    // Recorded before the cleanup, so a cleanup failure cannot lose who revoked the message.
    await appendEvents(deps, [{
      messageId, tenantId: principal.tenant.id, type: 'revoked', at: now.toISOString(), actor: `key:${principal.keyId}`,
      sourceIp: ctx.sourceIp, userAgent: ctx.userAgent, retentionDays: head.auditRetentionDays,
    }]);
  }
  await deleteCiphertext(deps, messageId, { chunkCount: revoked?.chunkCount ?? head.chunkCount, ...(head.blob ? { blob: head.blob } : {}) });
}

/**
 * Records "expired" once for each message whose expiry has passed (the scheduled sweep). Each is one
 * conditional write, so overlapping sweeps record it once. Returns how many were recorded.
 */
export async function recordExpirations(deps: MessageAdminDeps, limit = 100): Promise<number> {
  const now = deps.clock();
  let recorded = 0;
  for (const head of await deps.store.listNewlyExpired(now, limit)) {
    if (head.state !== 'active' || !isExpired(head.expiresAt, now)) continue;
    if (!(await deps.store.markExpired(head.id, now))) continue;
    recorded++;
    await appendEvents(deps, [{ messageId: head.id, tenantId: head.tenantId, type: 'expired', at: head.expiresAt, actor: 'system', retentionDays: head.auditRetentionDays }]);
    // Chunks in the table expire by TTL; parts in the blob store are deleted now (the bucket's
    // lifecycle deletes anything left after the longest message life).
    if (head.blob) {
      await deleteCiphertext(deps, head.id, { chunkCount: 0, blob: head.blob })
        .catch((e: unknown) => deps.logger.warn('expired_parts_delete_failed', { messageId: head.id, error: describeError(e) }));
    }
  }
  return recorded;
}
