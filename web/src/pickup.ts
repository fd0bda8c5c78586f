/**
 * The pickup page: ready → (code) → opening → decrypting → done | unavailable | error, or incomplete
 * when the link has no usable key. Nothing is requested before the recipient presses "Open
 * message": mail security scanners load links they find, and must not be the ones who open the
 * message. A message may also need the passcode the sender shared (a field the server put in the
 * page) and a code emailed to the recipient (the code view).
 *
 * A recovery link (Message Center) opens like any link; its answer carries the message's custody key
 * wrapped under the fragment's, and the page decrypts with that instead (it opens no recipient's
 * pickup and offers no reply). Under an opened message,
 * "Reply securely" loads the reply form (assets/reply.js) only when pressed: most recipients never
 * reply, so its code and styles stay out of the page's weight.
 */
import { messageIdFromPath, openMessage, requestCode, type Credentials, type Refusal } from './lib/api.ts';
import { credentialsFromFragment, decryptMessage, deriveAccessToken, deriveLinkToken, deriveMessageKey, unwrapRecoveredSecret } from './lib/crypto.ts';
import { h } from './lib/dom.ts';
import { parseMessage, renderMessage } from './lib/render.ts';

/** Built by web/build.ts as its own asset. A variable, not a literal, so esbuild leaves the import() alone. */
const REPLY_MODULE = '/assets/reply.js';

type View = 'ready' | 'code' | 'incomplete' | 'unavailable' | 'error' | 'message';
const VIEWS: readonly View[] = ['ready', 'code', 'incomplete', 'unavailable', 'error', 'message'];

const TEXT = {
  opening: 'Downloading the message…',
  decrypting: 'Decrypting in your browser…',
  done: 'Message opened.',
  unavailable: 'This message is not available. It may have expired, been revoked by the sender, or the link may be wrong.',
  incomplete: 'This link is incomplete — open the full link from your email.',
  transient: 'We could not load your message right now. Please try again in a moment.',
  offline: 'We could not reach the server. Check your connection and try again.',
  undecryptable: 'This message could not be decrypted. Open the full link from your email again; if it still fails, ask the sender to send it again.',
  unreadable: 'This message was decrypted but could not be displayed. Please ask the sender to send it again.',
  unsupported: 'This browser cannot decrypt secure messages. Please open the link in an up-to-date browser.',
  noPasscode: 'Enter the passcode the sender gave you.',
  noCode: 'Enter the 6 digits from the email.',
  reply: 'Reply securely',
  replyLoad: 'The reply form could not be loaded. Check your connection and try again.',
} as const;

const attempts = (n: number) => `${n} attempt${n === 1 ? '' : 's'} left.`;
const clock = (seconds: number) => new Date(Date.now() + seconds * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`pickup.html lacks #${id}`);
  return element as T;
}

/** The sending organisation, as the server named it in the page title (functions/http/pickup-page.ts). */
const tenantName = (): string | undefined => /^Secure message from (.+)$/.exec(document.title)?.[1];

function start(): void {
  // The page's inline guard already took the key out of the address bar (and history) and left it
  // here; read it from the address bar only if the guard did not run.
  const guarded = window as { __sealpostFragment?: string };
  const fragment = credentialsFromFragment(guarded.__sealpostFragment ?? location.hash);
  delete guarded.__sealpostFragment;
  // A link whose "#" a scanner or mail client sent encoded (%23, or %2523 when encoded twice) has
  // its key in the path: it opens nothing (the page says the link is incomplete), and the key must
  // leave the address bar and history as a fragment's does.
  history.replaceState(null, '', location.pathname.replace(/%(?:25)*23.*$/i, '') + location.search);
  const id = messageIdFromPath(location.pathname);

  const status = byId('status');
  const readyView = byId('view-ready');
  const openButton = byId<HTMLButtonElement>('open-button');
  const retryButton = byId<HTMLButtonElement>('retry-button');
  const codeInput = byId<HTMLInputElement>('code-input');
  const codeButton = byId<HTMLButtonElement>('code-button');
  const resendButton = byId<HTMLButtonElement>('resend-button');
  // Present only when the server knows the message has a passcode (functions/http/pickup-page.ts).
  // A recovery link opens through the message's custody key, so it needs no passcode.
  const recoveryLink = fragment?.recovery === true;
  if (recoveryLink) document.getElementById('passcode-input')?.closest('.field')?.remove();
  const passcodeInput = document.getElementById('passcode-input') as HTMLInputElement | null;

  /** Shows one view, announces `text` through the live region, and optionally focuses the view's heading. */
  const show = (view: View, text: string, focus: boolean): void => {
    for (const name of VIEWS) byId(`view-${name}`).hidden = name !== view;
    status.textContent = text;
    if (focus) document.querySelector<HTMLElement>(`#view-${view} [tabindex="-1"]`)?.focus();
  };

  const setProgress = (text: string | null): void => {
    openButton.disabled = codeButton.disabled = text !== null;
    readyView.setAttribute('aria-busy', String(text !== null));
    byId('progress').hidden = text === null;
    byId('progress-text').textContent = text ?? '';
    if (text !== null) status.textContent = text;
  };

  const fail = (text: string, canRetry: boolean, reference?: string): void => {
    byId('error-text').textContent = text;
    retryButton.hidden = !canRetry;
    const referenceLine = byId('error-reference');
    referenceLine.hidden = reference === undefined;
    referenceLine.textContent = reference === undefined ? '' : `Reference: ${reference}`;
    show('error', text, true);
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

  if (fragment === null || id === null) {
    show('incomplete', TEXT.incomplete, false);
    return;
  }
  if (recoveryLink) {
    byId('open-form').before(h('p', { class: 'recovery-intro lead' }, `This is a recovery link from ${tenantName() ?? 'the sender'}. It opens the message once, in this browser.`));
  }
  const { secret } = fragment;
  let grant = fragment.grant;

  // Deriving is local work, so what needs no passcode starts at once; the request waits for the click.
  const link = deriveLinkToken(secret);
  link.catch(() => undefined);
  const plain = passcodeInput ? undefined : deriveMessageKey(secret);
  plain?.catch(() => undefined);
  /** The message key and tokens, with the passcode as typed now (if the message has one). */
  const derive = async (): Promise<{ key: string; credentials: Credentials }> => {
    const key = await (plain ?? deriveMessageKey(secret, passcodeInput?.value ?? ''));
    return { key, credentials: { link: await link, token: await deriveAccessToken(key) } };
  };

  let inCode = false;
  const refused = (answer: Refusal): void => {
    const view = inCode ? 'code' : 'ready';
    switch (answer.kind) {
      case 'unavailable': return show('unavailable', TEXT.unavailable, true);
      case 'error': return fail(answer.status === 0 ? TEXT.offline : TEXT.transient, true, answer.requestId);
      case 'verification-required':
      case 'code-rate-limited': {
        let sent = `We sent a 6-digit code to ${'sentTo' in answer ? answer.sentTo : 'you'}. It works for 10 minutes.`;
        if ('retryAfter' in answer) {
          sent = `We sent you a code a moment ago. Enter it below, or ask for a new one in ${answer.retryAfter} seconds.`;
          resendButton.disabled = true;
          setTimeout(() => { resendButton.disabled = false; }, answer.retryAfter * 1000);
        }
        byId('code-sent').textContent = sent;
        byId('code-error').hidden = true;
        inCode = true;
        show('code', sent, false);
        codeInput.value = '';
        codeInput.focus();
        return;
      }
      case 'code-wrong': return complain('code', `That code is not right, or it has expired. ${attempts(answer.attemptsLeft)}`, codeInput);
      case 'passcode-wrong': return complain('ready', `That passcode is not right. ${attempts(answer.attemptsLeft)}`, passcodeInput);
      case 'locked': return complain(view, `Too many wrong attempts. Try again after ${clock(answer.retryAfter)}.`, null);
    }
  };

  const open = async (code?: string): Promise<void> => {
    let derived: Awaited<ReturnType<typeof derive>>;
    try {
      derived = await derive();
    } catch {
      // WebCrypto is missing: an old browser, or a page not served over HTTPS.
      return fail(TEXT.unsupported, false);
    }
    const result = await openMessage(id, { ...derived.credentials, ...(code ? { code } : {}), ...(grant ? { grant } : {}) });
    if (result.kind !== 'ok') return refused(result);
    grant = result.grant ?? grant;
    const recovered = result.wrappedSecret !== undefined;

    setProgress(TEXT.decrypting);
    let plaintext: Uint8Array;
    try {
      // A recovery link: the fragment held R, which unwraps the custody key — itself the password —
      // or, for a message sent before custody keys, a recipient's secret S, whose key is derived.
      const unwrapped = result.wrappedSecret === undefined ? undefined : await unwrapRecoveredSecret(secret, result.wrappedSecret);
      const key = unwrapped === undefined ? derived.key
        : result.unlocks === 'custody' ? unwrapped
        : await deriveMessageKey(unwrapped, passcodeInput?.value);
      plaintext = await decryptMessage(result.ciphertext, key);
    } catch {
      return fail(TEXT.undecryptable, false);
    }
    try {
      const email = await parseMessage(plaintext);
      const view = renderMessage(email);
      byId('view-message').replaceChildren(
        ...(recovered ? [h('p', { class: 'recovery-note' }, `Opened with a recovery link from ${tenantName() ?? 'the sender'}.`)] : []),
        view.root,
        // The recipient replies, not whoever recovered the message for them (nor could that link).
        ...(recovered ? [] : [replyHost(email.subject ?? '', derived.credentials)]),
      );
      show('message', TEXT.done, false);
      view.heading.focus();
    } catch {
      fail(TEXT.unreadable, false);
    }
  };

  /** The "Reply securely" button; the form itself is fetched on the first press. */
  const replyHost = (subject: string, credentials: Credentials): HTMLElement => {
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
          tenantName: tenantName(),
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
    if (busy) return;
    busy = true;
    setProgress(TEXT.opening);
    void task().finally(() => {
      busy = false;
      setProgress(null);
    });
  };
  const onOpen = (event?: Event): void => {
    event?.preventDefault();
    if (passcodeInput && passcodeInput.value.trim() === '') return complain('ready', TEXT.noPasscode, passcodeInput);
    byId('open-error').hidden = true;
    passcodeInput?.removeAttribute('aria-invalid');
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
  retryButton.addEventListener('click', () => onOpen());
  show('ready', '', false);
}

// Pasting a link into a tab that already shows this page changes only the fragment, which does not
// reload the page: start over so the new key is read (and removed from the address bar) as on load.
window.addEventListener('hashchange', () => {
  if (location.hash.length > 1) location.reload();
});

start();
