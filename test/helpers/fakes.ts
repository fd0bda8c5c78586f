/**
 * In-memory fakes of the ports, with the same conditional semantics as the DynamoDB adapters
 * (create-if-absent, revoke-only-if-active, open-only-if-active-and-unexpired).
 */
import { DependencyError, type Logger, type Notifier, type PickupNotification } from '../../functions/core/shared/index.ts';
import {
  EVENT_ID_PREFIX, eventPosition, type AuditEvent, type StoredEvent, type EventLog, type EventPage, type EventQuery,
} from '../../functions/core/audit/index.ts';
import type { ApiKeyRecord, LogoRef, Tenant, TenantSettings, TenantAdmin } from '../../functions/core/tenants/index.ts';
import type {
  MessageHead, RecipientRecord, SendReceipt, IdempotencyBegin, IdempotencyStore, MessageStore, NewMessageHead,
} from '../../functions/core/messages/index.ts';
import type { OpenAudit, PickupStore, VerificationLimits } from '../../functions/core/pickup/index.ts';
import { inboxEntries } from '../../functions/core/message-center/index.ts';

export class InMemoryTenantDirectory implements TenantAdmin {
  readonly tenants = new Map<string, Tenant>();
  readonly keys = new Map<string, ApiKeyRecord>();
  readonly hosts = new Map<string, string>();
  readonly logos = new Map<string, Uint8Array>();
  async getTenant(id: string) { return this.tenants.get(id); }
  async getApiKey(keyId: string) { return this.keys.get(keyId); }
  async tenantForHostname(hostname: string) {
    const tenant = this.tenants.get(this.hosts.get(hostname) ?? '');
    return tenant && !tenant.disabled && tenant.settings.portalHostnames.includes(hostname) ? tenant : undefined;
  }
  async touchApiKey(keyId: string, now: Date) {
    const key = this.keys.get(keyId);
    if (key && (!key.lastUsedAt || Date.parse(key.lastUsedAt) <= now.getTime() - 60_000)) this.keys.set(keyId, { ...key, lastUsedAt: now.toISOString() });
  }
  async createTenant(tenant: Tenant) {
    if (this.tenants.has(tenant.id)) return false;
    this.tenants.set(tenant.id, tenant);
    return true;
  }
  async putApiKey(record: ApiKeyRecord) {
    if (this.keys.has(record.keyId)) return false;
    this.keys.set(record.keyId, record);
    return true;
  }
  async listApiKeys(tenantId: string) {
    return [...this.keys.values()].filter((k) => k.tenantId === tenantId).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }
  async revokeApiKey(tenantId: string, keyId: string, now: Date) {
    const key = this.keys.get(keyId);
    if (!key || key.tenantId !== tenantId || key.revokedAt) return undefined;
    const revoked = { ...key, revokedAt: now.toISOString() };
    this.keys.set(keyId, revoked);
    return revoked;
  }
  async updateSettings(tenantId: string, expectedRevision: number, settings: TenantSettings) {
    const tenant = this.tenants.get(tenantId);
    if (!tenant || tenant.revision !== expectedRevision) return undefined;
    const updated = { ...tenant, revision: expectedRevision + 1, settings };
    this.tenants.set(tenantId, updated);
    return updated;
  }
  async claimHostname(hostname: string, tenantId: string) {
    const owner = this.hosts.get(hostname);
    if (owner !== undefined && owner !== tenantId) return false;
    this.hosts.set(hostname, tenantId);
    return true;
  }
  async releaseHostname(hostname: string, tenantId: string) {
    if (this.hosts.get(hostname) === tenantId) this.hosts.delete(hostname);
  }
  async putLogo(tenantId: string, logo: LogoRef, bytes: Uint8Array) { this.logos.set(`${tenantId}/${logo.digest}`, bytes.slice()); }
  async getLogo(tenantId: string, digest: string) { return this.logos.get(`${tenantId}/${digest}`); }
  async deleteLogo(tenantId: string, digest: string) { this.logos.delete(`${tenantId}/${digest}`); }
  async setDisabled(tenantId: string, disabled: boolean) {
    const tenant = this.tenants.get(tenantId);
    if (!tenant) return false;
    this.tenants.set(tenantId, { ...tenant, disabled });
    return true;
  }
  async listTenants() { return [...this.tenants.values()]; }
}

export class InMemoryMessageStore implements MessageStore, PickupStore {
  readonly heads = new Map<string, MessageHead>();
  readonly chunks = new Map<string, Uint8Array>();
  failCreate = false;

  /** Where the events written with a change go (the real store writes them in the same transaction): aSendingWorld wires it. */
  eventSink?: { append(events: readonly AuditEvent[]): Promise<void> };

  /** Where a Message Center message's inbox entries go, written with its head (buildTestApp wires it). */
  inboxSink?: { putEntries(entries: ReturnType<typeof inboxEntries>): Promise<void> };

  private async withEvents(events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    if (!this.eventSink) throw new Error('this message store was not given an event sink');
    await this.eventSink.append(events);
  }

  async create(head: NewMessageHead, ciphertext?: Uint8Array, events: readonly AuditEvent[] = []): Promise<void> {
    if (this.failCreate) throw new DependencyError('The message could not be stored, so nothing was sent. It is safe to retry.', 'fake');
    if (this.heads.has(head.id)) throw new DependencyError('duplicate id', 'fake');
    if (head.blob) {
      this.heads.set(head.id, { ...head, chunkCount: 0, ciphertextBytes: head.blob.parts.reduce((a, b) => a + b, 0) });
      await this.withEvents(events);
      await this.inboxSink?.putEntries(inboxEntries(head));
      return;
    }
    if (!ciphertext) throw new Error('a head without blob needs its ciphertext');
    this.chunks.set(head.id, ciphertext.slice());
    this.heads.set(head.id, { ...head, chunkCount: 1, ciphertextBytes: ciphertext.length });
    await this.withEvents(events);
    await this.inboxSink?.putEntries(inboxEntries(head));
  }
  /** Where readForOpen reads a tenant the page named, as the real store reads it with the head (aSendingWorld wires it). */
  tenantSource?: InMemoryTenantDirectory;
  /** Each tenant id readForOpen was asked for, in order. */
  readonly tenantsReadWithHead: string[] = [];

  async readForOpen(id: string, tenantId?: string) {
    const head = this.heads.get(id);
    if (!head) return {};
    const data = this.chunks.get(id);
    const read = data && !head.blob && this.partCount(head) === 1 ? { head, firstPart: data.slice() } : { head };
    if (tenantId === undefined) return read;
    // The real store always reads a named tenant: a test that names one must say where tenants are.
    if (!this.tenantSource) throw new Error('InMemoryMessageStore.readForOpen: a tenant was named, and no tenantSource is wired');
    this.tenantsReadWithHead.push(tenantId);
    return { ...read, tenant: { id: tenantId, value: this.tenantSource.tenants.get(tenantId) } };
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
  async recordDelivery(id: string, outcomes: readonly { rid: string; status: 'notified' | 'failed' | 'sender'; reason?: string; at: string }[], events: readonly AuditEvent[] = []) {
    const head = this.heads.get(id);
    if (!head) throw new Error('no head');
    const recipients = head.recipients.map((r): RecipientRecord => {
      const o = outcomes.find((x) => x.rid === r.rid);
      if (!o) return r;
      if (o.status === 'sender') return { ...r, status: 'sender' };
      return o.status === 'notified' ? { ...r, status: 'notified', notifiedAt: o.at } : { ...r, status: 'failed', failureReason: o.reason ?? 'rejected' };
    });
    this.heads.set(id, { ...head, recipients });
    await this.withEvents(events);
  }
  async recordOpen(id: string, rid: string, now: Date, window: string, maxViews: number | undefined, audit: OpenAudit) {
    const head = this.heads.get(id);
    if (!head || head.state !== 'active' || head.expiresAt <= now.toISOString()) return undefined;
    const recipient = head.recipients.find((r) => r.rid === rid);
    if (!recipient || (maxViews !== undefined && recipient.opens >= maxViews)) return undefined;
    const newWindow = recipient.lastOpenWindow !== window;
    const recipients = head.recipients.map((r) => r.rid === rid
      ? { ...r, opens: r.opens + 1, firstOpenedAt: r.firstOpenedAt ?? now.toISOString(), lastOpenedAt: now.toISOString(), lastOpenWindow: window }
      : r);
    this.heads.set(id, { ...head, recipients });
    const views = recipient.opens + 1;
    const event = audit.event(views, newWindow);
    if (event) await this.withEvents([event]);
    return { newWindow, views };
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
  async listForTenant(tenantId: string, query: { before?: string; limit: number }) {
    const all = [...this.heads.values()].filter((h) => h.tenantId === tenantId)
      .map((h) => ({ h, k: `${h.createdAt}#${h.id}` }))
      .filter(({ k }) => query.before === undefined || k < query.before)
      .sort((a, b) => b.k.localeCompare(a.k));
    const page = all.slice(0, query.limit);
    return { heads: page.map(({ h }) => h), ...(all.length > query.limit ? { cursor: page.at(-1)?.k as string } : {}) };
  }
  async setExpiry(tenantId: string, id: string, expiresAt: Date, now: Date) {
    const head = this.heads.get(id);
    if (!head || head.tenantId !== tenantId || head.state !== 'active' || head.expiresAt <= now.toISOString()) return false;
    this.heads.set(id, { ...head, expiresAt: expiresAt.toISOString() });
    return true;
  }
  async listNewlyExpired(now: Date, limit: number) {
    return [...this.heads.values()].filter((h) => h.state === 'active' && !h.expiredAt && h.expiresAt < now.toISOString()).slice(0, limit);
  }
  async markExpired(id: string, now: Date) {
    const head = this.heads.get(id);
    if (!head || head.state !== 'active' || head.expiredAt || head.expiresAt > now.toISOString()) return false;
    this.heads.set(id, { ...head, expiredAt: now.toISOString() });
    return true;
  }
  /*
   * Verification writes: each checks its whole condition and writes in one synchronous step (no
   * await in between), so concurrent calls behave like DynamoDB's conditional updates.
   */
  private updateRecipient(id: string, rid: string, now: Date, condition: (r: RecipientRecord) => boolean, change: (r: RecipientRecord) => RecipientRecord): RecipientRecord | undefined {
    const head = this.heads.get(id);
    if (!head || head.state !== 'active' || head.expiresAt <= now.toISOString()) return undefined;
    const recipient = head.recipients.find((r) => r.rid === rid);
    if (!recipient || !condition(recipient)) return undefined;
    const updated = change(recipient);
    this.heads.set(id, { ...head, recipients: head.recipients.map((r) => (r.rid === rid ? updated : r)) });
    return updated;
  }
  private static notLocked(r: RecipientRecord, now: Date, limits: VerificationLimits): boolean {
    return r.failures === undefined || r.failures < limits.maxFailures || (r.lastFailureAt ?? '') <= new Date(now.getTime() - limits.lockMs).toISOString();
  }
  async issueCode(id: string, rid: string, code: { hash: string; expiresAt: string }, now: Date, limits: VerificationLimits) {
    const at = now.toISOString();
    const resendCutoff = new Date(now.getTime() - limits.resendIntervalMs).toISOString();
    const windowCutoff = new Date(now.getTime() - limits.sendWindowMs).toISOString();
    return this.updateRecipient(id, rid, now,
      (r) => InMemoryMessageStore.notLocked(r, now, limits) && (r.code === undefined || r.code.sentAt <= resendCutoff)
        && (r.codeWindowStart === undefined || r.codeWindowStart <= windowCutoff || (r.codeSends ?? 0) < limits.maxSends),
      (r) => {
        const newWindow = r.codeWindowStart === undefined || r.codeWindowStart <= windowCutoff;
        return { ...r, code: { ...code, sentAt: at }, codeSends: newWindow ? 1 : (r.codeSends ?? 0) + 1, codeWindowStart: newWindow ? at : r.codeWindowStart };
      }) !== undefined;
  }
  async recordFailure(id: string, rid: string, now: Date, limits: VerificationLimits) {
    const lockCutoff = new Date(now.getTime() - limits.lockMs).toISOString();
    const reset = (r: RecipientRecord) => r.failures === undefined || (r.lastFailureAt ?? '') <= lockCutoff;
    return this.updateRecipient(id, rid, now,
      (r) => reset(r) || (r.failures ?? 0) < limits.maxFailures,
      (r) => ({ ...r, failures: reset(r) ? 1 : (r.failures ?? 0) + 1, lastFailureAt: now.toISOString() }))?.failures;
  }
  async consumeCode(id: string, rid: string, codeHash: string, grant: { hash: string; expiresAt: string }, now: Date, limits: VerificationLimits) {
    return this.updateRecipient(id, rid, now,
      (r) => InMemoryMessageStore.notLocked(r, now, limits) && r.code?.hash === codeHash && r.code.expiresAt > now.toISOString(),
      ({ code: _used, ...r }) => ({ ...r, failures: 0, grant })) !== undefined;
  }
  async confirmUnlocked(id: string, rid: string, now: Date, limits: VerificationLimits) {
    return this.updateRecipient(id, rid, now, (r) => InMemoryMessageStore.notLocked(r, now, limits), (r) => r) !== undefined;
  }
  async storeGrant(id: string, rid: string, grant: { hash: string; expiresAt: string }, now: Date) {
    return this.updateRecipient(id, rid, now, () => true, (r) => ({ ...r, grant })) !== undefined;
  }
}

/** The event log in memory: recording time comes from `clock` (tests move it), ids are sequential. */
export class InMemoryEventLog implements EventLog {
  readonly events: StoredEvent[] = [];
  private sequence = 0;
  constructor(private readonly clock: () => Date = () => new Date()) {}
  async append(events: readonly AuditEvent[]) {
    const recordedAt = this.clock().toISOString();
    for (const event of events) {
      if (event.id !== undefined && this.events.some((e) => e.id === event.id && e.messageId === event.messageId)) continue;
      this.events.push({ ...event, eventId: `${EVENT_ID_PREFIX}${String(++this.sequence).padStart(12, '0')}`, recordedAt });
    }
  }
  async listForMessage(id: string) { return this.events.filter((e) => e.messageId === id); }
  async listForTenant(tenantId: string, query: EventQuery): Promise<EventPage> {
    const candidates = this.events
      .filter((e) => e.tenantId === tenantId)
      .map((e) => ({ e, p: eventPosition(e) }))
      .filter(({ p }) => (query.after !== undefined && !query.newestFirst ? p > query.after : query.since === undefined || p >= query.since))
      .filter(({ p }) => (query.newestFirst ? query.before === undefined || p < query.before : query.until === undefined || p < query.until))
      .sort((a, b) => (query.newestFirst ? b.p.localeCompare(a.p) : a.p.localeCompare(b.p)));
    const events: StoredEvent[] = [];
    let cursor = query.newestFirst ? query.before : query.after;
    for (const { e, p } of candidates) {
      if (events.length >= query.limit) return { events, cursor, hasMore: true } as EventPage;
      cursor = p;
      if (!query.types || query.types.length === 0 || query.types.includes(e.type)) events.push(e);
    }
    return { events, hasMore: false, ...(cursor !== undefined ? { cursor } : {}) };
  }
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
