/**
 * Messages: the most recent first, a page at a time, filtered by recipient and status; one
 * message's recipients and history; changing its expiry, a recovery link (Message Center) and
 * revoking, each behind a dialog that says what it does and who is told. Recipient addresses, labels
 * and event details are untrusted text and stay text.
 */
import { formatBytes, h } from '../lib/dom.ts';
import { ApiError, type MessageDetail, type MessageSummary, type RecipientStatus } from '../lib/admin-api.ts';
import { field } from './form.ts';
import {
  badge, busy, button, type ConsoleContext, confirmDialog, copyButton, emptyState, errorBox, formatTime, reportError, type Section, sectionHeading, secretPanel,
  time, uniqueId,
} from './ui.ts';
import { addressesText, historyList } from './wording.ts';

const STATE_TONE = { active: 'good', expired: 'neutral', revoked: 'bad' } as const;
const STATE_WORDS = { active: 'Active', expired: 'Expired', revoked: 'Revoked' } as const;
const FAILED = new Set(['failed', 'bounced', 'complained']);
const DAY_MS = 86_400_000;

function stateBadge(state: MessageSummary['state']): HTMLElement {
  return badge(STATE_WORDS[state] ?? state, STATE_TONE[state] ?? 'neutral');
}

/**
 * A sender-set label, once the API has one: shown as the sender wrote it (it is stored in the
 * clear, unlike the subject, which only recipients can read).
 */
function labelOf(m: MessageSummary): string | undefined {
  const label = (m as MessageSummary & { label?: unknown }).label;
  return typeof label === 'string' && label !== '' ? label : undefined;
}

function recipientsText(recipients: readonly RecipientStatus[]): string {
  return addressesText(recipients.map((r) => r.email)) || 'No recipients left on record';
}

/** What protects or extends the message, as badges: its custody, verification, passcode, limits, replies. */
function flags(m: MessageSummary): HTMLElement[] {
  const out: HTMLElement[] = [];
  if (m.custody === 'message-center') out.push(badge('Message Center', 'info'));
  if (m.verification === 'email-code') out.push(badge('Email code', 'info'));
  if (m.passcode) out.push(badge('Passcode', 'info'));
  if (m.maxViews !== undefined) out.push(badge(m.maxViews === 1 ? 'Opens once' : `${m.maxViews} views each`, 'neutral'));
  if (m.inReplyTo) out.push(badge('Secure reply', 'neutral'));
  if (m.replies && m.replies.length > 0) out.push(badge(m.replies.length === 1 ? '1 reply' : `${m.replies.length} replies`, 'good'));
  return out;
}

/** How the recipients got on: opened by how many, and any notification that failed. */
function progress(m: MessageSummary): HTMLElement {
  const opened = m.recipients.filter((r) => r.opens > 0).length;
  const failed = m.recipients.filter((r) => FAILED.has(r.status)).length;
  const total = m.recipients.length;
  return h(
    'span',
    { class: 'progress' },
    total === 0 ? '' : opened === 0 ? 'Not opened yet' : total === 1 ? 'Opened' : `Opened by ${opened} of ${total}`,
    failed > 0 ? badge(failed === 1 ? '1 notification failed' : `${failed} notifications failed`, 'bad') : null,
  );
}

export function messagesSection(ctx: ConsoleContext): Section {
  const heading = sectionHeading('h2', 'Messages', 'messages-title');
  const errors = errorBox();
  const listView = h('div', {});
  const rows = h('div', { 'aria-busy': 'false' });
  const more = button('Load more messages');
  more.hidden = true;
  const detailView = h('div', {});
  detailView.hidden = true;
  const search = h('input', { type: 'search', autocomplete: 'off', spellcheck: 'false', placeholder: 'e.g. alice@example.com' });
  const stateFilter = h('select', {}, ...[['all', 'All'], ['active', 'Active'], ['expired', 'Expired'], ['revoked', 'Revoked']].map(([value, text]) => h('option', { value: value as string }, text)));
  const shown = h('p', { class: 'filter-status', role: 'status' });
  let cursor: string | undefined;
  let loaded: MessageSummary[] = [];
  /** The message whose details are shown: focus returns to its row's button on the way back. */
  let openedId: string | undefined;

  listView.append(
    h('p', { class: 'lead' }, 'The most recent messages your organisation sent, with what happened to each. Message contents are never visible here.'),
    h(
      'div',
      { class: 'filters', role: 'search', 'aria-label': 'Filter messages' },
      field({ label: 'Recipient', control: search, hint: 'Part of an address; searches the messages loaded below.' }).element,
      field({ label: 'Status', control: stateFilter }).element,
    ),
    shown,
    rows,
    h('div', { class: 'actions' }, more),
  );

  more.addEventListener('click', () => void busy(more, () => loadPage(false)));
  search.addEventListener('input', () => render());
  stateFilter.addEventListener('change', () => render());

  async function loadPage(reset: boolean): Promise<void> {
    rows.setAttribute('aria-busy', 'true');
    try {
      const page = await ctx.api.listMessages(reset ? undefined : cursor);
      loaded = reset ? page.messages : [...loaded, ...page.messages];
      cursor = page.cursor;
      more.hidden = cursor === undefined;
      render();
      if (!reset) ctx.announce(`${page.messages.length} more messages loaded.`);
    } catch (error) {
      reportError(ctx, error, errors);
    } finally {
      rows.setAttribute('aria-busy', 'false');
    }
  }

  function render(): void {
    const needle = search.value.trim().toLowerCase();
    const state = stateFilter.value;
    const filtering = needle !== '' || state !== 'all';
    const matching = loaded.filter((m) => (state === 'all' || m.state === state) && (needle === '' || m.recipients.some((r) => r.email.toLowerCase().includes(needle))));
    shown.textContent = filtering ? `${matching.length} of ${loaded.length} loaded messages match.${cursor !== undefined ? ' Load more to search older ones.' : ''}` : '';
    if (loaded.length === 0) rows.replaceChildren(emptyState('No messages yet. Messages your applications send with a send key appear here.'));
    else if (matching.length === 0) rows.replaceChildren(emptyState('No loaded message matches the filter.'));
    else rows.replaceChildren(h('ul', { class: 'message-list', 'aria-label': 'Messages' }, ...matching.map(row)));
  }

  function row(m: MessageSummary): HTMLElement {
    const metaId = uniqueId('message-meta');
    const open = button(recipientsText(m.recipients), { variant: 'link' });
    open.setAttribute('aria-describedby', metaId);
    open.dataset.messageId = m.id;
    open.addEventListener('click', () => {
      openedId = m.id;
      void showDetail(m.id);
    });
    const label = labelOf(m);
    const ends = m.state === 'revoked' ? ['Revoked ', time(m.revokedAt)] : [m.state === 'expired' ? 'Expired ' : 'Expires ', time(m.expiresAt)];
    return h(
      'li',
      { class: 'message-row', 'data-message-id': m.id },
      h(
        'div',
        { class: 'message-main' },
        h('p', { class: 'message-recipients' }, open),
        label ? h('p', { class: 'message-label' }, h('span', { class: 'visually-hidden' }, 'Label: '), label) : null,
        h('p', { class: 'message-meta', id: metaId }, 'Sent ', time(m.createdAt), ' · ', ...ends, m.sizeBytes !== undefined ? ` · ${formatBytes(m.sizeBytes)}` : '', h('span', { class: 'visually-hidden' }, ` · message ${m.id}`)),
        h('p', { class: 'message-flags' }, stateBadge(m.state), ...flags(m)),
      ),
      h(
        'div',
        { class: 'message-side' },
        progress(m),
        h('p', { class: 'message-id' }, h('code', {}, m.id), copyButton(() => m.id, `Copy message id ${m.id}`, ctx.announce)),
      ),
    );
  }

  async function showDetail(id: string): Promise<void> {
    errors.clear();
    try {
      const message = await ctx.api.getMessage(id);
      detailView.replaceChildren(renderDetail(message));
      listView.hidden = true;
      detailView.hidden = false;
      detailView.querySelector<HTMLElement>('h3')?.focus();
    } catch (error) {
      reportError(ctx, error, errors);
    }
  }

  function backToList(): void {
    detailView.hidden = true;
    detailView.replaceChildren();
    listView.hidden = false;
    // The list may have been re-rendered meanwhile (after a change): find the row again.
    const opener = [...rows.querySelectorAll<HTMLButtonElement>('button[data-message-id]')].find((b) => b.dataset.messageId === openedId);
    (opener ?? heading).focus();
  }

  /** After a change: the detail again (focus on its heading) and the list behind it. */
  async function changed(m: MessageDetail, said: string): Promise<void> {
    ctx.announce(said);
    await showDetail(m.id);
    void loadPage(true);
  }

  function problemOf(error: unknown): string | undefined {
    if (error instanceof ApiError && error.status !== 401) return error.detail;
    reportError(ctx, error, errors);
    return undefined;
  }

  function changeExpiry(m: MessageDetail): void {
    const settings = ctx.settings();
    const created = new Date(m.createdAt).getTime();
    const latest = created + settings.maxExpiryDays * DAY_MS;
    const maxDays = Math.max(1, Math.floor((latest - Date.now()) / DAY_MS));
    const days = h('input', { type: 'number', min: '1', max: String(maxDays), step: '1', inputmode: 'numeric' });
    days.value = String(Math.min(maxDays, settings.defaultExpiryDays));
    const preview = h('p', { class: 'preview', role: 'status' });
    const update = (): void => {
      const n = Number(days.value);
      preview.replaceChildren(...(Number.isInteger(n) && n >= 1 ? ['It will then expire on ', time(new Date(Date.now() + n * DAY_MS).toISOString()), '.'] : ['Enter a whole number of days.']));
    };
    days.addEventListener('input', update);
    update();
    void confirmDialog({
      title: 'Change when this message expires',
      body: [
        h('p', {}, 'It expires ', time(m.expiresAt), ' now. Recipients can open it until its new expiry; then its links stop working and its encrypted content is deleted.'),
        field({ label: 'New expiry, in days from now', control: days, hint: `At most ${maxDays} (your organisation allows ${settings.maxExpiryDays} days from when it was sent).` }).element,
        preview,
        h('p', { class: 'who-is-told' }, h('strong', {}, 'Who is told: '), 'nobody is emailed — recipients keep the link they have. The change is recorded in the message\'s history and sent to webhooks that subscribe to “Expiry changed”.'),
      ],
      confirmLabel: 'Change expiry',
      onConfirm: async () => {
        const n = Number(days.value);
        if (!Number.isInteger(n) || n < 1 || n > maxDays) return `Enter a whole number of days from 1 to ${maxDays}.`;
        try {
          const updated = await ctx.api.changeExpiry(m.id, n);
          void changed(updated, `Message ${m.id} now expires ${formatTime(updated.expiresAt)}.`);
          return undefined;
        } catch (error) {
          return problemOf(error) ?? '';
        }
      },
    });
  }

  function recover(m: MessageDetail, panelSlot: HTMLElement, historySlot: HTMLElement): void {
    void confirmDialog({
      title: 'Create a recovery link?',
      body: [
        'The link opens the whole message, once, for whoever has it, within 24 hours (or until the message expires). It needs no emailed code; a message with a passcode still needs the passcode.',
        h('p', { class: 'who-is-told' }, h('strong', {}, 'Who is told: '), 'nobody is emailed — not the recipients, not the sender. Creating the link and opening it are both recorded in the message\'s history as “Recovery link” and sent to webhooks that subscribe to it.'),
        'Hand the link over as carefully as the message itself. A message can have at most 5.',
      ],
      confirmLabel: 'Create recovery link',
      focusAfter: () => panelSlot.querySelector<HTMLElement>('h3'),
      onConfirm: async () => {
        try {
          const link = await ctx.api.recoverMessage(m.id);
          const panel = secretPanel({
            title: 'Recovery link',
            label: 'Recovery link',
            value: link.url,
            warning: `It opens the message once, until ${formatTime(link.expiresAt)}, and will not be shown again.`,
            announce: ctx.announce,
            onDone: () => detailView.querySelector<HTMLElement>('h3')?.focus(),
          });
          panelSlot.replaceChildren(panel);
          // The history now has the "recovered" event: show it without losing the panel.
          void ctx.api.getMessage(m.id).then((fresh) => historySlot.replaceChildren(history(fresh)), () => undefined);
          ctx.announce('Recovery link created. Copy it now: it will not be shown again.');
          return undefined;
        } catch (error) {
          return problemOf(error) ?? '';
        }
      },
    });
  }

  function revoke(m: MessageDetail): void {
    void confirmDialog({
      title: 'Revoke this message?',
      body: [
        'Nobody will be able to open it any more, even with the link: its encrypted content is deleted now. Recipients who already opened it may have kept a copy.',
        h('p', { class: 'who-is-told' }, h('strong', {}, 'Who is told: '), 'nobody is emailed; a recipient who opens the link is told the message is no longer available. The revocation is recorded in the message\'s history and sent to webhooks that subscribe to “Revoked”.'),
        h('p', {}, 'Message ', h('code', {}, m.id)),
      ],
      confirmLabel: 'Revoke message',
      danger: true,
      onConfirm: async () => {
        try {
          await ctx.api.revokeMessage(m.id);
          void changed(m, `Message ${m.id} revoked.`);
          return undefined;
        } catch (error) {
          return problemOf(error) ?? '';
        }
      },
    });
  }

  function renderDetail(m: MessageDetail): HTMLElement {
    const back = button('← All messages', { variant: 'link', onClick: backToList });
    const panelSlot = h('div', {});
    const active = m.state === 'active';
    const actions: HTMLButtonElement[] = [];
    if (active) {
      actions.push(button('Change expiry…', { onClick: () => changeExpiry(m) }));
      if (m.custody === 'message-center') actions.push(button('Recover…', { onClick: () => recover(m, panelSlot, historySlot) }));
      actions.push(button('Revoke message', { variant: 'danger', onClick: () => revoke(m) }));
    }
    const historySlot = h('div', {}, history(m));
    const fact = (term: string, ...value: (Node | string | null)[]) => h('div', {}, h('dt', {}, term), h('dd', {}, ...value));
    const protection = flags(m);
    const label = labelOf(m);
    return h(
      'article',
      { class: 'detail', 'aria-labelledby': 'message-detail-title' },
      h('p', {}, back),
      h('h3', { id: 'message-detail-title', tabindex: '-1' }, `Message to ${recipientsText(m.recipients)}`),
      label ? h('p', { class: 'message-label' }, 'Label: ', label) : null,
      h('p', { class: 'message-id' }, 'Id ', h('code', {}, m.id), copyButton(() => m.id, `Copy message id ${m.id}`, ctx.announce)),
      h(
        'dl',
        { class: 'facts' },
        fact('Status', stateBadge(m.state)),
        fact('Sent', time(m.createdAt)),
        m.state === 'revoked' ? fact('Revoked', time(m.revokedAt)) : fact(m.state === 'expired' ? 'Expired' : 'Expires', time(m.expiresAt)),
        m.sizeBytes !== undefined ? fact('Size (sealed)', formatBytes(m.sizeBytes)) : null,
        fact('Protection', ...(protection.length > 0 ? protection : ['The link alone'])),
        m.replyTo ? fact('Replies go to', h('span', { class: 'break' }, m.replyTo)) : null,
        m.inReplyTo ? fact('In reply to', h('code', {}, m.inReplyTo)) : null,
      ),
      actions.length > 0 ? h('div', { class: 'actions' }, ...actions) : null,
      active && m.custody !== 'message-center' ? h('p', { class: 'fineprint' }, 'No recovery: this message was sent in standard mode, so its key was never kept and nobody can recover it.') : null,
      panelSlot,
      h('h4', {}, 'Recipients'),
      m.recipients.length === 0
        ? emptyState('The message\'s record is gone (30 days after it ended); its history below remains.')
        : h('ul', { class: 'recipient-list' }, ...m.recipients.map((r) => h(
          'li',
          {},
          h('span', { class: 'break recipient-email' }, r.email), r.kind === 'cc' ? h('span', { class: 'sub-inline' }, ' (cc)') : null, ' ',
          badge(FAILED.has(r.status) ? `notification ${r.status}` : r.opens > 0 ? 'opened' : r.status === 'notified' ? 'notified' : r.status, FAILED.has(r.status) ? 'bad' : r.opens > 0 ? 'good' : 'neutral'),
          h('span', { class: 'sub' }, r.opens === 0
            ? (r.reason ?? 'Not opened yet')
            : [`Viewed ${r.opens === 1 ? 'once' : `${r.opens} times`}`, r.firstOpenedAt ? `first ${formatTime(r.firstOpenedAt)}` : '', r.opens > 1 && r.lastOpenedAt ? `last ${formatTime(r.lastOpenedAt)}` : ''].filter(Boolean).join(' · ')),
        ))),
      h('h4', {}, 'History, newest first'),
      historySlot,
    );
  }

  /** The message's events, newest first (the API lists them oldest first, in lifecycle order within a moment). */
  function history(m: MessageDetail): DocumentFragment {
    const fragment = document.createDocumentFragment();
    fragment.append(
      m.events.length === 0 ? emptyState('No events recorded.') : historyList([...m.events].reverse(), `History of message ${m.id}`, ctx.ownKeyId()),
      m.recipients.some((r) => r.opens > 1)
        ? h('p', { class: 'fineprint' }, 'Views and history: every view is counted, but the history records a recipient\'s first view and then at most one an hour (every view when the message has a view limit), so it can list fewer views than the count.')
        : '',
    );
    return fragment;
  }

  const element = h('section', { class: 'panel', id: 'panel-messages', 'aria-labelledby': 'messages-title' }, heading, errors.element, listView, detailView);
  return {
    element,
    heading,
    async show() {
      if (!detailView.hidden) backToList();
      await loadPage(true);
    },
    async open(id) {
      openedId = id;
      await showDetail(id);
    },
  };
}
