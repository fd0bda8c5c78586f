/**
 * Building blocks the console's sections share: error boxes, tables, dates, buttons, a
 * confirmation dialog and the "shown once" secret panel (form fields are in form.ts). Everything is
 * built with h(), so server data (tenant text, recipient addresses, URLs) only ever becomes text.
 */
import { h } from '../lib/dom.ts';
import { ApiError, type AdminApi, type Settings } from '../lib/admin-api.ts';

/** What every section gets from the console shell. */
export interface ConsoleContext {
  readonly api: AdminApi;
  /** The id of the key this console is signed in with (undefined if it could not be computed). */
  readonly currentKeyId: Promise<string | undefined>;
  /** The same, once known (undefined before): to say "you" in the history. */
  ownKeyId(): string | undefined;
  /** The organisation's settings as last read or saved (limits for the expiry dialog). */
  settings(): Settings;
  /** Puts a message in the page's aria-live region. */
  announce(message: string): void;
  /** Signs out and shows `message` on the sign-in screen. */
  signOut(message?: string): void;
}

/** A section of the console: its element, and what to do each time it is shown. */
export interface Section {
  readonly element: HTMLElement;
  readonly heading: HTMLElement;
  show(): Promise<void> | void;
  /** Opens one item of the section (a message, from the activity list). */
  open?(id: string): Promise<void>;
}

let uniqueCounter = 0;
export function uniqueId(prefix: string): string {
  uniqueCounter += 1;
  return `${prefix}-${uniqueCounter}`;
}

export const SESSION_ENDED =
  'You have been signed out: the server no longer accepts this admin key (it may have been revoked). Sign in again with a valid admin key.';

/** A visible error message for a form or a section; also announced. */
export interface ErrorBox {
  readonly element: HTMLElement;
  show(message: string, requestId?: string, extra?: readonly string[]): void;
  clear(): void;
}

export function errorBox(): ErrorBox {
  const element = h('div', { class: 'alert alert-error', role: 'alert' });
  element.hidden = true;
  return {
    element,
    show(message, requestId, extra = []) {
      element.replaceChildren(h('p', {}, message));
      if (extra.length > 0) element.append(h('ul', {}, ...extra.map((line) => h('li', {}, line))));
      if (requestId) element.append(h('p', { class: 'fineprint' }, `Reference: ${requestId}`));
      element.hidden = false;
    },
    clear() {
      element.replaceChildren();
      element.hidden = true;
    },
  };
}

/**
 * Reports a failed call: a rejected key ends the session (the console cannot do anything without
 * it); anything else is shown in `box` and announced.
 */
export function reportError(ctx: ConsoleContext, error: unknown, box: ErrorBox): void {
  if (error instanceof ApiError && error.status === 401) {
    ctx.signOut(SESSION_ENDED);
    return;
  }
  const message = error instanceof ApiError ? error.detail : 'Something went wrong in the console. Reload the page and try again.';
  box.show(message, error instanceof ApiError ? error.requestId : undefined);
  ctx.announce(message);
}

/**
 * The reader's locale and time zone, named: the emails sealpost sends say UTC, and an administrator
 * who passes on an expiry or a recovery link's deadline must be able to tell which time it is.
 */
const dateFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });

/** A time as the console writes it everywhere ("6 Dec 2026, 08:37 CET" in the reader's locale), or `fallback`. */
export function formatTime(iso: string | null | undefined, fallback = '—'): string {
  const date = iso ? new Date(iso) : undefined;
  return date && !Number.isNaN(date.getTime()) ? dateFormat.format(date) : fallback;
}

/** A <time> in the reader's locale, with the exact ISO time as its machine value and tooltip. */
export function time(iso: string | null | undefined, fallback = '—'): Node {
  if (!iso) return document.createTextNode(fallback);
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return document.createTextNode(iso);
  return h('time', { datetime: date.toISOString(), title: date.toISOString() }, dateFormat.format(date));
}

type Cell = Node | string | null | undefined;

/**
 * A captioned table in a scroll container that keyboard users can scroll (focusable region), so
 * wide tables never widen the page on a phone.
 */
export function table(caption: string, headers: readonly string[], rows: readonly (readonly Cell[])[], options: { captionHidden?: boolean; className?: string } = {}): HTMLElement {
  const captionId = uniqueId('caption');
  const captionElement = h('caption', { id: captionId, class: options.captionHidden ? 'visually-hidden' : '' }, caption);
  const head = h('thead', {}, h('tr', {}, ...headers.map((text) => h('th', { scope: 'col' }, text))));
  // On a phone each row becomes a small card; data-label gives each cell its column's name there.
  const body = h('tbody', {}, ...rows.map((row) => h('tr', {}, ...row.map((cell, i) => h('td', { 'data-label': headers[i] ?? '' }, cell ?? '')))));
  return h(
    'div',
    { class: 'table-wrap', role: 'region', 'aria-labelledby': captionId, tabindex: '0' },
    h('table', { class: `stack ${options.className ?? ''}`.trim() }, captionElement, head, body),
  );
}

/** A small coloured label for a status word. */
export function badge(text: string, tone: 'neutral' | 'good' | 'warn' | 'bad' | 'info' = 'neutral'): HTMLElement {
  return h('span', { class: `badge badge-${tone}` }, text);
}

export function button(label: string, options: { variant?: 'primary' | 'secondary' | 'danger' | 'link'; type?: 'button' | 'submit'; onClick?: (event: MouseEvent) => void } = {}): HTMLButtonElement {
  const element = h('button', { type: options.type ?? 'button', class: `btn btn-${options.variant ?? 'secondary'}` }, label);
  if (options.onClick) element.addEventListener('click', options.onClick);
  return element;
}

/** Disables `control` while `work` runs, and marks it busy for assistive technology. */
export async function busy<T>(control: HTMLButtonElement, work: () => Promise<T>): Promise<T> {
  control.disabled = true;
  control.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    control.disabled = false;
    control.removeAttribute('aria-busy');
  }
}

export interface DialogOptions {
  readonly title: string;
  readonly body: readonly (string | Node)[];
  readonly confirmLabel: string;
  readonly danger?: boolean;
  /**
   * Runs when the admin confirms, with the dialog still open: a string is shown in the dialog as
   * the reason it stays open (the action failed or needs a change); undefined closes it.
   */
  readonly onConfirm?: () => Promise<string | undefined>;
  /** Where focus goes once the action is done (default: back where it was). */
  readonly focusAfter?: () => HTMLElement | null | undefined;
}

/**
 * A modal confirmation (native <dialog>: focus stays inside, Escape cancels). Focus starts on
 * Cancel (or the first field), so a stray Enter never confirms a destructive action, and returns
 * where it was. With onConfirm the action runs inside the dialog, which shows its error and stays.
 */
export function confirmDialog(options: DialogOptions): Promise<boolean> {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const titleId = uniqueId('dialog-title');
  const cancel = button('Cancel');
  const confirm = button(options.confirmLabel, { variant: options.danger ? 'danger' : 'primary', type: 'submit' });
  const problem = errorBox();
  const form = h(
    'form',
    { method: 'dialog', novalidate: '' },
    h('h2', { id: titleId }, options.title),
    ...options.body.map((part) => (typeof part === 'string' ? h('p', {}, part) : part)),
    problem.element,
    h('div', { class: 'actions' }, cancel, confirm),
  );
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId }, form);
  document.body.append(dialog);
  return new Promise((resolve) => {
    let answer = false;
    cancel.addEventListener('click', () => dialog.close());
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!options.onConfirm) {
        answer = true;
        dialog.close();
        return;
      }
      problem.clear();
      void busy(confirm, options.onConfirm).then((refused) => {
        if (refused === undefined) {
          answer = true;
          dialog.close();
        } else {
          problem.show(refused);
        }
      });
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      const next = answer ? options.focusAfter?.() : undefined;
      if (next?.isConnected) next.focus();
      else if (opener?.isConnected) opener.focus();
      resolve(answer);
    });
    dialog.showModal();
    (form.querySelector<HTMLElement>('input, select, textarea') ?? cancel).focus();
  });
}

/**
 * A secret the server shows exactly once (a new API key, a webhook signing secret): a read-only
 * field, a copy button and a plain warning. Removing the panel removes the secret from the page.
 */
export function secretPanel(options: { title: string; label: string; value: string; warning: string; announce: (message: string) => void; onDone: () => void }): HTMLElement {
  const titleId = uniqueId('secret-title');
  const input = h('input', { type: 'text', readonly: '', class: 'secret-value', spellcheck: 'false', autocomplete: 'off', id: uniqueId('secret') });
  input.value = options.value;
  const copy = copyButton(() => input.value, `Copy ${options.label}`, options.announce, input);
  const panel = h(
    'section',
    { class: 'secret', 'aria-labelledby': titleId },
    h('h3', { id: titleId, tabindex: '-1' }, options.title),
    h('p', { class: 'secret-warning' }, h('strong', {}, 'Copy it now. '), options.warning),
    h('div', { class: 'field' }, h('label', { for: input.id }, options.label), h('div', { class: 'secret-row' }, input, copy)),
  );
  const done = button('Done, I have stored it', {
    variant: 'primary',
    onClick: () => {
      input.value = '';
      panel.remove();
      options.onDone();
    },
  });
  panel.append(h('div', { class: 'actions' }, done));
  return panel;
}

/**
 * A "Copy" button. Without clipboard access it selects `fallback` (when given) and says how to copy
 * by hand.
 */
export function copyButton(value: () => string, label: string, announce: (message: string) => void, fallback?: HTMLInputElement): HTMLButtonElement {
  const copy = button('Copy', {
    onClick: () => {
      // Without a secure context there is no navigator.clipboard at all: the promise catches that too.
      void Promise.resolve().then(() => navigator.clipboard.writeText(value())).then(
        () => announce('Copied to the clipboard.'),
        () => {
          fallback?.focus();
          fallback?.select();
          announce(fallback ? 'Could not copy automatically: the text is selected, press Ctrl+C (or ⌘C) to copy it.' : 'Could not copy automatically.');
        },
      );
    },
  });
  copy.setAttribute('aria-label', label);
  return copy;
}

/** A heading that script can move focus to when a view appears. */
export function sectionHeading(level: 'h2' | 'h3', text: string, id: string): HTMLElement {
  return h(level, { id, tabindex: '-1' }, text);
}

/** Plain text for an empty list. */
export function emptyState(text: string): HTMLElement {
  return h('p', { class: 'empty' }, text);
}
