/**
 * Activity: the organisation's audit trail (messages, settings, keys, webhooks) over a chosen
 * period, newest first, in plain words. A message's events are gathered under the message (where
 * its newest event falls), so one message's story reads in one place; the organisation's own
 * events stay in their place in time.
 */
import { h } from '../lib/dom.ts';
import type { AuditEvent } from '../lib/admin-api.ts';
import { field } from './form.ts';
import { busy, button, type ConsoleContext, emptyState, errorBox, reportError, type Section, sectionHeading } from './ui.ts';
import { addressesText, historyList } from './wording.ts';

const PERIODS: readonly (readonly [string, number])[] = [['Last 24 hours', 1], ['Last 7 days', 7], ['Last 30 days', 30], ['Last 90 days', 90]];

interface Group {
  readonly messageId?: string;
  readonly events: AuditEvent[];
}

/** Newest first in, groups out: one per message, and one per run of organisation events. */
export function groupByMessage(events: readonly AuditEvent[]): Group[] {
  const groups: Group[] = [];
  const byMessage = new Map<string, Group>();
  for (const event of events) {
    if (event.messageId === undefined) {
      const last = groups.at(-1);
      if (last && last.messageId === undefined) last.events.push(event);
      else groups.push({ events: [event] });
      continue;
    }
    const group = byMessage.get(event.messageId);
    if (group) group.events.push(event);
    else {
      const created: Group = { messageId: event.messageId, events: [event] };
      byMessage.set(event.messageId, created);
      groups.push(created);
    }
  }
  return groups;
}

export function activitySection(ctx: ConsoleContext, openMessage: (id: string) => void): Section {
  const heading = sectionHeading('h2', 'Activity', 'activity-title');
  const errors = errorBox();
  const period = h('select', {}, ...PERIODS.map(([label, days]) => h('option', { value: String(days) }, label)));
  period.value = '7';
  const rows = h('div', { 'aria-busy': 'false' });
  const more = button('Load older events');
  more.hidden = true;
  let cursor: string | undefined;
  let since = '';
  let loaded: AuditEvent[] = [];

  async function load(reset: boolean): Promise<void> {
    rows.setAttribute('aria-busy', 'true');
    try {
      if (reset) since = new Date(Date.now() - Number(period.value) * 86_400_000).toISOString();
      const page = await ctx.api.listEvents({ since, ...(reset || cursor === undefined ? {} : { cursor }) });
      loaded = reset ? page.events : [...loaded, ...page.events];
      cursor = page.cursor;
      more.hidden = !page.hasMore;
      rows.replaceChildren(loaded.length === 0 ? emptyState('Nothing happened in this period.') : render(loaded));
      if (!reset) ctx.announce(`${page.events.length} older events loaded.`);
    } catch (error) {
      reportError(ctx, error, errors);
    } finally {
      rows.setAttribute('aria-busy', 'false');
    }
  }

  function render(events: readonly AuditEvent[]): HTMLElement {
    return h('ul', { class: 'activity', 'aria-label': 'Activity, newest first' }, ...groupByMessage(events).map((group) => {
      const count = group.events.length === 1 ? '1 event' : `${group.events.length} events`;
      if (group.messageId === undefined) {
        return h('li', { class: 'activity-group' }, h('h3', {}, 'Organisation ', h('span', { class: 'sub-inline' }, `· ${count}`)), historyList(group.events, 'Organisation events', ctx.ownKeyId()));
      }
      const id = group.messageId;
      const recipients = [...new Set(group.events.map((e) => e.recipient).filter((r): r is string => r !== undefined))];
      const view = button('View message', { variant: 'link', onClick: () => openMessage(id) });
      view.setAttribute('aria-label', `View message ${id}`);
      return h(
        'li',
        { class: 'activity-group' },
        h('h3', {}, recipients.length > 0 ? `Message to ${addressesText(recipients)}` : 'Message', ' ', h('span', { class: 'sub-inline' }, `· ${count}`)),
        h('p', { class: 'message-id' }, h('code', {}, id), view),
        historyList(group.events, `Events of message ${id}`, ctx.ownKeyId()),
      );
    }));
  }

  period.addEventListener('change', () => void load(true));
  more.addEventListener('click', () => void busy(more, () => load(false)));

  const element = h(
    'section',
    { class: 'panel', id: 'panel-activity', 'aria-labelledby': 'activity-title' },
    heading,
    h('p', { class: 'lead' }, 'Everything recorded for your organisation, newest first: messages, settings, keys and webhooks. A message\'s events are shown together.'),
    errors.element,
    h('div', { class: 'filters' }, field({ label: 'Period', control: period }).element),
    rows,
    h('div', { class: 'actions' }, more),
  );
  return { element, heading, show: () => load(true) };
}
