/**
 * The pickup page: ready → opening → decrypting → done | unavailable | error, or incomplete when the
 * link has no usable key. Nothing is requested before the recipient presses "Open message": mail
 * security scanners load links they find, and must not be the ones who open the message.
 */
import { messageIdFromPath, openMessage } from './lib/api.ts';
import { decryptMessage, deriveAccessToken, secretFromFragment } from './lib/crypto.ts';
import { parseMessage, renderMessage } from './lib/render.ts';

type View = 'ready' | 'incomplete' | 'unavailable' | 'error' | 'message';
const VIEWS: readonly View[] = ['ready', 'incomplete', 'unavailable', 'error', 'message'];

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
} as const;

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`pickup.html lacks #${id}`);
  return element as T;
}

function start(): void {
  // Read the key, then take it out of the address bar (and history) before anything else happens.
  const secret = secretFromFragment(location.hash);
  history.replaceState(null, '', location.pathname + location.search);
  const id = messageIdFromPath(location.pathname);

  const status = byId('status');
  const readyView = byId('view-ready');
  const openButton = byId<HTMLButtonElement>('open-button');
  const retryButton = byId<HTMLButtonElement>('retry-button');

  /** Shows one view, announces `text` through the live region, and optionally focuses the view's heading. */
  const show = (view: View, text: string, focus: boolean): void => {
    for (const name of VIEWS) byId(`view-${name}`).hidden = name !== view;
    status.textContent = text;
    if (focus) document.querySelector<HTMLElement>(`#view-${view} [tabindex="-1"]`)?.focus();
  };

  const setProgress = (text: string | null): void => {
    openButton.disabled = text !== null;
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

  if (secret === null || id === null) {
    show('incomplete', TEXT.incomplete, false);
    return;
  }

  // Deriving the token is local work, so it starts at once; the request waits for the click.
  const token = deriveAccessToken(secret);
  token.catch(() => undefined);

  const open = async (): Promise<void> => {
    let accessToken: string;
    try {
      accessToken = await token;
    } catch {
      // WebCrypto is missing: an old browser, or a page not served over HTTPS.
      fail(TEXT.unsupported, false);
      return;
    }
    const result = await openMessage(id, accessToken);
    if (result.kind === 'unavailable') return show('unavailable', TEXT.unavailable, true);
    if (result.kind === 'error') return fail(result.status === 0 ? TEXT.offline : TEXT.transient, true, result.requestId);

    setProgress(TEXT.decrypting);
    let plaintext: Uint8Array;
    try {
      plaintext = await decryptMessage(result.ciphertext, secret);
    } catch {
      return fail(TEXT.undecryptable, false);
    }
    try {
      const view = renderMessage(await parseMessage(plaintext));
      byId('view-message').replaceChildren(view.root);
      show('message', TEXT.done, false);
      view.heading.focus();
    } catch {
      fail(TEXT.unreadable, false);
    }
  };

  let busy = false;
  const onOpen = (): void => {
    if (busy) return;
    busy = true;
    show('ready', '', false);
    setProgress(TEXT.opening);
    void open().finally(() => {
      busy = false;
      setProgress(null);
    });
  };

  openButton.addEventListener('click', onOpen);
  retryButton.addEventListener('click', onOpen);
  show('ready', '', false);
}

// Pasting a link into a tab that already shows this page changes only the fragment, which does not
// reload the page: start over so the new key is read (and removed from the address bar) as on load.
window.addEventListener('hashchange', () => {
  if (location.hash.length > 1) location.reload();
});

start();
