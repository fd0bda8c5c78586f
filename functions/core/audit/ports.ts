/** The port of the audit trail: an append-only event log, per message and per tenant. */
import type { AuditEvent, EventType, StoredEvent } from './model.ts';

export interface EventQuery {
  /** Only events recorded at or after this ISO time. */
  readonly since?: string;
  /** Only events recorded before this ISO time (the webhook dispatcher's settle window). */
  readonly until?: string;
  /** Only these types. */
  readonly types?: readonly EventType[];
  /** Continue after this position (the `cursor` of an earlier page). */
  readonly after?: string;
  /**
   * Newest first: from the newest event (or from just before `before`) back to `since`. For a
   * person reading the trail; `after` and `until` do not apply.
   */
  readonly newestFirst?: boolean;
  /** With newestFirst: continue before this position (the `cursor` of an earlier page). */
  readonly before?: string;
  readonly limit: number;
}

export interface EventPage {
  /** Oldest first (newest first when asked for). */
  readonly events: readonly StoredEvent[];
  /**
   * The position of the last event looked at (also past events the type filter skipped): pass it
   * as `after` (as `before`, newest first) to continue. Absent only when nothing at all was looked at.
   */
  readonly cursor?: string;
  /** True when the page stopped at `limit` and more events may follow right away. */
  readonly hasMore: boolean;
}

/** Append-only audit events: per message and per tenant (in the order they were recorded). */
export interface EventLog {
  append(events: readonly AuditEvent[]): Promise<void>;
  listForMessage(messageId: string): Promise<StoredEvent[]>;
  listForTenant(tenantId: string, query: EventQuery): Promise<EventPage>;
}
