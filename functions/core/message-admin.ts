/** What a sender may do with a message it sent: see its status and history, revoke it. */
import { NotFoundError } from './errors.ts';
import { isExpired } from './expiry.ts';
import { isWellFormedMessageId } from './message-ids.ts';
import type { MessageEvent, MessageHead, Principal } from './model.ts';
import type { Clock, EventLog, Logger, MessageStore } from './ports.ts';
import { appendEvents } from './audit.ts';

export interface MessageAdminDeps {
  readonly store: MessageStore;
  readonly events: EventLog;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface MessageStatus {
  readonly id: string;
  readonly state: 'active' | 'expired' | 'revoked';
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revokedAt?: string;
  readonly recipients: readonly {
    email: string; kind: 'to' | 'cc'; status: string; reason?: string; notifiedAt?: string; firstOpenedAt?: string; opens: number;
  }[];
  readonly events: readonly { type: string; at: string; actor: string; recipient?: string; detail?: string }[];
}

const NOT_FOUND = 'No message with this id exists for your organisation.';

async function ownedHead(deps: MessageAdminDeps, principal: Principal, messageId: string): Promise<MessageHead> {
  if (!isWellFormedMessageId(messageId)) throw new NotFoundError(NOT_FOUND);
  const head = await deps.store.getHead(messageId);
  // Another tenant's message is indistinguishable from a missing one.
  if (!head || head.tenantId !== principal.tenant.id) throw new NotFoundError(NOT_FOUND);
  return head;
}

export function stateOf(head: MessageHead, now: Date): MessageStatus['state'] {
  if (head.state === 'revoked') return 'revoked';
  return isExpired(head.expiresAt, now) ? 'expired' : 'active';
}

export async function getMessageStatus(deps: MessageAdminDeps, principal: Principal, messageId: string): Promise<MessageStatus> {
  const head = await ownedHead(deps, principal, messageId);
  const events: MessageEvent[] = await deps.events.listForMessage(messageId);
  return {
    id: head.id,
    state: stateOf(head, deps.clock()),
    createdAt: head.createdAt,
    expiresAt: head.expiresAt,
    ...(head.revokedAt ? { revokedAt: head.revokedAt } : {}),
    recipients: head.recipients.map((r) => ({
      email: r.email, kind: r.kind, status: r.status, opens: r.opens,
      ...(r.failureReason ? { reason: r.failureReason } : {}),
      ...(r.notifiedAt ? { notifiedAt: r.notifiedAt } : {}),
      ...(r.firstOpenedAt ? { firstOpenedAt: r.firstOpenedAt } : {}),
    })),
    events: events
      .filter((e) => e.tenantId === principal.tenant.id)
      .map((e) => ({ type: e.type, at: e.at, actor: e.actor, ...(e.recipient ? { recipient: e.recipient } : {}), ...(e.detail ? { detail: e.detail } : {}) })),
  };
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
      sourceIp: ctx.sourceIp, userAgent: ctx.userAgent,
    }]);
  }
  await deps.store.deleteChunks(messageId, revoked?.chunkCount ?? head.chunkCount);
}
