/**
 * What the server put in the pickup page about its message (functions/http/pickup-page.ts), read
 * once: whether a live message is behind the id, who wrote it to whom, the organisation's name;
 * and the passcode field the server adds for a message that has one.
 */
import type { Message } from './render.ts';

export type MessageKind = 'message' | 'reply-to-tenant' | 'reply-from-tenant';

export interface PageFacts {
  /** "unknown": the server could not look (or served the page as built); the open will tell. */
  readonly state: 'live' | 'unavailable' | 'unknown';
  readonly kind?: MessageKind;
  /** The organisation's display name, when the page carries its brand (functions/http/pickup-page.ts). */
  readonly sender?: string;
  /** The organisation's tenant id, on its branded page: sent with the open, which reads it with the message. */
  readonly tenant?: string;
}

const KINDS: readonly string[] = ['message', 'reply-to-tenant', 'reply-from-tenant'];
/** core/tenants' TENANT_ID_PATTERN, written out: through the tenants index it would add 150 bytes to every pickup page. */
const TENANT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function pageFacts(doc: Document): PageFacts {
  const meta = doc.querySelector<HTMLMetaElement>('meta[name="pickup-message"]');
  // The brand mark names the organisation (as text, or as its logo's alt text) only on its branded page.
  const sender = (doc.querySelector('.brand-name')?.textContent ?? doc.querySelector('img.brand-logo')?.getAttribute('alt') ?? '').trim();
  const state = meta?.content === 'live' || meta?.content === 'unavailable' ? meta.content : 'unknown';
  const kind = meta?.dataset.kind;
  const tenant = meta?.dataset.tenant;
  return {
    state,
    ...(kind !== undefined && KINDS.includes(kind) ? { kind: kind as MessageKind } : {}),
    ...(sender ? { sender } : {}),
    ...(tenant !== undefined && TENANT_ID_PATTERN.test(tenant) ? { tenant } : {}),
  };
}

/**
 * Who a reply to this message goes to, as the reply form names it: the organisation for its own
 * message (or its reply to the recipient), or — for its staff reading a recipient's reply — that
 * recipient, whose address the reply carries in Reply-To (the server sends the answer there).
 */
export function replyAddressee(facts: PageFacts, email: Pick<Message, 'from' | 'replyTo'>): string | undefined {
  if (facts.kind !== 'reply-to-tenant') return facts.sender;
  const author = email.replyTo?.[0] ?? email.from;
  return author?.address || author?.name || undefined;
}

export interface PasscodeField {
  readonly input: HTMLInputElement;
  readonly show: HTMLButtonElement | null;
}

/**
 * The passcode field, if the page has one, with its behaviour: "Show" unmasks it (a passcode read
 * off a phone call is easy to mistype unseen), and a warning appears while Caps Lock is on, since
 * capital letters count.
 */
export function passcodeField(doc: Document): PasscodeField | undefined {
  const input = doc.getElementById('passcode-input');
  if (!(input instanceof HTMLInputElement)) return undefined;
  const show = doc.getElementById('passcode-show') as HTMLButtonElement | null;
  show?.addEventListener('click', () => {
    const visible = input.type === 'password';
    input.type = visible ? 'text' : 'password';
    show.setAttribute('aria-pressed', String(visible));
    show.textContent = visible ? 'Hide' : 'Show';
    show.setAttribute('aria-label', visible ? 'Hide passcode' : 'Show passcode');
  });
  const caps = doc.getElementById('passcode-caps');
  const hint = input.getAttribute('aria-describedby') ?? '';
  const onKey = (event: KeyboardEvent): void => {
    if (!caps || typeof event.getModifierState !== 'function') return;
    const on = event.getModifierState('CapsLock');
    if (caps.hidden === !on) return;
    caps.hidden = !on;
    input.setAttribute('aria-describedby', on ? `${hint} passcode-caps` : hint);
  };
  input.addEventListener('keydown', onKey);
  input.addEventListener('keyup', onKey);
  return { input, show };
}
