/**
 * Recipient pickup: an access token buys the ciphertext of one message, once checked against
 * existence, state, expiry and the recipient's token hash. Every failure is the same
 * MessageUnavailableError.
 */
import { hashAccessToken } from './access-token.ts';
import { constantTimeEqual } from './digest.ts';
import { isWellFormedMessageId } from './message-ids.ts';
import { MessageUnavailableError, describeError } from './errors.ts';
import { isExpired } from './expiry.ts';
import type { MessageHead, RecipientRecord } from './model.ts';
import type { Clock, EventLog, Logger, MessageStore } from './ports.ts';
import { appendEvents } from './audit.ts';

export interface PickupDeps {
  readonly store: MessageStore;
  readonly events: EventLog;
  readonly clock: Clock;
  readonly logger: Logger;
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Finds the recipient whose token hash matches, comparing against every recipient (no early exit). */
export function matchRecipient(head: MessageHead, tokenHash: string): RecipientRecord | undefined {
  let found: RecipientRecord | undefined;
  for (const recipient of head.recipients) {
    if (constantTimeEqual(recipient.tokenHash, tokenHash) && !found) found = recipient;
  }
  return found;
}

/** The audit-trail window of an open: its UTC hour. */
export function openWindow(now: Date): string {
  return now.toISOString().slice(0, 13);
}

/** How long after a counted view the later parts of a view-limited message may be fetched. */
export const PART_WINDOW_MS = 10 * 60 * 1000;

function withinPartWindow(lastOpenedAt: string | undefined, now: Date): boolean {
  const at = lastOpenedAt === undefined ? Number.NaN : Date.parse(lastOpenedAt);
  return at <= now.getTime() && now.getTime() - at < PART_WINDOW_MS;
}

export interface OpenedPart {
  readonly ciphertext: Uint8Array;
  readonly part: number;
  readonly parts: number;
}

/**
 * Returns part `part` of a message's ciphertext to the holder of a recipient's access token. Part 0
 * counts as the open (one conditional write, which a racing revoke wins); later parts re-check
 * everything but record nothing.
 */
export async function openMessage(
  deps: PickupDeps,
  messageId: string,
  token: string,
  ctx: { sourceIp?: string; userAgent?: string; part?: number } = {},
): Promise<OpenedPart> {
  const part = ctx.part ?? 0;
  if (!isWellFormedMessageId(messageId) || !TOKEN_PATTERN.test(token)) throw new MessageUnavailableError();
  const now = deps.clock();
  const head = await deps.store.getHead(messageId);
  if (!head || head.state !== 'active' || isExpired(head.expiresAt, now)) throw new MessageUnavailableError();
  const recipient = matchRecipient(head, await hashAccessToken(token));
  const parts = deps.store.partCount(head);
  if (!recipient || !Number.isInteger(part) || part < 0 || part >= parts) throw new MessageUnavailableError();
  // With a view limit, the later parts of a large message belong to the view that part 0 counted:
  // they are served only shortly after it, so a used-up link cannot fetch the rest again.
  if (part > 0 && head.maxViews !== undefined && !withinPartWindow(recipient.lastOpenedAt, now)) throw new MessageUnavailableError();

  let ciphertext: Uint8Array;
  try {
    ciphertext = await deps.store.readPart(head, part);
  } catch (error) {
    deps.logger.warn('ciphertext_unreadable', { messageId, part, error: describeError(error) });
    throw new MessageUnavailableError();
  }
  if (part === 0) {
    // The conditional update is the commit point: a revoke that raced us wins, and so does the
    // view limit. Every open is counted. The audit trail gets "opened" for a recipient's first view
    // and "revealed" for later ones — each of them under a view limit, otherwise at most one per
    // recipient per hour, so a holder of the link cannot flood it.
    const recorded = await deps.store.recordOpen(messageId, recipient.rid, now, openWindow(now), head.maxViews);
    if (!recorded) throw new MessageUnavailableError();
    const type = recorded.views <= 1 ? 'opened' : 'revealed';
    if (type === 'opened' || recorded.newWindow || head.maxViews !== undefined) {
      await appendEvents(deps, [{
        messageId, tenantId: head.tenantId, type, at: now.toISOString(), actor: `recipient:${recipient.rid}`,
        recipient: recipient.email, sourceIp: ctx.sourceIp, userAgent: ctx.userAgent, retentionDays: head.auditRetentionDays,
        ...(head.maxViews !== undefined ? { detail: `view ${recorded.views} of ${head.maxViews}` } : {}),
      }]);
    }
  }
  return { ciphertext, part, parts };
}
