/** The audit trail as core uses it: appended after the state change it describes. */
import { describeError } from './errors.ts';
import type { MessageEvent } from './model.ts';
import type { EventLog, Logger } from './ports.ts';

/**
 * Appends events after the change they describe has been committed. A failure is logged, never
 * hidden, and does not undo the change (which already stands).
 */
export async function appendEvents(deps: { events: EventLog; logger: Logger }, events: readonly MessageEvent[]): Promise<void> {
  try {
    await deps.events.append(events);
  } catch (error) {
    deps.logger.error('event_append_failed', { types: events.map((e) => e.type), error: describeError(error) });
  }
}
