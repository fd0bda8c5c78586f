/** The audit trail as the API and webhooks show it, and the tenant feed query (GET /v1/events). */
import { eventPosition } from './trail.ts';
import type { EventType, StoredEvent } from './model.ts';
import type { Clock } from '../shared/index.ts';
import type { EventLog } from './ports.ts';

/** An event as the API shows it. Never holds a secret; sourceIp and userAgent only where there was one. */
export interface PublicEvent {
  readonly id: string;
  readonly type: EventType;
  readonly at: string;
  readonly recordedAt: string;
  readonly actor: string;
  readonly messageId?: string;
  readonly recipient?: string;
  readonly detail?: string;
  readonly objectId?: string;
  readonly before?: Readonly<Record<string, unknown>>;
  readonly after?: Readonly<Record<string, unknown>>;
  readonly sourceIp?: string;
  readonly userAgent?: string;
}

export function publicEvent(e: StoredEvent): PublicEvent {
  return {
    id: e.eventId, type: e.type, at: e.at, recordedAt: e.recordedAt, actor: e.actor,
    ...(e.messageId ? { messageId: e.messageId } : {}),
    ...(e.recipient ? { recipient: e.recipient } : {}),
    ...(e.detail ? { detail: e.detail } : {}),
    ...(e.objectId ? { objectId: e.objectId } : {}),
    ...(e.before ? { before: e.before } : {}),
    ...(e.after ? { after: e.after } : {}),
    ...(e.sourceIp ? { sourceIp: e.sourceIp } : {}),
    ...(e.userAgent ? { userAgent: e.userAgent } : {}),
  };
}

export interface EventFeedPage {
  /** Oldest first (newest last), or newest first when asked for. */
  readonly events: readonly PublicEvent[];
  /**
   * Pass back as `cursor` to continue; also later, to poll for what was recorded since. Delivery
   * is at least once: an event recorded in the last few seconds may come again on the next poll
   * (deduplicate by `id`), but none is skipped.
   */
  readonly cursor: string;
  readonly hasMore: boolean;
}

/**
 * How long a just-recorded event may take to show up in the feed (the tenant feed is an
 * eventually consistent index, and writers' clocks differ a little). A cursor never points past
 * this point, so a client polling with it may see a recent event twice but never misses one.
 */
export const FEED_SETTLE_MS = 10_000;

/**
 * One page of the audit trail of `tenantId` (the caller's credential's tenant), in the order events
 * were recorded — or, with `order: 'newest'`, newest first, back to `since` (for a person reading
 * it: that order has no settle window, since nobody polls with it).
 */
export async function listTenantEvents(
  deps: { events: EventLog; clock: Clock },
  tenantId: string,
  query: { since?: string; types?: readonly EventType[]; cursor?: string; limit: number; order?: 'oldest' | 'newest' },
): Promise<EventFeedPage> {
  if (query.order === 'newest') {
    const page = await deps.events.listForTenant(tenantId, {
      limit: query.limit, newestFirst: true,
      ...(query.cursor !== undefined ? { before: query.cursor } : {}),
      ...(query.since !== undefined ? { since: query.since } : {}),
      ...(query.types && query.types.length > 0 ? { types: query.types } : {}),
    });
    const events = page.events.filter((e) => e.tenantId === tenantId);
    return { events: events.map(publicEvent), hasMore: page.hasMore, cursor: page.cursor ?? query.cursor ?? deps.clock().toISOString() };
  }
  const page = await deps.events.listForTenant(tenantId, {
    limit: query.limit,
    ...(query.cursor !== undefined ? { after: query.cursor } : query.since !== undefined ? { since: query.since } : {}),
    ...(query.types && query.types.length > 0 ? { types: query.types } : {}),
  });
  const events = page.events.filter((e) => e.tenantId === tenantId);
  const settled = new Date(deps.clock().getTime() - FEED_SETTLE_MS).toISOString();
  const reached = page.cursor ?? events.map(eventPosition).at(-1);
  // Positions ("<time>#<id>") and plain times order together as strings: "T" < "T#…".
  let cursor = reached === undefined || reached > settled ? settled : reached;
  if (query.cursor !== undefined && query.cursor > cursor) cursor = query.cursor;
  return { events: events.map(publicEvent), hasMore: page.hasMore, cursor };
}
