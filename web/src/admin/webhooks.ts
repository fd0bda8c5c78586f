/**
 * Webhooks: register an endpoint (its signing secret is shown once), see whether deliveries
 * succeed, send a test event, list recent deliveries, delete.
 */
import { h } from '../lib/dom.ts';
import { ApiError, type Delivery, type EventType, type Webhook } from '../lib/admin-api.ts';
import { choice, field, fieldset, showFieldErrors } from './form.ts';
import { badge, busy, button, type ConsoleContext, confirmDialog, emptyState, errorBox, reportError, type Section, sectionHeading, secretPanel, table, time, uniqueId } from './ui.ts';
import { EVENT_GROUPS, EVENT_LABELS } from './wording.ts';

/** npm start serves the console from this machine, and only there are http:// receivers accepted. */
const LOCAL_MODE = ['localhost', '127.0.0.1', '[::1]'].includes(location.hostname);

/** An event type's checkbox: its name in words, and the type the deliveries carry. */
function eventChoice(type: EventType): { element: HTMLElement; input: HTMLInputElement } {
  const input = h('input', { type: 'checkbox', name: 'webhook-event', value: type, id: uniqueId('webhook-event') });
  const element = h('div', { class: 'choice event-choice' }, input, h('label', { for: input.id, class: 'choice-label' }, EVENT_LABELS[type]), h('code', { class: 'event-type', 'aria-hidden': 'true' }, type));
  return { element, input };
}

function deliveryText(d: Delivery): (Node | string)[] {
  const what = d.eventType === 'ping' ? 'test event' : EVENT_LABELS[d.eventType] ?? d.eventType;
  const result = d.status === 'delivered' ? 'delivered' : d.status === 'gave_up' ? 'given up' : 'failed';
  return [time(d.at), ` · ${what} · ${result}${d.statusCode ? ` (HTTP ${d.statusCode})` : ''}${d.error ? `: ${d.error}` : ''}`];
}

export function webhooksSection(ctx: ConsoleContext): Section {
  const heading = sectionHeading('h2', 'Webhooks', 'webhooks-title');
  const errors = errorBox();
  const reveal = h('div', {});
  const list = h('div', { 'aria-busy': 'false' });

  const url = h('input', { type: 'url', inputmode: 'url', autocomplete: 'off', spellcheck: 'false', placeholder: 'https://example.com/hooks/sealpost' });
  const urlField = field({
    label: 'Endpoint URL', control: url,
    hint: LOCAL_MODE
      ? 'sealpost POSTs signed JSON events here. This console runs in local mode (npm start), which also accepts http:// and addresses on this machine, for a receiver you run yourself; a deployment accepts only https:// on a public address.'
      : 'sealpost POSTs signed JSON events here. It must be https:// and reachable from the internet.',
  });
  const all = choice({ type: 'checkbox', name: 'webhook-all', value: '*', label: 'All events, including types added later', checked: true });
  const types = EVENT_GROUPS.flatMap((group) => group.types.map(eventChoice));
  const typeGrid = h('div', { class: 'event-groups' }, ...EVENT_GROUPS.map((group) => h(
    'fieldset',
    { class: 'group event-group' },
    h('legend', {}, group.name),
    ...types.filter((t) => (group.types as readonly string[]).includes(t.input.value)).map((t) => t.element),
  )));
  const events = fieldset({ legend: 'Events to send', children: [all.element, typeGrid] });
  // The single types matter only without "All events": they appear when it is unchecked.
  typeGrid.id = uniqueId('event-types');
  all.input.setAttribute('aria-controls', typeGrid.id);
  const syncTypes = (): void => {
    typeGrid.hidden = all.input.checked;
  };
  all.input.addEventListener('change', syncTypes);
  syncTypes();

  const add = button('Add webhook', { variant: 'primary', type: 'submit' });
  const form = h('form', { novalidate: '', 'aria-labelledby': 'webhooks-add-title' }, h('h3', { id: 'webhooks-add-title' }, 'Add a webhook'), urlField.element, events.element, h('div', { class: 'actions' }, add));
  const fields = { url: urlField, events };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void busy(add, async () => {
      errors.clear();
      urlField.setError(undefined);
      events.setError(undefined);
      const target = url.value.trim();
      const chosen = all.input.checked ? ['*'] : types.filter((t) => t.input.checked).map((t) => t.input.value);
      if (target === '' || chosen.length === 0) {
        if (target === '') urlField.setError('Enter the URL that should receive events.');
        if (chosen.length === 0) events.setError('Choose at least one event type, or all events.');
        (target === '' ? url : events.focusTarget).focus();
        return;
      }
      try {
        const created = await ctx.api.createWebhook(target, chosen);
        url.value = '';
        const panel = secretPanel({
          title: `Webhook added: ${created.url}`,
          label: 'Signing secret',
          value: created.secret,
          warning: 'Your endpoint needs this secret to check that deliveries come from sealpost. It will not be shown again.',
          announce: ctx.announce,
          onDone: () => url.focus(),
        });
        reveal.replaceChildren(panel);
        panel.querySelector<HTMLElement>('h3')?.focus();
        ctx.announce('Webhook added. Copy its signing secret now: it will not be shown again.');
        await load();
      } catch (error) {
        if (error instanceof ApiError && error.status === 422) {
          const { unclaimed, first } = showFieldErrors(error.fieldErrors, fields);
          errors.show(error.detail, error.requestId, unclaimed);
          ctx.announce(`Not added: ${error.detail}`);
          first?.focusTarget.focus();
        } else {
          reportError(ctx, error, errors);
        }
      }
    });
  });

  async function load(): Promise<void> {
    list.setAttribute('aria-busy', 'true');
    try {
      const { webhooks } = await ctx.api.listWebhooks();
      form.hidden = false;
      list.replaceChildren(webhooks.length === 0 ? emptyState('No webhooks yet.') : h('ul', { class: 'cards' }, ...webhooks.map(card)));
    } catch (error) {
      // A deployment without a key for webhook secrets does not offer webhooks at all.
      if (error instanceof ApiError && error.status === 404) {
        form.hidden = true;
        list.replaceChildren(emptyState('Webhooks are not available on this deployment.'));
        return;
      }
      reportError(ctx, error, errors);
    } finally {
      list.setAttribute('aria-busy', 'false');
    }
  }

  function card(hook: Webhook): HTMLElement {
    const titleId = uniqueId('webhook');
    const result = h('p', { class: 'result' });
    result.hidden = true;
    const deliveries = h('div', {});
    const deliveriesId = uniqueId('deliveries');
    deliveries.id = deliveriesId;
    deliveries.hidden = true;

    const ping = button('Send test event');
    ping.addEventListener('click', () => void busy(ping, async () => {
      try {
        const outcome = await ctx.api.pingWebhook(hook.id);
        const text = outcome.delivered
          ? `Test event delivered${outcome.statusCode ? ` (HTTP ${outcome.statusCode})` : ''}.`
          : `Test event not delivered: ${outcome.error ?? 'unknown error'}${outcome.statusCode ? ` (HTTP ${outcome.statusCode})` : ''}.`;
        result.textContent = text;
        result.className = `result ${outcome.delivered ? 'result-good' : 'result-bad'}`;
        result.hidden = false;
        ctx.announce(text);
        await showLast();
        if (!deliveries.hidden) await showDeliveries();
      } catch (error) {
        reportError(ctx, error, errors);
      }
    }));

    const last = h('dd', {}, 'checking…');
    const showLast = async (): Promise<void> => {
      const { deliveries: [newest] } = await ctx.api.listDeliveries(hook.id, 1);
      last.replaceChildren(...(newest ? deliveryText(newest) : ['none yet']));
    };
    void showLast().catch(() => last.replaceChildren(time(status?.lastDeliveryAt, 'none yet')));

    const toggle = button('Show deliveries');
    toggle.setAttribute('aria-expanded', 'false');
    toggle.setAttribute('aria-controls', deliveriesId);
    const showDeliveries = async (): Promise<void> => {
      const { deliveries: rows } = await ctx.api.listDeliveries(hook.id);
      deliveries.replaceChildren(rows.length === 0 ? emptyState('No deliveries yet.') : table(`Recent deliveries to ${hook.url}`, ['When', 'Event', 'Attempt', 'Result', 'Time'], rows.map((d) => [
        time(d.at),
        d.eventType === 'ping' ? 'Test event' : h('span', {}, EVENT_LABELS[d.eventType] ?? d.eventType, ' ', h('code', { class: 'event-type' }, d.eventType)),
        String(d.attempt),
        h('span', {}, badge(d.status, d.status === 'delivered' ? 'good' : 'bad'), d.statusCode ? ` HTTP ${d.statusCode}` : '', d.error ? ` ${d.error}` : ''),
        d.durationMs === undefined ? '—' : `${d.durationMs} ms`,
      ]), { captionHidden: true }));
    };
    toggle.addEventListener('click', () => void busy(toggle, async () => {
      if (!deliveries.hidden) {
        deliveries.hidden = true;
        toggle.textContent = 'Show deliveries';
        toggle.setAttribute('aria-expanded', 'false');
        return;
      }
      try {
        await showDeliveries();
        deliveries.hidden = false;
        toggle.textContent = 'Hide deliveries';
        toggle.setAttribute('aria-expanded', 'true');
      } catch (error) {
        reportError(ctx, error, errors);
      }
    }));

    const remove = button('Delete', { variant: 'danger' });
    remove.addEventListener('click', () => void (async () => {
      const ok = await confirmDialog({
        title: 'Delete this webhook?',
        body: [h('p', {}, 'Events stop being sent to ', h('strong', { class: 'break' }, hook.url), ' at once. Its signing secret is deleted with it.')],
        confirmLabel: 'Delete webhook',
        danger: true,
      });
      if (!ok) return;
      await busy(remove, async () => {
        try {
          await ctx.api.deleteWebhook(hook.id);
          ctx.announce('Webhook deleted.');
          await load();
          heading.focus();
        } catch (error) {
          reportError(ctx, error, errors);
        }
      });
    })());
    for (const b of [ping, toggle, remove]) b.setAttribute('aria-describedby', titleId);

    const status = hook.status;
    const failing = (status?.attempts ?? 0) > 0 || status?.failingSince !== undefined;
    return h(
      'li',
      { class: 'card-item' },
      h('h4', { id: titleId, class: 'break' }, hook.url),
      h(
        'dl',
        { class: 'facts' },
        h('div', {}, h('dt', {}, 'Status'), h('dd', {}, failing
          ? h('span', {}, badge('failing', 'bad'), status?.failingSince ? h('span', {}, ' since ', time(status.failingSince)) : null, status?.nextAttemptAt ? h('span', {}, '; next attempt ', time(status.nextAttemptAt)) : null)
          : badge('healthy', 'good'))),
        h('div', {}, h('dt', {}, 'Events'), h('dd', {}, (hook.events as readonly string[]).includes('*') ? 'All events' : (hook.events as readonly EventType[]).map((t) => EVENT_LABELS[t] ?? t).join(', '))),
        h('div', {}, h('dt', {}, 'Last delivery'), last),
        h('div', {}, h('dt', {}, 'Added'), h('dd', {}, time(hook.createdAt))),
      ),
      h('div', { class: 'actions' }, ping, toggle, remove),
      result,
      deliveries,
    );
  }

  const element = h(
    'section',
    { class: 'panel', id: 'panel-webhooks', 'aria-labelledby': 'webhooks-title' },
    heading,
    h('p', { class: 'lead' }, 'Webhooks tell your systems what happens to messages and settings, as signed HTTPS requests.'),
    errors.element,
    form,
    reveal,
    h('h3', {}, 'Your webhooks'),
    list,
  );
  return { element, heading, show: load };
}
