/**
 * Activity: the organisation's audit trail (messages, settings, keys, webhooks) over a chosen
 * period. The feed comes oldest first, a page at a time, so the table reads like a log.
 */
import { h } from '../lib/dom.ts';
import type { AuditEvent } from '../lib/admin-api.ts';
import { field } from './form.ts';
import { badge, busy, button, type ConsoleContext, emptyState, errorBox, reportError, type Section, sectionHeading, table, time } from './ui.ts';

const PERIODS: readonly (readonly [string, number])[] = [['Last 24 hours', 1], ['Last 7 days', 7], ['Last 30 days', 30], ['Last 90 days', 90]];

export function activitySection(ctx: ConsoleContext): Section {
  const heading = sectionHeading('h2', 'Activity', 'activity-title');
  const errors = errorBox();
  const period = h('select', {}, ...PERIODS.map(([label, days]) => h('option', { value: String(days) }, label)));
  period.value = '7';
  const rows = h('div', { 'aria-busy': 'false' });
  const more = button('Load later events');
  more.hidden = true;
  let cursor: string | undefined;
  let loaded: AuditEvent[] = [];

  async function load(reset: boolean): Promise<void> {
    rows.setAttribute('aria-busy', 'true');
    try {
      const since = new Date(Date.now() - Number(period.value) * 86_400_000).toISOString();
      const page = await ctx.api.listEvents(reset || cursor === undefined ? { since } : { cursor });
      loaded = reset ? page.events : [...loaded, ...page.events];
      cursor = page.cursor;
      more.hidden = !page.hasMore;
      rows.replaceChildren(loaded.length === 0 ? emptyState('Nothing happened in this period.') : render(loaded));
      if (!reset) ctx.announce(`${page.events.length} more events loaded.`);
    } catch (error) {
      reportError(ctx, error, errors);
    } finally {
      rows.setAttribute('aria-busy', 'false');
    }
  }

  function render(events: readonly AuditEvent[]): HTMLElement {
    return table('Events, oldest first', ['When', 'Event', 'Message', 'Recipient', 'By', 'Details'], events.map((e) => [
      time(e.at),
      badge(e.type),
      e.messageId ? h('code', {}, e.messageId) : '—',
      e.recipient ? h('span', { class: 'break' }, e.recipient) : '—',
      e.actor,
      h('span', { class: 'break' }, [e.objectId, e.detail].filter(Boolean).join(' · ') || '—'),
    ]), { className: 'events' });
  }

  period.addEventListener('change', () => void load(true));
  more.addEventListener('click', () => void busy(more, () => load(false)));

  const element = h(
    'section',
    { class: 'panel', id: 'panel-activity', 'aria-labelledby': 'activity-title' },
    heading,
    h('p', { class: 'lead' }, 'Everything recorded for your organisation: messages, settings, keys and webhooks.'),
    errors.element,
    h('div', { class: 'toolbar' }, field({ label: 'Period', control: period }).element),
    rows,
    h('div', { class: 'actions' }, more),
  );
  return { element, heading, show: () => load(true) };
}
