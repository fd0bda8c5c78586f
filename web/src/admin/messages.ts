/**
 * Messages: the most recent first, a page at a time; one message's recipients and its full event
 * history; revoke. Recipient addresses and event details are untrusted text and stay text.
 */
import { h } from '../lib/dom.ts';
import type { MessageDetail, MessageSummary, RecipientStatus } from '../lib/admin-api.ts';
import { badge, busy, button, type ConsoleContext, confirmDialog, emptyState, errorBox, reportError, type Section, sectionHeading, table, time } from './ui.ts';

const STATE_TONE = { active: 'good', expired: 'neutral', revoked: 'bad' } as const;

function stateBadge(state: MessageSummary['state']): HTMLElement {
  return badge(state, STATE_TONE[state] ?? 'neutral');
}

function recipientLine(r: RecipientStatus): HTMLElement {
  const tone = r.status === 'failed' || r.status === 'bounced' || r.status === 'complained' ? 'bad' : r.opens > 0 ? 'good' : 'neutral';
  return h('li', {}, h('span', { class: 'break' }, r.email), ' ', badge(r.opens > 0 ? `opened ×${r.opens}` : r.status, tone));
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
  let cursor: string | undefined;
  let loaded: MessageSummary[] = [];
  /** The message whose details are shown: focus returns to its row's button on the way back. */
  let openedId: string | undefined;

  listView.append(h('p', { class: 'lead' }, 'The most recent messages your organisation sent, with what happened to each. Message contents are never visible here.'), rows, h('div', { class: 'actions' }, more));

  more.addEventListener('click', () => void busy(more, () => loadPage(false)));

  async function loadPage(reset: boolean): Promise<void> {
    rows.setAttribute('aria-busy', 'true');
    try {
      const page = await ctx.api.listMessages(reset ? undefined : cursor);
      loaded = reset ? page.messages : [...loaded, ...page.messages];
      cursor = page.cursor;
      more.hidden = cursor === undefined;
      rows.replaceChildren(loaded.length === 0 ? emptyState('No messages yet.') : renderList(loaded));
      if (!reset) ctx.announce(`${page.messages.length} more messages loaded.`);
    } catch (error) {
      reportError(ctx, error, errors);
    } finally {
      rows.setAttribute('aria-busy', 'false');
    }
  }

  function renderList(messages: readonly MessageSummary[]): HTMLElement {
    return table('Recent messages', ['Message', 'Status', 'Recipients', 'Sent', 'Expires'], messages.map((m) => {
      const open = button(m.id, { variant: 'link' });
      open.setAttribute('aria-label', `Details of message ${m.id}`);
      open.dataset.messageId = m.id;
      open.addEventListener('click', () => {
        openedId = m.id;
        void showDetail(m.id);
      });
      return [open, stateBadge(m.state), h('ul', { class: 'plain' }, ...m.recipients.map(recipientLine)), time(m.createdAt), time(m.state === 'revoked' ? m.revokedAt : m.expiresAt)];
    }), { captionHidden: true });
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
    // The list may have been re-rendered meanwhile (after a revocation): find the row again.
    const opener = [...rows.querySelectorAll<HTMLButtonElement>('button[data-message-id]')].find((b) => b.dataset.messageId === openedId);
    (opener ?? heading).focus();
  }

  function renderDetail(m: MessageDetail): HTMLElement {
    const back = button('← All messages', { variant: 'link', onClick: backToList });
    const revoke = m.state === 'active' ? button('Revoke message', { variant: 'danger' }) : null;
    revoke?.addEventListener('click', () => void (async () => {
      const ok = await confirmDialog({
        title: 'Revoke this message?',
        body: [
          'Nobody will be able to open it any more, even with the link. Recipients who already opened it may have kept a copy.',
          h('p', {}, 'Message ', h('code', {}, m.id)),
        ],
        confirmLabel: 'Revoke message',
        danger: true,
      });
      if (!ok) return;
      await busy(revoke, async () => {
        try {
          await ctx.api.revokeMessage(m.id);
          ctx.announce(`Message ${m.id} revoked.`);
          await showDetail(m.id);
          void loadPage(true);
        } catch (error) {
          reportError(ctx, error, errors);
        }
      });
    })());

    const events = [...m.events].sort((a, b) => a.at.localeCompare(b.at));
    return h(
      'article',
      { class: 'detail', 'aria-labelledby': 'message-detail-title' },
      h('p', {}, back),
      h('h3', { id: 'message-detail-title', tabindex: '-1' }, 'Message ', h('code', {}, m.id)),
      h(
        'dl',
        { class: 'facts' },
        h('div', {}, h('dt', {}, 'Status'), h('dd', {}, stateBadge(m.state))),
        h('div', {}, h('dt', {}, 'Sent'), h('dd', {}, time(m.createdAt))),
        h('div', {}, h('dt', {}, m.state === 'revoked' ? 'Revoked' : 'Expires'), h('dd', {}, time(m.state === 'revoked' ? m.revokedAt : m.expiresAt))),
        m.maxViews !== undefined ? h('div', {}, h('dt', {}, 'Opens allowed'), h('dd', {}, String(m.maxViews))) : null,
      ),
      revoke ? h('div', { class: 'actions' }, revoke) : null,
      h('h4', {}, 'Recipients'),
      table(`Recipients of message ${m.id}`, ['Recipient', 'Kind', 'Status', 'Opens', 'First opened'], m.recipients.map((r) => [
        h('span', { class: 'break' }, r.email),
        r.kind,
        h('span', {}, r.status, r.reason ? h('span', { class: 'sub' }, r.reason) : null),
        String(r.opens),
        time(r.firstOpenedAt, 'not yet'),
      ]), { captionHidden: true }),
      h('h4', {}, 'Events'),
      events.length === 0
        ? emptyState('No events recorded.')
        : table(`Events of message ${m.id}`, ['When', 'Event', 'Recipient', 'By', 'Details'], events.map((e) => [
          time(e.at),
          badge(e.type, e.type === 'revoked' || e.type === 'bounced' || e.type === 'complained' || e.type === 'notify_failed' ? 'bad' : 'neutral'),
          e.recipient ? h('span', { class: 'break' }, e.recipient) : '—',
          e.actor,
          h('span', { class: 'break' }, [e.detail, e.sourceIp].filter(Boolean).join(' · ') || '—'),
        ]), { captionHidden: true, className: 'events' }),
    );
  }

  const element = h('section', { class: 'panel', id: 'panel-messages', 'aria-labelledby': 'messages-title' }, heading, errors.element, listView, detailView);
  return {
    element,
    heading,
    async show() {
      if (!detailView.hidden) backToList();
      await loadPage(true);
    },
  };
}
