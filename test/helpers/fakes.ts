/**
 * In-memory fakes of the ports, with the same conditional semantics as the DynamoDB adapters
 * (create-if-absent, revoke-only-if-active, open-only-if-active-and-unexpired).
 */
import { DependencyError } from '../../functions/core/errors.ts';
import type { ApiKeyRecord, MessageEvent, MessageHead, RecipientRecord, SendReceipt, Tenant } from '../../functions/core/model.ts';
import type {
  EventLog, IdempotencyBegin, IdempotencyStore, Logger, MessageStore, NewMessageHead, Notifier, PickupNotification, TenantDirectory,
} from '../../functions/core/ports.ts';

export class InMemoryTenantDirectory implements TenantDirectory {
  readonly tenants = new Map<string, Tenant>();
  readonly keys = new Map<string, ApiKeyRecord>();
  async getTenant(id: string) { return this.tenants.get(id); }
  async getApiKey(keyId: string) { return this.keys.get(keyId); }
}

export class InMemoryMessageStore implements MessageStore {
  readonly heads = new Map<string, MessageHead>();
  readonly chunks = new Map<string, Uint8Array>();
  failCreate = false;

  async create(head: NewMessageHead, ciphertext: Uint8Array): Promise<void> {
    if (this.failCreate) throw new DependencyError('The message could not be stored, so nothing was sent. It is safe to retry.', 'fake');
    if (this.heads.has(head.id)) throw new DependencyError('duplicate id', 'fake');
    this.chunks.set(head.id, ciphertext.slice());
    this.heads.set(head.id, { ...head, chunkCount: 1, ciphertextBytes: ciphertext.length });
  }
  async getHead(id: string) { return this.heads.get(id); }
  /** Bytes per pickup part; tests lower it to exercise multi-part pickups. */
  partBytes = 3_000_000;
  partCount(head: MessageHead) { return Math.max(1, Math.ceil(head.ciphertextBytes / this.partBytes)); }
  async readPart(head: MessageHead, index: number) {
    const data = this.chunks.get(head.id);
    if (!data) throw new Error('ciphertext missing');
    return data.slice(index * this.partBytes, (index + 1) * this.partBytes);
  }
  async recordDelivery(id: string, outcomes: readonly { rid: string; status: 'notified' | 'failed'; reason?: string; at: string }[]) {
    const head = this.heads.get(id);
    if (!head) throw new Error('no head');
    const recipients = head.recipients.map((r): RecipientRecord => {
      const o = outcomes.find((x) => x.rid === r.rid);
      if (!o) return r;
      return o.status === 'notified' ? { ...r, status: 'notified', notifiedAt: o.at } : { ...r, status: 'failed', failureReason: o.reason ?? 'rejected' };
    });
    this.heads.set(id, { ...head, recipients });
  }
  async recordOpen(id: string, rid: string, now: Date, window: string) {
    const head = this.heads.get(id);
    if (!head || head.state !== 'active' || head.expiresAt <= now.toISOString()) return undefined;
    const newWindow = head.recipients.find((r) => r.rid === rid)?.lastOpenWindow !== window;
    const recipients = head.recipients.map((r) => r.rid === rid ? { ...r, opens: r.opens + 1, firstOpenedAt: r.firstOpenedAt ?? now.toISOString(), lastOpenWindow: window } : r);
    this.heads.set(id, { ...head, recipients });
    return { newWindow };
  }
  failDeleteChunks = false;
  async revoke(tenantId: string, id: string, now: Date) {
    const head = this.heads.get(id);
    if (!head || head.tenantId !== tenantId || head.state !== 'active') return undefined;
    this.heads.set(id, { ...head, state: 'revoked', revokedAt: now.toISOString() });
    return { chunkCount: head.chunkCount };
  }
  async deleteChunks(id: string) {
    if (this.failDeleteChunks) throw new DependencyError('The message was revoked, but its stored ciphertext could not all be deleted yet. Retry the DELETE.', 'fake');
    this.chunks.delete(id);
  }
}

export class InMemoryEventLog implements EventLog {
  readonly events: MessageEvent[] = [];
  async append(events: readonly MessageEvent[]) { this.events.push(...events); }
  async listForMessage(id: string) { return this.events.filter((e) => e.messageId === id); }
}

export class InMemoryIdempotencyStore implements IdempotencyStore {
  readonly records = new Map<string, { requestHash: string; receipt?: SendReceipt }>();
  async begin(tenantId: string, keyHash: string, requestHash: string): Promise<IdempotencyBegin> {
    const k = `${tenantId}/${keyHash}`;
    const existing = this.records.get(k);
    if (!existing) {
      this.records.set(k, { requestHash });
      return { state: 'new' };
    }
    if (existing.requestHash !== requestHash) return { state: 'mismatch' };
    return existing.receipt ? { state: 'done', receipt: existing.receipt } : { state: 'in-flight' };
  }
  async complete(tenantId: string, keyHash: string, receipt: SendReceipt) {
    const k = `${tenantId}/${keyHash}`;
    this.records.set(k, { ...(this.records.get(k) as { requestHash: string }), receipt });
  }
  async release(tenantId: string, keyHash: string) { this.records.delete(`${tenantId}/${keyHash}`); }
}

/** Records notifications; addresses in `reject` fail like an SES rejection, in `throwFor` like an outage. */
export class RecordingNotifier implements Notifier {
  readonly sent: PickupNotification[] = [];
  readonly reject = new Set<string>();
  readonly throwFor = new Set<string>();
  async send(notification: PickupNotification) {
    if (this.throwFor.has(notification.to.email)) throw new Error('network down');
    if (this.reject.has(notification.to.email)) return { status: 'failed' as const, reason: 'SES rejected the email.' };
    this.sent.push(notification);
    return { status: 'notified' as const };
  }
}

/** Collects log lines so tests can assert on them (and scan them for leaks). */
export class CapturingLogger implements Logger {
  readonly lines: string[] = [];
  info(event: string, fields?: Record<string, unknown>) { this.lines.push(JSON.stringify({ level: 'info', event, ...fields })); }
  warn(event: string, fields?: Record<string, unknown>) { this.lines.push(JSON.stringify({ level: 'warn', event, ...fields })); }
  error(event: string, fields?: Record<string, unknown>) { this.lines.push(JSON.stringify({ level: 'error', event, ...fields })); }
}
