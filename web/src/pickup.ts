/**
 * The pickup page: ready → (code) → opening → decrypting → done, or a view that says what happened
 * and what to do: unavailable (the server said at GET that no live message is behind the id, or
 * the open was refused), reload (the page had the key before a reload: keys are never kept),
 * incomplete (a link without its key), error. Nothing is requested before the recipient presses
 * "Open message": mail security scanners load links they find, and must not be the ones who open
 * the message. A message may also need the passcode the sender shared (a field the server put in
 * the page) and a code emailed to the recipient (the code view).
 *
 * Opened from the Message Center inbox, the page opens the message at once (the recipient already
 * chose it there) and shows the inbox bar: back to the list, previous/next, sign out; a reload
 * opens it again through the inbox session (lib/inbox-context.ts, lib/inbox-nav.ts).
 *
 * A recovery link (Message Center) opens like any link; its answer carries the message's custody key
 * wrapped under the fragment's, and the page decrypts with that instead (it opens no recipient's
 * pickup and offers no reply). Under an opened message, "Reply securely" loads the reply form
 * (assets/reply.js) only when pressed: most recipients never reply, so its code and styles stay out
 * of the page's weight. So does the download of a large message (one the sender sealed on its own
 * machine, whose open answers with its parts' URLs): assets/download.js, with its progress bar, is
 * fetched only when such an answer arrives.
 */
import { messageIdFromPath, openMessage, requestCode, type Credentials, type OpenCredentials, type Refusal } from './lib/api.ts';
import type { Failure } from './lib/inbox-api.ts';
import { credentialsFromFragment, decryptMessage, deriveAccessToken, deriveLinkToken, deriveMessageKey, unwrapRecoveredSecret } from './lib/crypto.ts';
import { h } from './lib/dom.ts';
import { inboxContextOf, rememberOpened, takeHandOver, type InboxContext } from './lib/inbox-context.ts';
import { pageFacts, passcodeField, replyAddressee, type PageFacts } from './lib/pickup-facts.ts';
import { messageDateFormat, parseMessage, renderMessage } from './lib/render.ts';

/** Built by web/build.ts as their own assets. Variables, not literals, so esbuild leaves the import() alone. */
const REPLY_MODULE = '/assets/reply.js';
const INBOX_BAR_MODULE = '/assets/inbox-bar.js';
const DOWNLOAD_MODULE = '/assets/download.js';
/** The inbox bar and the inbox's open, for a message opened from the inbox only. */
const inboxBar = (): Promise<typeof import('./inbox-bar.ts')> => import(INBOX_BAR_MODULE);

type View = 'ready' | 'code' | 'incomplete' | 'reload' | 'unavailable' | 'error' | 'message';
const VIEWS: readonly View[] = ['ready', 'code', 'incomplete', 'reload', 'unavailable', 'error', 'message'];

const TEXT = {
  opening: 'Downloading the message…',
  reopening: 'Opening the message again from your inbox…',
  decrypting: 'Decrypting in your browser…',
  done: 'Message opened.',
  unavailable: 'This message is no longer available.',
  incomplete: 'This link is incomplete — open the full link from your email.',
  reload: 'Open the link in your email again: this page does not keep the key to your message.',
  reloadOpened: 'For your security, this page never keeps the key to your message, so the message closed when the page reloaded.',
  reloadKeyed: 'For your security, the key to your message left the address bar as soon as the page first opened, so a reload cannot use it.',
  sessionEnded: 'Your inbox session has ended, so this message closed. Go back to your messages and sign in again to read it.',
  transient: 'We could not load your message right now. Please try again in a moment.',
  offline: 'We could not reach the server. Check your connection and try again.',
  undecryptable: 'This message could not be decrypted. Open the full link from your email again; if it still fails, ask the sender to send it again.',
  unreadable: 'This message was decrypted but could not be displayed. Please ask the sender to send it again.',
  unsupported: 'This browser cannot decrypt secure messages. Please open the link in an up-to-date browser.',
  noPasscode: 'Enter the passcode the sender gave you.',
  noCode: 'Enter the 6 digits from the email.',
  unlocked: 'You can try again now.',
  reply: 'Reply securely',
  replyLoad: 'The reply form could not be loaded. Check your connection and try again.',
} as const;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
/** A time of day in the recipient's own time zone, named ("6:14 AM UTC", "06:14 MEZ"): emails say UTC, the page can say local. */
const timeOfDay = (at: Date) => new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit', timeZoneName: 'short' }).format(at);

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`pickup.html lacks #${id}`);
  return element as T;
}

/** This page's history entry: what survives a reload or Back/Forward. Never a key. */
interface PageState {
  /** The page had a key ("keyed") or showed the message ("opened") before. */
  readonly sealpost?: 'keyed' | 'opened';
  readonly inbox?: InboxContext;
}
const stateOf = (value: unknown): PageState => {
  if (typeof value !== 'object' || value === null) return {};
  const { sealpost, inbox } = value as Record<string, unknown>;
  const context = inboxContextOf(inbox);
  return { ...(sealpost === 'keyed' || sealpost === 'opened' ? { sealpost } : {}), ...(context ? { inbox: context } : {}) };
};
const saveState = (state: PageState): void => history.replaceState(state, '', location.pathname + location.search);

/** What an open came to: the plaintext, a refusal from the server, or ciphertext that would not decrypt. */
type Opened =
  | { readonly kind: 'decrypted'; readonly plaintext: Uint8Array; readonly grant?: string; readonly recovered: boolean }
  | { readonly kind: 'undecryptable' }
  /** A large message's download links expired before it was whole (download.ts words it). */
  | { readonly kind: 'expired'; readonly text: string }
  | Refusal;

/**
 * open → fetch every part → decrypt: the one place the page turns credentials into plaintext. Kept
 * whole and apart from the views, so that the decryption (lib/crypto.ts) or the download (a
 * progress bar) can change inside it without touching them. `key` is the message key derived from
 * the fragment (and passcode); a recovery link's answer brings the key it unlocks instead.
 */
async function fetchAndDecrypt(
  id: string, credentials: OpenCredentials, keys: { secret: string; key: string; passcode: string | undefined }, onDecrypting: () => void,
): Promise<Opened> {
  const result = await openMessage(id, credentials);
  if (result.kind !== 'ok' && result.kind !== 'parts') return result;
  let plaintext: Uint8Array;
  try {
    // A recovery link: the fragment held R, which unwraps the custody key — itself the password —
    // or, for a message sent before custody keys, a recipient's secret S, whose key is derived.
    const unwrapped = result.wrappedSecret === undefined ? undefined : await unwrapRecoveredSecret(keys.secret, result.wrappedSecret);
    const key = unwrapped === undefined ? keys.key
      : result.unlocks === 'custody' ? unwrapped
      : await deriveMessageKey(unwrapped, keys.passcode);
    if (result.kind === 'ok') {
      onDecrypting();
      plaintext = await decryptMessage(result.ciphertext, key);
    } else {
      // A sealed upload: the view is counted, and its download (with a progress bar) loads only now.
      const loading: Promise<typeof import('./download.ts')> = import(DOWNLOAD_MODULE);
      const downloaded = await loading.then(({ downloadMessage }) => downloadMessage(result.parts, key, onDecrypting), () => ({ kind: 'error', status: 0 }) as const);
      if (downloaded.kind !== 'decrypted') return downloaded;
      plaintext = downloaded.plaintext;
    }
  } catch {
    return { kind: 'undecryptable' };
  }
  return { kind: 'decrypted', plaintext, ...(result.grant ? { grant: result.grant } : {}), recovered: result.wrappedSecret !== undefined };
}

function start(): void {
  // The page's inline guard already took the key out of the address bar (and history) and left it
  // here; read it from the address bar only if the guard did not run.
  const guarded = window as { __sealpostFragment?: string };
  const fragment = credentialsFromFragment(guarded.__sealpostFragment ?? location.hash);
  delete guarded.__sealpostFragment;
  const before = stateOf(history.state);
  // A link whose "#" a scanner or mail client sent encoded (%23, or %2523 when encoded twice) has
  // its key in the path: it opens nothing (the page says the link is incomplete, though the server,
  // seeing no well-formed id, said unavailable), and the key must leave the address bar and history
  // as a fragment's does.
  const mangled = /%(?:25)*23/i.test(location.pathname);
  history.replaceState(null, '', location.pathname.replace(/%(?:25)*23.*$/i, '') + location.search);
  const id = messageIdFromPath(location.pathname);
  const inbox = (id !== null && fragment !== null ? takeHandOver(id) : undefined) ?? before.inbox;
  saveState({ ...(fragment ? { sealpost: 'keyed' as const } : before.sealpost ? { sealpost: before.sealpost } : {}), ...(inbox ? { inbox } : {}) });
  const facts = pageFacts(document);
  // The message's date format, made while the page waits for its press rather than after it (render.ts).
  if (typeof requestIdleCallback === 'function') requestIdleCallback(() => messageDateFormat());
  else setTimeout(() => messageDateFormat(), 0);

  const status = byId('status');
  const announce = (text: string): void => { status.textContent = text; };
  /** Shows one view, announces `text` through the live region, and optionally focuses the view's heading. */
  const show = (view: View, text: string, focus: boolean): void => {
    for (const name of VIEWS) byId(`view-${name}`).hidden = name !== view;
    announce(text);
    if (focus) document.querySelector<HTMLElement>(`#view-${view} [tabindex="-1"]`)?.focus();
  };
  const fail = (text: string, retry: (() => void) | undefined, reference?: string): void => {
    byId('error-text').textContent = text;
    const retryButton = byId<HTMLButtonElement>('retry-button');
    retryButton.hidden = retry === undefined;
    retryButton.onclick = retry ?? null;
    const referenceLine = byId('error-reference');
    referenceLine.hidden = reference === undefined;
    referenceLine.textContent = reference === undefined ? '' : `Reference: ${reference}`;
    show('error', text, true);
  };

  if (id !== null && inbox) {
    inboxBar().then(({ mountInboxNav }) => mountInboxNav(inbox, id, announce), () => undefined);
  }
  if (id === null || mangled) return show('incomplete', TEXT.incomplete, false);
  if (facts.state === 'unavailable') return show('unavailable', TEXT.unavailable, false);
  if (fragment === null) {
    if (inbox) {
      // A reload (or Back/Forward) of a message opened from the inbox: the session opens it again.
      const reopen = async (): Promise<void> => {
        announce(TEXT.reopening);
        const again = await inboxBar().then(({ openInboxMessage }) => openInboxMessage(inbox.tenantId, id), (): Failure => ({ kind: 'error', status: 0 }));
        if (again.kind === 'ok') return begin(id, facts, { secret: again.secret, ...(again.grant ? { grant: again.grant } : {}) }, inbox, show, fail);
        if (again.kind === 'signed-out') {
          byId('reload-text').textContent = TEXT.sessionEnded;
          return show('reload', TEXT.sessionEnded, true);
        }
        if (again.kind === 'unavailable') return show('unavailable', TEXT.unavailable, true);
        return fail(again.status === 0 ? TEXT.offline : TEXT.transient, () => void reopen(), again.requestId);
      };
      void reopen();
      return;
    }
    if (before.sealpost) {
      byId('reload-text').textContent = before.sealpost === 'opened' ? TEXT.reloadOpened : TEXT.reloadKeyed;
      return show('reload', TEXT.reload, false);
    }
    return show('incomplete', TEXT.incomplete, false);
  }
  begin(id, facts, fragment, inbox, show, fail);
}

/** The ready, code and message views for message `id`, opened with the key of `fragment`. */
function begin(
  id: string, facts: PageFacts, fragment: { secret: string; grant?: string; recovery?: true }, inbox: InboxContext | undefined,
  show: (view: View, text: string, focus: boolean) => void, fail: (text: string, retry: (() => void) | undefined, reference?: string) => void,
): void {
  const status = byId('status');
  const readyView = byId('view-ready');
  const openButton = byId<HTMLButtonElement>('open-button');
  const codeInput = byId<HTMLInputElement>('code-input');
  const codeButton = byId<HTMLButtonElement>('code-button');
  const resendButton = byId<HTMLButtonElement>('resend-button');
  // Present only when the server knows the message has a passcode (functions/http/pickup-page.ts).
  // A recovery link opens through the message's custody key, so it needs no passcode.
  const recoveryLink = fragment.recovery === true;
  if (recoveryLink) document.getElementById('passcode-input')?.closest('.field')?.remove();
  const passcode = passcodeField(document);
  if (passcode) byId('code-limit').textContent = 'After 5 wrong attempts in all — codes and passcodes count together — opening this message pauses for 15 minutes.';

  let locked = false;
  const setProgress = (text: string | null): void => {
    openButton.disabled = codeButton.disabled = text !== null || locked;
    readyView.setAttribute('aria-busy', String(text !== null));
    byId('progress').hidden = text === null;
    byId('progress-text').textContent = text ?? '';
    if (text !== null) status.textContent = text;
  };

  /** Shows a problem next to `input` (the passcode or code field, or none), announced and focused. */
  const complain = (view: 'ready' | 'code', text: string, input: HTMLInputElement | null): void => {
    const line = byId(`${view === 'ready' ? 'open' : 'code'}-error`);
    line.hidden = false;
    line.textContent = text;
    status.textContent = text;
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      input.select();
    }
  };

  /** Too many wrong attempts: every control of the form is off until the lock ends, then back on. */
  const lock = (view: 'ready' | 'code', seconds: number): void => {
    const until = new Date(Date.now() + seconds * 1000);
    const setLocked = (on: boolean): void => {
      locked = on;
      for (const control of [passcode?.input, passcode?.show, codeInput, openButton, codeButton, resendButton]) if (control) control.disabled = on;
    };
    setLocked(true);
    complain(view, `Too many wrong attempts. For your security, opening this message is paused until ${timeOfDay(until)} (about ${plural(Math.max(1, Math.ceil(seconds / 60)), 'minute')}).`, null);
    setTimeout(() => {
      setLocked(false);
      complain(view, TEXT.unlocked, null);
    }, seconds * 1000);
  };

  if (recoveryLink) {
    byId('open-form').before(h('p', { class: 'recovery-intro lead' }, `This is a recovery link from ${facts.sender ?? 'the sender'}. It opens the message once, in this browser.`));
  }
  const { secret } = fragment;
  let grant = fragment.grant;

  // Deriving is local work, so what needs no passcode starts at once; the request waits for the click.
  const link = deriveLinkToken(secret);
  link.catch(() => undefined);
  const plain = passcode ? undefined : deriveMessageKey(secret);
  plain?.catch(() => undefined);
  /** The message key and tokens, with the passcode as typed now (if the message has one). */
  const derive = async (): Promise<{ key: string; credentials: Credentials }> => {
    const key = await (plain ?? deriveMessageKey(secret, passcode?.input.value ?? ''));
    return { key, credentials: { link: await link, token: await deriveAccessToken(key) } };
  };

  let inCode = false;
  const refused = (answer: Refusal): void => {
    const view = inCode ? 'code' : 'ready';
    switch (answer.kind) {
      case 'unavailable':
        // A used recovery link is the likeliest reason for a recovery link: say so.
        if (recoveryLink) byId('unavailable-text').textContent = `A recovery link opens the message once. If you need it again, ask ${facts.sender ?? 'the sender'} for a new link.`;
        return show('unavailable', TEXT.unavailable, true);
      case 'error': return fail(answer.status === 0 ? TEXT.offline : TEXT.transient, () => onOpen(), answer.requestId);
      case 'verification-required':
      case 'code-rate-limited': {
        let sent = `We sent a 6-digit code to ${'sentTo' in answer ? answer.sentTo : 'you'}. It works for 10 minutes.`;
        if ('retryAfter' in answer) {
          sent = `We sent you a code a moment ago. Enter it below, or ask for a new one in ${plural(answer.retryAfter, 'second')}.`;
          resendButton.disabled = true;
          setTimeout(() => { resendButton.disabled = locked; }, answer.retryAfter * 1000);
        }
        byId('code-sent').textContent = sent;
        byId('code-error').hidden = true;
        inCode = true;
        show('code', sent, false);
        codeInput.value = '';
        codeInput.focus();
        return;
      }
      case 'code-wrong': return complain('code', `That code is not right, or it has expired. ${plural(answer.attemptsLeft, 'attempt')} left${passcode ? ' (wrong passcodes count too)' : ''}.`, codeInput);
      case 'passcode-wrong': return complain('ready', `That passcode is not right — check capital letters. ${plural(answer.attemptsLeft, 'attempt')} left.`, passcode?.input ?? null);
      case 'locked': return lock(view, answer.retryAfter);
    }
  };

  const open = async (code?: string): Promise<void> => {
    let derived: Awaited<ReturnType<typeof derive>>;
    try {
      derived = await derive();
    } catch {
      // WebCrypto is missing: an old browser, or a page not served over HTTPS.
      return fail(TEXT.unsupported, undefined);
    }
    const credentials = { ...derived.credentials, ...(code ? { code } : {}), ...(grant ? { grant } : {}), ...(facts.tenant ? { tenant: facts.tenant } : {}) };
    const opened = await fetchAndDecrypt(id, credentials, { secret, key: derived.key, passcode: passcode?.input.value }, () => setProgress(TEXT.decrypting));
    if (opened.kind === 'undecryptable') return fail(TEXT.undecryptable, undefined);
    if (opened.kind === 'expired') return fail(opened.text, undefined);
    if (opened.kind !== 'decrypted') return refused(opened);
    grant = opened.grant ?? grant;
    try {
      const email = await parseMessage(opened.plaintext);
      const view = renderMessage(email);
      byId('view-message').replaceChildren(
        ...(opened.recovered ? [h('p', { class: 'recovery-note' }, `Opened with a recovery link from ${facts.sender ?? 'the sender'}.`)] : []),
        view.root,
        // The recipient replies, not whoever recovered the message for them (nor could that link).
        ...(opened.recovered ? [] : [replyHost(email.subject ?? '', replyAddressee(facts, email), derived.credentials)]),
      );
      saveState({ sealpost: 'opened', ...(inbox ? { inbox } : {}) });
      if (inbox) rememberOpened(id);
      show('message', TEXT.done, false);
      view.heading.focus();
    } catch {
      fail(TEXT.unreadable, undefined);
    }
  };

  /** The "Reply securely" button; the form itself is fetched on the first press. */
  const replyHost = (subject: string, addressee: string | undefined, credentials: Credentials): HTMLElement => {
    const button = h('button', { type: 'button', class: 'button reply-open' }, TEXT.reply);
    const error = h('p', { class: 'form-error', role: 'alert', hidden: '' });
    const host = h('div', { class: 'reply-host' }, button, error);
    button.addEventListener('click', () => {
      button.disabled = true;
      error.hidden = true;
      const loading: Promise<typeof import('./reply.ts')> = import(REPLY_MODULE);
      loading.then(({ mountPortalReply }) => {
        button.remove();
        error.remove();
        mountPortalReply(host, {
          messageId: id,
          originalSubject: subject,
          addressee,
          // The same link and token as the open, and the grant a code earned (a used code is spent).
          credentials: () => ({ ...credentials, ...(grant ? { grant } : {}) }),
          onGrant: (next) => { grant = next; },
        });
      }, () => {
        button.disabled = false;
        error.textContent = TEXT.replyLoad;
        error.hidden = false;
      });
    });
    return host;
  };

  let busy = false;
  const run = (task: () => Promise<void>): void => {
    if (busy || locked) return;
    busy = true;
    setProgress(TEXT.opening);
    void task().finally(() => {
      busy = false;
      setProgress(null);
    });
  };
  const onOpen = (event?: Event): void => {
    event?.preventDefault();
    if (passcode && passcode.input.value.trim() === '') return complain('ready', TEXT.noPasscode, passcode.input);
    byId('open-error').hidden = true;
    passcode?.input.removeAttribute('aria-invalid');
    inCode = false;
    show('ready', '', false);
    run(() => open());
  };
  const onCode = (event: Event): void => {
    event.preventDefault();
    const code = codeInput.value.replace(/\s/g, '');
    if (!/^\d{6}$/.test(code)) return complain('code', TEXT.noCode, codeInput);
    codeInput.removeAttribute('aria-invalid');
    run(() => open(code));
  };
  const onResend = (): void => {
    run(async () => {
      const derived = await derive().catch(() => undefined);
      refused(derived ? await requestCode(id, derived.credentials) : { kind: 'error', status: 0 });
    });
  };

  byId('open-form').addEventListener('submit', onOpen);
  byId('code-form').addEventListener('submit', onCode);
  resendButton.addEventListener('click', onResend);
  show('ready', '', false);
  // From the inbox the recipient already chose this message: open it without a second click.
  if (inbox && !passcode) onOpen();
}

// Pasting a link into a tab that already shows this page changes only the fragment, which does not
// reload the page: start over so the new key is read (and removed from the address bar) as on load.
window.addEventListener('hashchange', () => {
  if (location.hash.length > 1) location.reload();
});

start();
