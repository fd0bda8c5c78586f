/** The audit trail as core uses it: appended after the state change it describes. */
import { describeError, type Logger } from '../shared/index.ts';
import type { AuditEvent, StoredEvent } from './model.ts';
import type { EventLog } from './ports.ts';

/**
 * Appends events after the change they describe has been committed. A failure is logged, never
 * hidden, and does not undo the change (which already stands).
 */
export async function appendEvents(deps: { events: EventLog; logger: Logger }, events: readonly AuditEvent[]): Promise<void> {
  try {
    await deps.events.append(events);
  } catch (error) {
    deps.logger.error('event_append_failed', { types: events.map((e) => e.type), error: describeError(error) });
  }
}

/**
 * The feed position of a stored event: its recording time and the random part of its id. Positions
 * order like the tenant feed, so "after this event" is a plain string comparison.
 */
export function eventPosition(event: Pick<StoredEvent, 'eventId' | 'recordedAt'>): string {
  return `${event.recordedAt}#${event.eventId.slice(EVENT_ID_PREFIX.length)}`;
}

export const EVENT_ID_PREFIX = 'ev_';
const POSITION = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[A-Za-z0-9_-]{12}$/;

/** True for a string shaped like a feed position (what clients pass back as a cursor). */
export function isEventPosition(value: string): boolean {
  return POSITION.test(value);
}
