/**
 * In-memory fakes of the Message Center ports, with the DynamoDB adapter's conditional semantics
 * (test/adapters/dynamodb/inbox-store.test.ts runs the same rules against dynalite), a KeyWrapper
 * that counts KMS calls, and builders for Message Center heads.
 */
import { randomBytes } from 'node:crypto';
import { SECRET_BYTES, deriveAccessToken, encodeSecret, hashAccessToken } from '../../functions/core/protocol/index.ts';
import {
  inboxEntries, messageCenterCustody, SIGN_IN_LIMITS, type InboxEntry, type InboxEntryInput, type InboxSession, type InboxStore, type IssueOutcome,
  type RecoveryStore, type RedeemOutcome, type SignInLimits,
} from '../../functions/core/message-center/index.ts';
import type { MessageHead, RecoveryGrant, NewMessageHead } from '../../functions/core/messages/index.ts';
import type { KeyWrapper } from '../../functions/core/shared/index.ts';
import type { InMemoryMessageStore } from './fakes.ts';
import { TestKeyWrapper } from './webhook-fakes.ts';

interface SignInState {
  codeHash?: string;
  codeExpiresAt?: number;
  sentAt?: number;
  sends?: number;
  sendWindowStart?: number;
  failures?: number;
  failureWindowStart?: number;
  lastFailureAt?: number;
}

export class InMemoryInboxStore implements InboxStore {
  /** key `${tenantId}|${lower email}` → entries */
  readonly entries = new Map<string, (InboxEntry & { tenantId: string })[]>();
  readonly signIns = new Map<string, SignInState>();
  readonly sessions = new Map<string, InboxSession>();
  private readonly k = (tenantId: string, email: string) => `${tenantId}|${email.trim().toLowerCase()}`;

  async putEntries(entries: readonly InboxEntryInput[]) {
    for (const e of entries) {
      const list = this.entries.get(this.k(e.tenantId, e.email)) ?? [];
      list.push({ tenantId: e.tenantId, messageId: e.messageId, rid: e.rid, createdAt: e.createdAt, expiresAt: e.expiresAt });
      this.entries.set(this.k(e.tenantId, e.email), list);
    }
  }
  async listEntries(tenantId: string, email: string, limit: number) {
    return [...(this.entries.get(this.k(tenantId, email)) ?? [])]
      .sort((a, b) => `${b.createdAt}#${b.messageId}`.localeCompare(`${a.createdAt}#${a.messageId}`))
      .slice(0, limit)
      .map(({ messageId, rid, createdAt, expiresAt }) => ({ messageId, rid, createdAt, expiresAt }));
  }
  private locked(s: SignInState, t: number, limits: SignInLimits) {
    return (s.failures ?? 0) >= limits.maxFailures && (s.lastFailureAt ?? 0) > t - limits.lockMs;
  }
  async issueCode(tenantId: string, email: string, codeHash: string, now: Date, limits: SignInLimits = SIGN_IN_LIMITS): Promise<IssueOutcome> {
    const t = now.getTime();
    const s = this.signIns.get(this.k(tenantId, email)) ?? {};
    if (this.locked(s, t, limits) || (s.sentAt !== undefined && s.sentAt > t - limits.resendIntervalMs)) return 'refused';
    const sameWindow = s.sendWindowStart !== undefined && s.sendWindowStart > t - limits.sendWindowMs;
    if (sameWindow && (s.sends ?? 0) >= limits.maxSends) return 'refused';
    this.signIns.set(this.k(tenantId, email), {
      ...s, codeHash, codeExpiresAt: t + limits.codeTtlMs, sentAt: t,
      sends: sameWindow ? (s.sends ?? 0) + 1 : 1, sendWindowStart: sameWindow ? s.sendWindowStart : t,
    });
    return 'issued';
  }
  async redeemCode(tenantId: string, email: string, codeHash: string, now: Date, limits: SignInLimits = SIGN_IN_LIMITS): Promise<RedeemOutcome> {
    const t = now.getTime();
    const key = this.k(tenantId, email);
    const s = this.signIns.get(key) ?? {};
    if (this.locked(s, t, limits)) return 'locked';
    if (s.codeHash === codeHash && (s.codeExpiresAt ?? 0) > t) {
      const { codeHash: _h, codeExpiresAt: _e, ...rest } = s;
      this.signIns.set(key, { ...rest, failures: 0 });
      return 'ok';
    }
    const inWindow = s.failureWindowStart !== undefined && s.failureWindowStart > t - limits.failureWindowMs;
    const failures = inWindow ? (s.failures ?? 0) + 1 : 1;
    this.signIns.set(key, { ...s, failures, lastFailureAt: t, failureWindowStart: inWindow ? s.failureWindowStart : t });
    return failures >= limits.maxFailures ? 'locked' : 'wrong';
  }
  async createSession(session: InboxSession) {
    if (this.sessions.has(session.tokenHash)) return false;
    this.sessions.set(session.tokenHash, session);
    return true;
  }
  async getSession(tokenHash: string) { return this.sessions.get(tokenHash); }
  async touchSession(tokenHash: string, now: Date, idleFloor: Date) {
    const s = this.sessions.get(tokenHash);
    if (!s || s.expiresAt <= now.toISOString() || s.lastSeenAt <= idleFloor.toISOString()) return undefined;
    const touched = { ...s, lastSeenAt: now.toISOString() };
    this.sessions.set(tokenHash, touched);
    return touched;
  }
  async deleteSession(tokenHash: string) { this.sessions.delete(tokenHash); }
}

/** Recovery grants on the heads of an InMemoryMessageStore, with the adapter's conditions. */
export class InMemoryRecoveryStore implements RecoveryStore {
  constructor(private readonly store: InMemoryMessageStore) {}
  async addRecovery(tenantId: string, messageId: string, grant: RecoveryGrant, now: Date, cap: number) {
    const head = this.store.heads.get(messageId);
    if (!head || head.tenantId !== tenantId || head.state !== 'active' || head.expiresAt <= now.toISOString() || head.custody !== 'message-center') return false;
    if ((head.recoveries?.length ?? 0) >= cap) return false;
    this.store.heads.set(messageId, { ...head, recoveries: [...(head.recoveries ?? []), grant] });
    return true;
  }
  async useRecovery(messageId: string, index: number, tokenHash: string, now: Date) {
    const head = this.store.heads.get(messageId);
    const grant = head?.recoveries?.[index];
    if (!head || !grant || head.state !== 'active' || head.expiresAt <= now.toISOString()) return false;
    if (grant.tokenHash !== tokenHash || grant.usedAt !== undefined || grant.expiresAt <= now.toISOString()) return false;
    const recoveries = head.recoveries!.map((g, i) => (i === index ? { ...g, usedAt: now.toISOString() } : g));
    this.store.heads.set(messageId, { ...head, recoveries });
    return true;
  }
}

/** The context-bound test wrapper, counting wrap and unwrap calls (each is one KMS request in production). */
export class CountingKeyWrapper implements KeyWrapper {
  readonly inner = new TestKeyWrapper();
  wrapCalls = 0;
  unwrapCalls = 0;
  async wrap(plaintext: Uint8Array, context: Readonly<Record<string, string>>) {
    this.wrapCalls++;
    return this.inner.wrap(plaintext, context);
  }
  async unwrap(wrapped: Uint8Array, context: Readonly<Record<string, string>>) {
    this.unwrapCalls++;
    return this.inner.unwrap(wrapped, context);
  }
}

export interface SeededRecipient {
  readonly email: string;
  readonly rid: string;
  /** The 43-character secret (what the notification link carries). */
  readonly secret: string;
}

/**
 * Stores a message head as the send path will (custody fields from messageCenterCustody, inbox
 * entries written after the head) and returns each recipient's secret, and the custody key the
 * message is also sealed for. `legacy`: a Message Center message sent before custody keys existed.
 * Ciphertext is a placeholder.
 */
export async function seedMessage(
  deps: { store: InMemoryMessageStore; inbox?: InboxStore; keys: KeyWrapper },
  options: {
    id: string; tenantId?: string; emails: readonly string[]; custody?: 'link' | 'message-center'; legacy?: boolean; createdAt?: string; expiresAt?: string;
    head?: Partial<MessageHead>;
  },
): Promise<SeededRecipient[] & { custodyKey?: string }> {
  const tenantId = options.tenantId ?? 'acme';
  const secrets = options.emails.map(() => new Uint8Array(randomBytes(SECRET_BYTES)));
  const recipients = await Promise.all(options.emails.map(async (email, i) => {
    const secret = encodeSecret(secrets[i]!);
    return { email, rid: `r${i}`, kind: 'to' as const, tokenHash: await hashAccessToken(await deriveAccessToken(secret)), status: 'notified' as const, opens: 0 };
  }));
  const custody = options.custody ?? 'message-center';
  const custodian = messageCenterCustody({ keys: deps.keys, inbox: { putEntries: async () => undefined }, random: (n) => new Uint8Array(randomBytes(n)) });
  const key = custody === 'message-center' && !options.legacy ? await custodian.drawKey(tenantId, options.id) : undefined;
  const fields = custody === 'message-center'
    ? { custody, wrappedSecrets: await custodian.keepSecrets(tenantId, options.id, secrets), ...(key ? { wrappedCustodyKey: key.wrapped } : {}) }
    : { custody };
  const head: NewMessageHead = {
    id: options.id, tenantId, createdAt: options.createdAt ?? '2026-11-29T11:00:00.000Z', expiresAt: options.expiresAt ?? '2026-12-13T11:00:00.000Z',
    state: 'active', recipients, auditRetentionDays: 2192,
    ...fields,
    ...options.head,
  };
  await deps.store.create(head, new TextEncoder().encode(`ciphertext of ${options.id}`));
  await deps.inbox?.putEntries(inboxEntries(head));
  const seeded = recipients.map((r, i) => ({ email: r.email, rid: r.rid, secret: encodeSecret(secrets[i]!) }));
  return key ? Object.assign(seeded, { custodyKey: key.password }) : seeded;
}

/** A 22-character message id from a short label (deterministic, well formed). */
export function messageIdOf(label: string): string {
  return label.padEnd(22, '0').slice(0, 22).replace(/[^A-Za-z0-9_-]/g, '_');
}

/** No pacing of code requests: the tests of pacing give their own. */
export const NO_PACE = { ms: 0, sleep: async () => undefined } as const;
