/**
 * The Message Center inbox page: email → code → the list of messages → open one (the pickup page,
 * with the recipient's secret in the fragment, opens it at once and shows the way back, the
 * previous and next message and sign-out) → back here, where the list shows what was read and
 * answered → sign out.
 *
 * Each row names the sender's label (stored in the clear, so a recipient can tell messages apart;
 * the subject is sealed and the server never knew it), the attachments where known, and whether the
 * message was read or answered. The session is an HttpOnly cookie this script cannot read. Server
 * data reaches the DOM only as text (lib/dom.ts `h`). The secret the server unwraps for "Open" goes
 * straight into the pickup page's fragment, which that page removes from the address bar and
 * history at once: it is never kept here. What the pickup page learns of this list (its order, for
 * next/previous) is ids only (lib/inbox-context.ts).
 */
import { formatBytes, h } from './lib/dom.ts';
import {
  listMessages, openInboxMessage, pickupUrl, requestCode, signOutOfInbox, tenantIdOf, verifyCode, type Failure, type InboxMessage,
} from './lib/inbox-api.ts';
import { handOver, takeLastOpened, takeSignedOut } from './lib/inbox-context.ts';

type View = 'loading' | 'email' | 'code' | 'list' | 'incomplete' | 'error';
const VIEWS: readonly View[] = ['loading', 'email', 'code', 'list', 'incomplete', 'error'];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const TEXT = {
  signedOut: 'Sign in with your email address.',
  sent: 'If this address has messages here, a code is on its way.',
  wrong: 'That code is not right, or it has expired. Check the newest email, or ask for a new code.',
  unlocked: 'You can sign in again now: ask for a new code.',
  badEmail: 'Enter an email address, like name@example.com.',
  badCode: 'Enter the 6 digits from the email.',
  unavailable: 'This message is no longer available. It may have expired or been withdrawn.',
  transient: 'We could not reach your inbox right now. Please try again in a moment.',
  offline: 'We could not reach the server. Check your connection and try again.',
  opening: 'Opening the message…',
} as const;

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`inbox.html lacks #${id}`);
  return element as T;
}

/**
 * "Dec 20, 2026, 10:33 AM UTC": in the recipient's own time zone, named, since the notification
 * email gives the same expiry in UTC and the two must be comparable at a glance.
 */
/** A time of day in the recipient's own time zone, named ("6:14 AM UTC"), as the pickup page's lock says it. */
const timeOfDay = (at: Date): string => new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit', timeZoneName: 'short' }).format(at);

const dateFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });
const formatDate = (iso: string): string => {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : dateFormat.format(date);
};

/** "2 attachments, 1.2 MB" (none when there are none, or nobody counted them). */
const attachmentsText = (message: InboxMessage): string | undefined => {
  const files = message.attachments;
  if (!files || files.count === 0) return undefined;
  return `${files.count} attachment${files.count === 1 ? '' : 's'}, ${formatBytes(files.bytes)}`;
};

function start(): void {
  const tenantId = tenantIdOf(document, location.pathname);
  const status = byId('status');
  const signOutButton = byId<HTMLButtonElement>('sign-out');
  let address = '';
  let retry: () => void = () => undefined;

  const show = (view: View, text: string, focus: boolean): void => {
    for (const name of VIEWS) byId(`view-${name}`).hidden = name !== view;
    signOutButton.hidden = view !== 'list';
    status.textContent = text;
    if (focus) document.querySelector<HTMLElement>(`#view-${view} [tabindex="-1"]`)?.focus();
  };

  const fieldError = (id: string, text: string | null): void => {
    const error = byId(`${id}-error`);
    const input = byId<HTMLInputElement>(id);
    error.hidden = text === null;
    error.textContent = text ?? '';
    if (text === null) input.removeAttribute('aria-invalid');
    else {
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      status.textContent = text;
    }
  };

  const fail = (result: Failure, again: () => void): void => {
    byId('error-text').textContent = result.status === 0 ? TEXT.offline : TEXT.transient;
    const reference = byId('error-reference');
    reference.hidden = result.requestId === undefined;
    reference.textContent = result.requestId === undefined ? '' : `Reference: ${result.requestId}`;
    retry = again;
    show('error', result.status === 0 ? TEXT.offline : TEXT.transient, true);
  };

  if (tenantId === null) {
    show('incomplete', 'This address is incomplete.', false);
    return;
  }

  const busy = (button: HTMLButtonElement, on: boolean): void => {
    button.disabled = on;
    button.setAttribute('aria-busy', String(on));
  };

  let listed: InboxMessage[] = [];
  const renderItem = (message: InboxMessage): HTMLLIElement => {
    const title = message.label ?? `Secure message from ${message.sender}`;
    const files = attachmentsText(message);
    const open = h('button', { type: 'button', class: 'button button-small', 'data-id': message.id }, 'Open');
    const received = `received ${formatDate(message.createdAt)}`;
    open.setAttribute('aria-label', message.label === undefined
      ? `Open the message from ${message.sender}, ${received}`
      : `Open “${message.label}” from ${message.sender}, ${received}`);
    open.addEventListener('click', () => void openMessage(message, open));
    const badges = h('span', { class: 'badges' },
      h('span', { class: message.read ? 'badge' : 'badge badge-new' }, message.read ? 'Read' : 'Unread'),
      message.replied ? h('span', { class: 'badge badge-replied' }, 'Replied') : null);
    return h('li', { class: message.read ? 'item' : 'item item-unread' },
      h('div', { class: 'item-main' },
        h('p', { class: message.label === undefined ? 'item-title item-title-plain' : 'item-title' }, title, ' ', badges),
        // A date or a size wraps as a whole ("16 bytes", not "16" then "bytes"), never inside itself.
        h('p', { class: 'item-meta' },
          message.label === undefined ? null : `${message.sender} · `,
          'Received ', h('time', { class: 'meta-piece', datetime: message.createdAt }, formatDate(message.createdAt)),
          files ? ' · ' : null, files ? h('span', { class: 'meta-piece' }, files) : null),
        h('p', { class: 'item-meta' }, 'Available until ', h('time', { class: 'meta-piece', datetime: message.expiresAt }, formatDate(message.expiresAt)))),
      open);
  };

  const loadList = async (focus: boolean): Promise<void> => {
    show('loading', 'Loading your messages…', false);
    const result = await listMessages(tenantId);
    if (result.kind === 'signed-out') return show('email', TEXT.signedOut, focus);
    if (result.kind === 'error') return fail(result, () => void loadList(true));
    listed = result.messages;
    byId('list').replaceChildren(...listed.map(renderItem));
    byId('list-empty').hidden = listed.length > 0;
    const count = `${listed.length} ${listed.length === 1 ? 'message' : 'messages'}.`;
    // Back from a message: its row (now read, perhaps replied) gets the focus, where the recipient left off.
    const last = takeLastOpened();
    const row = last === undefined ? null : byId('list').querySelector<HTMLButtonElement>(`button[data-id="${last}"]`);
    show('list', row ? `Back to your messages. ${count}` : count, focus && !row);
    row?.focus();
  };

  const openMessage = async (message: InboxMessage, button: HTMLButtonElement): Promise<void> => {
    busy(button, true);
    status.textContent = TEXT.opening;
    const result = await openInboxMessage(tenantId, message.id);
    busy(button, false);
    if (result.kind === 'signed-out') return show('email', TEXT.signedOut, true);
    if (result.kind === 'unavailable') {
      status.textContent = TEXT.unavailable;
      return loadList(true);
    }
    if (result.kind === 'error') return fail(result, () => void loadList(true));
    // assign(): Back from the message returns to this list. The pickup page removes the fragment
    // (the secret) from the address bar and its history entry before anything else runs.
    handOver({ tenantId, home: location.pathname, ids: listed.map((m) => m.id) }, message.id);
    location.assign(pickupUrl(message.id, result.secret, result.grant));
  };

  byId<HTMLFormElement>('email-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = byId<HTMLInputElement>('email');
    const email = input.value.trim();
    if (!EMAIL.test(email)) return fieldError('email', TEXT.badEmail);
    fieldError('email', null);
    const button = byId<HTMLButtonElement>('email-button');
    busy(button, true);
    void requestCode(tenantId, email).then((result) => {
      busy(button, false);
      if (result.kind === 'error' && result.status !== 422) return fail(result, () => show('email', TEXT.signedOut, true));
      if (result.kind === 'error') return fieldError('email', TEXT.badEmail);
      address = email;
      byId('code-address').textContent = email;
      byId('signed-out').hidden = true;
      byId<HTMLInputElement>('code').value = '';
      fieldError('code', null);
      show('code', TEXT.sent, true);
      if (lock?.address === email) return showLock(lock.text);
      codeControls(true);
      byId<HTMLInputElement>('code').focus();
    });
  });

  /**
   * Too many wrong codes for an address: the code field and its button are off until the lock ends
   * (Retry-After), and the page says until when, in the recipient's time zone; another address is
   * not locked. The way on ("Use another address or send a new code") keeps the focus.
   */
  let lock: { readonly address: string; readonly text: string } | undefined;
  const codeControls = (on: boolean): void => {
    byId<HTMLInputElement>('code').disabled = !on;
    byId<HTMLButtonElement>('code-button').disabled = !on;
  };
  const showLock = (text: string): void => {
    const error = byId('code-error');
    error.hidden = false;
    error.textContent = text;
    status.textContent = text;
    codeControls(false);
    byId('code-back').focus();
  };
  const locked = (seconds = 15 * 60): void => {
    const minutes = Math.max(1, Math.ceil(seconds / 60));
    const current = {
      address,
      text: `Too many wrong codes. For your security, signing in is paused until ${timeOfDay(new Date(Date.now() + seconds * 1000))} (about ${minutes} minute${minutes === 1 ? '' : 's'}); then ask for a new code.`,
    };
    lock = current;
    showLock(current.text);
    setTimeout(() => {
      if (lock !== current) return;
      lock = undefined;
      codeControls(true);
      if (address !== current.address) return;
      byId('code-error').textContent = TEXT.unlocked;
      status.textContent = TEXT.unlocked;
    }, seconds * 1000);
  };

  byId<HTMLFormElement>('code-form').addEventListener('submit', (event) => {
    event.preventDefault();
    if (lock?.address === address) return;
    const code = byId<HTMLInputElement>('code').value.replace(/\s+/g, '');
    if (!/^\d{6}$/.test(code)) return fieldError('code', TEXT.badCode);
    const button = byId<HTMLButtonElement>('code-button');
    busy(button, true);
    void verifyCode(tenantId, address, code).then((result) => {
      busy(button, false);
      if (result.kind === 'wrong') return fieldError('code', TEXT.wrong);
      if (result.kind === 'locked') return locked(result.retryAfter);
      if (result.kind === 'error') return fail(result, () => show('code', '', true));
      byId<HTMLInputElement>('code').value = '';
      return loadList(true);
    });
  });

  byId('code-back').addEventListener('click', () => show('email', TEXT.signedOut, true));
  byId('retry-button').addEventListener('click', () => retry());
  signOutButton.addEventListener('click', () => {
    busy(signOutButton, true);
    void signOutOfInbox(tenantId).then(() => {
      busy(signOutButton, false);
      byId('list').replaceChildren();
      byId('signed-out').hidden = false;
      show('email', 'You are signed out.', true);
    });
  });

  // Back from a message may restore this page as it was: list again, so read and replied are current.
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) void loadList(false);
  });
  if (takeSignedOut()) {
    show('email', 'You are signed out.', false);
    byId('signed-out').hidden = false;
    return;
  }
  void loadList(false);
}

start();
