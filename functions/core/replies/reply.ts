/**
 * Secure replies: a recipient who can open a message may answer it. The reply is a new message of
 * the same tenant, sealed and delivered by the send pipeline to the original's reply-to address,
 * with its own secret and notification, and threaded to the original (its id in `replyIds`, a
 * `replied` event). Text only: HTML from recipients would be content the organisation's staff then
 * render. Replies are counted per recipient (a few an hour) in the original's head.
 */
import { appendEvents } from '../audit/index.ts';
import {
  DependencyError, DeliveryFailedError, MessageUnavailableError, PayloadTooLargeError, ReplyRateLimitedError, ValidationError, describeError, escapeHtml,
  formatUtcExpiry, isExpired, type PickupNotification,
} from '../shared/index.ts';
import {
  authorOf, isMimeContainerType, sendMessage, type Attachment, type MessageHead, type OutboundMessage, type PickupNotificationInput, type RecipientRecord, type SendContext, type SendDeps,
} from '../messages/index.ts';
import type { RecipientCredentials } from '../pickup/index.ts';
import { brandedEmail, emailColor, type Principal, type TenantDirectory } from '../tenants/index.ts';

/** Decoded subject + text + attachments, as for the sender API (a Lambda request stops at 6 MB). */
export const MAX_REPLY_CONTENT_BYTES = 4 * 1024 * 1024;
export const MAX_REPLY_ATTACHMENTS = 10;
/** Replies one recipient may send to one message per window. */
export const REPLY_LIMIT = 5;
export const REPLY_WINDOW_MS = 60 * 60 * 1000;

export interface CallerContext {
  readonly sourceIp?: string;
  readonly userAgent?: string;
}

/**
 * The counted, rate-limited recipient check of pickup (availability, token or passcode, email code
 * or grant). Throws MessageUnavailableError (or pickup's own errors) when it fails. It must not
 * count a view: replying is not opening.
 */
export type AuthorizeRecipient = (
  messageId: string,
  credentials: RecipientCredentials,
  ctx: CallerContext,
) => Promise<{ head: MessageHead; recipient: RecipientRecord; grant?: string }>;

export type ReplyCount =
  | { readonly status: 'counted' }
  /** The limit is reached; `windowStart` is when the recipient's current window began. */
  | { readonly status: 'limited'; readonly windowStart?: string }
  /** The message is gone, revoked or expired (a revoke can win the race with a reply). */
  | { readonly status: 'unavailable' };

/** The two writes a reply makes on the original message's head, each one conditional write. */
export interface ReplyRecorder {
  /**
   * Counts one reply of recipient `rid`, only if the message is still active and unexpired at `now`
   * and the recipient has sent fewer than `limit` replies in its window of `windowMs` (a window
   * older than that starts afresh at `now`). Check and count are one write, so parallel replies
   * cannot exceed the limit. `windowStart` (the recipient's window as last read) only picks which of
   * the two alternative writes to try first.
   */
  countReply(input: {
    readonly messageId: string;
    readonly rid: string;
    readonly now: Date;
    readonly limit: number;
    readonly windowMs: number;
    readonly windowStart?: string;
  }): Promise<ReplyCount>;
  /** Appends a reply's id to the original's `replyIds` if the head still exists; false if it does not. */
  addReply(messageId: string, replyId: string): Promise<boolean>;
}

export interface ReplyDeps extends SendDeps {
  readonly authorize: AuthorizeRecipient;
  readonly tenants: Pick<TenantDirectory, 'getTenant'>;
  readonly replies: ReplyRecorder;
}

export interface ReplyInput {
  /** As the browser sends it ("Re: <original subject>"): the server never knew the original subject. */
  readonly subject: string;
  readonly text?: string;
  /** Recipients send text only. */
  readonly html?: never;
  readonly attachments: readonly Attachment[];
}


export interface SentReply {
  readonly id: string;
  readonly expiresAt: string;
  /** A new grant, when authorize verified an emailed code for this reply (the code is used up): hand it to the client. */
  readonly grant?: string;
}

/** Size, count, emptiness and attachment-type rules; shapes (file names, media types, subject characters) are checked at the edge. */
export function checkReplyLimits(reply: ReplyInput): void {
  if (reply.attachments.length > MAX_REPLY_ATTACHMENTS) {
    throw new ValidationError(`attachments: a reply may have at most ${MAX_REPLY_ATTACHMENTS} attachments`, [
      { field: 'attachments', message: `allows at most ${MAX_REPLY_ATTACHMENTS} attachments` },
    ]);
  }
  // Text only means no attached message either: a message/rfc822 part is shown by mail readers as
  // part of the body (HTML with a forged From) to the staff who open the reply.
  const containers = reply.attachments.flatMap((a, i) => (isMimeContainerType(a.contentType) ? [i] : []));
  if (containers.length > 0) {
    throw new ValidationError(`attachments/${containers[0]}/contentType: a reply cannot attach a message or multipart type; send the file as application/octet-stream`,
      containers.map((i) => ({ field: `attachments/${i}/contentType`, message: 'must not be a message/* or multipart/* type; send the file as application/octet-stream' })));
  }
  if ((reply.text ?? '').trim() === '' && reply.attachments.length === 0) {
    throw new ValidationError('text: write a reply or attach a file', [{ field: 'text', message: 'is empty' }]);
  }
  const encoder = new TextEncoder();
  const size = encoder.encode(reply.subject).length + encoder.encode(reply.text ?? '').length
    + reply.attachments.reduce((sum, a) => sum + a.content.length, 0);
  if (size > MAX_REPLY_CONTENT_BYTES) {
    throw new PayloadTooLargeError(`The reply is ${size} bytes after decoding; the limit is ${MAX_REPLY_CONTENT_BYTES} bytes (4 MiB).`);
  }
}

/**
 * Sends a secure reply to message `messageId` from the recipient the credentials prove. Returns the
 * reply's id and expiry. Throws MessageUnavailableError when the original cannot be opened,
 * ReplyRateLimitedError past the limit, ValidationError / PayloadTooLargeError for a bad reply.
 */
export async function sendReply(
  deps: ReplyDeps,
  messageId: string,
  credentials: RecipientCredentials,
  reply: ReplyInput,
  ctx: CallerContext,
): Promise<SentReply> {
  checkReplyLimits(reply);
  const { head, recipient, grant } = await deps.authorize(messageId, credentials, ctx);
  const now = deps.clock();
  // authorize checked this already; a second lock on the same door costs nothing.
  if (head.state !== 'active' || isExpired(head.expiresAt, now)) throw new MessageUnavailableError();
  const tenant = await deps.tenants.getTenant(head.tenantId);
  if (!tenant || tenant.disabled) throw new MessageUnavailableError();

  const counted = await deps.replies.countReply({
    messageId: head.id, rid: recipient.rid, now, limit: REPLY_LIMIT, windowMs: REPLY_WINDOW_MS,
    ...(recipient.replyWindowStart ? { windowStart: recipient.replyWindowStart } : {}),
  });
  if (counted.status === 'unavailable') throw new MessageUnavailableError();
  if (counted.status === 'limited') {
    const windowEnd = Date.parse(counted.windowStart ?? now.toISOString()) + REPLY_WINDOW_MS;
    throw new ReplyRateLimitedError(Math.max(1, Math.ceil((windowEnd - now.getTime()) / 1000)), REPLY_LIMIT);
  }

  const actor = `recipient:${recipient.rid}`;
  // A reply answers its original's author: the organisation's staff answering a recipient's reply
  // write as the organisation, and their reply goes to that recipient.
  const replyFrom = authorOf(head) === 'tenant' ? 'recipient' : 'tenant';
  const replier = replyFrom === 'tenant' ? tenant.settings.displayName : recipient.email;
  const outbound: OutboundMessage = {
    to: [{ email: head.replyTo ?? tenant.settings.replyTo ?? tenant.settings.senderAddress }],
    cc: [],
    subject: reply.subject,
    ...(reply.text !== undefined ? { text: reply.text } : {}),
    attachments: reply.attachments,
    // Inside the sealed reply, Reply-To names the recipient; the reply's head keeps it too, so the
    // organisation can answer the reply securely in turn.
    replyTo: recipient.email,
  };
  // sendMessage wants a principal; only its tenant matters once `actor` is given (no idempotency key).
  const principal: Principal = { tenant, keyId: actor, scope: 'send' };
  const sendCtx: SendContext = {
    requestHash: '',
    ...(ctx.sourceIp !== undefined ? { sourceIp: ctx.sourceIp } : {}),
    ...(ctx.userAgent !== undefined ? { userAgent: ctx.userAgent } : {}),
    actor,
    inReplyTo: head.id,
    replyFrom,
    from: { email: recipient.email, name: replyFrom === 'tenant' ? tenant.settings.displayName : recipient.name ?? recipient.email },
    notification: (input) => buildReplyNotification({ ...input, replier }),
  };
  let receipt: { id: string; expiresAt: string };
  try {
    receipt = await sendMessage(deps, principal, outbound, sendCtx);
  } catch (error) {
    // The sender API's wording (revoke with DELETE …) is for API clients, not for a recipient.
    if (error instanceof DeliveryFailedError) {
      throw new DependencyError('Your reply could not be delivered, so it was discarded: nobody can open it. Please try again later.', 'notifier', error);
    }
    throw error;
  }

  // The reply is delivered: a failure to thread it is logged, never turned into an error the
  // recipient would answer by sending it again.
  try {
    if (!(await deps.replies.addReply(head.id, receipt.id))) deps.logger.warn('reply_link_skipped', { messageId: head.id, replyId: receipt.id });
  } catch (error) {
    deps.logger.error('reply_link_failed', { messageId: head.id, replyId: receipt.id, error: describeError(error) });
  }
  await appendEvents(deps, [{
    type: 'replied',
    messageId: head.id,
    tenantId: head.tenantId,
    at: now.toISOString(),
    actor,
    recipient: recipient.email,
    detail: receipt.id,
    ...(ctx.sourceIp !== undefined ? { sourceIp: ctx.sourceIp } : {}),
    ...(ctx.userAgent !== undefined ? { userAgent: ctx.userAgent } : {}),
    ...(head.auditRetentionDays !== undefined ? { retentionDays: head.auditRetentionDays } : {}),
  }]);
  return { id: receipt.id, expiresAt: receipt.expiresAt, ...(grant !== undefined ? { grant } : {}) };
}



/**
 * The notification of a reply: who replied (a recipient's address, or the organisation's name when
 * its staff answer a reply) and the link, in the tenant's brand, from its sender address. Like every notification it says nothing of the content (no
 * subject, no text, no file names). It has no Reply-To: answering it by ordinary email would send
 * plaintext to the recipient; the way back is a secure reply from the portal.
 */
export function buildReplyNotification(input: PickupNotificationInput & { readonly replier: string }): PickupNotification {
  const { tenant, to, link, replier } = input;
  const color = emailColor(tenant);
  const expiry = formatUtcExpiry(input.expiresAt);
  const headline = `${replier} replied securely to your message`;
  const text = [
    `${headline}.`,
    '',
    'Open the reply here:',
    link,
    '',
    `The link works until ${expiry}.`,
    'Keep this email: the link is the only key to the reply, and it cannot be resent.',
    'The reply is decrypted in your browser; the portal itself cannot read it.',
  ].join('\n');
  const e = escapeHtml;
  const frame = brandedEmail(tenant, `<h1 style="font-size:20px;margin:0 0 16px">${e(headline)}</h1>
<p style="font-size:15px;line-height:1.5;margin:0 0 24px">Use the button below to open it. The reply is decrypted in your browser; the portal itself cannot read it.</p>
<p style="margin:0 0 24px"><a href="${e(link)}" target="_blank" rel="noopener noreferrer" style="display:inline-block;background:${color};color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:6px;font-weight:bold">Open secure reply</a></p>
<p style="font-size:13px;line-height:1.5;color:#52606d;margin:0">The link works until ${e(expiry)}. Keep this email: the link is the only key to the reply, and it cannot be resent.</p>`);
  return {
    reference: input.reference,
    from: { email: tenant.settings.senderAddress, name: tenant.settings.displayName },
    to,
    subject: headline,
    text,
    ...frame,
  };
}
