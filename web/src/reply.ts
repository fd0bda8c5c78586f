/**
 * "Reply securely" under an opened message: a small form (text and files) whose result the caller
 * sends to POST /m/{id}/reply with the recipient's credentials. Everything shown is built with
 * text nodes (lib/dom.ts); no inline style (the portal's CSP); sizes are checked before anything is
 * read or sent, with the server's limits.
 *
 * The pickup page loads this module only when the recipient presses "Reply securely" (web/build.ts
 * builds it as assets/reply.js), so it brings its own stylesheet: reply.css beside the module.
 */
import { isMimeContainerType } from '../../functions/core/messages/index.ts';
import { toBase64 } from '../../functions/core/shared/index.ts';
import { sendReply, type Credentials, type ReplyResult } from './lib/api.ts';
import { formatBytes, h } from './lib/dom.ts';

/** Decoded subject + text + files, as the server counts them. */
export const MAX_REPLY_BYTES = 4 * 1024 * 1024;
export const MAX_REPLY_FILES = 10;
const MAX_SUBJECT = 250;
/** What the server refuses in a subject or file name (line breaks, controls, bidi overrides). */
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;

export interface ReplyAttachment {
  readonly filename: string;
  readonly contentType: string;
  /** Standard base64. */
  readonly content: string;
}

export interface ReplyBody {
  readonly subject: string;
  readonly text: string;
  readonly attachments: ReplyAttachment[];
}

export interface MountReplyOptions {
  /** The subject of the message shown; the reply's is "Re: <it>". */
  readonly originalSubject: string;
  /**
   * Sends the reply (adding the link, token and grant). A rejection's `message` is shown to the
   * recipient as it is, so reject with plain language ("You have sent 5 replies this hour…").
   */
  send(body: ReplyBody): Promise<{ id: string }>;
  /**
   * Who the reply goes to, for the hint and the confirmation: the organisation's name, or — for its
   * staff answering a recipient's reply — that recipient; "the sender" without it.
   */
  readonly addressee?: string;
}

const TEXT = {
  open: 'Reply securely',
  send: 'Send reply',
  cancel: 'Cancel',
  sending: 'Sending your reply…',
  empty: 'Write a reply or attach a file.',
  failed: 'Your reply could not be sent. Please try again.',
  unreadable: 'A file could not be read. Choose it again and retry.',
  gone: 'This message is no longer available, so it cannot be answered.',
  verify: 'For your security, open the link from your email again, then reply.',
  locked: 'Too many wrong attempts. Please try again later.',
  offline: 'We could not reach the server. Check your connection and try again.',
} as const;

/** "Re: <subject>" (without doubling an existing "Re:"), cleaned of what the server refuses, at most 250 characters. */
export function replySubject(original: string): string {
  const clean = original.replace(CONTROL_CHARS, ' ').replace(/\s+/g, ' ').trim();
  const subject = /^re:/i.test(clean) ? clean : `Re: ${clean || '(no subject)'}`;
  return Array.from(subject).slice(0, MAX_SUBJECT).join('');
}

/** A file name the server accepts: no controls or path separators, at most 255 characters. */
function safeFilename(name: string): string {
  const clean = name.replace(CONTROL_CHARS, '_').replace(/[\\/]/g, '_').trim();
  return Array.from(clean || 'attachment').slice(0, 255).join('');
}

/** Why the chosen reply cannot be sent, or null when it is within the limits. */
function checkLimits(subject: string, text: string, files: readonly File[]): string | null {
  if (files.length > MAX_REPLY_FILES) return `You can attach at most ${MAX_REPLY_FILES} files.`;
  const encoder = new TextEncoder();
  const total = encoder.encode(subject).length + encoder.encode(text).length + files.reduce((sum, f) => sum + f.size, 0);
  if (total > MAX_REPLY_BYTES) {
    return `Your reply is ${formatBytes(total)}; the limit is ${formatBytes(MAX_REPLY_BYTES)} in total. Remove a file or choose smaller ones.`;
  }
  return null;
}

let mounted = 0;

/**
 * Adds `<link rel="stylesheet">` for reply.css next to this module, once (the portal's CSP allows
 * same-origin stylesheets, not inline styles).
 */
function loadStylesheet(): void {
  const href = new URL('reply.css', import.meta.url).href;
  const links = Array.from(document.querySelectorAll<HTMLLinkElement>('link[rel="stylesheet"]'));
  if (!links.some((link) => link.href === href)) document.head.append(h('link', { rel: 'stylesheet', href }));
}

/** Adds the "Reply securely" button and its form to `container`. */
export function mountReply(container: HTMLElement, options: MountReplyOptions): void {
  loadStylesheet();
  const id = `reply-${++mounted}`;
  const subject = replySubject(options.originalSubject);
  const addressee = options.addressee?.trim() || 'the sender';

  const openButton = h('button', { type: 'button', class: 'button reply-open', 'aria-expanded': 'false', 'aria-controls': `${id}-form` }, TEXT.open);
  const textArea = h('textarea', { id: `${id}-text`, name: 'text', rows: '6', class: 'reply-text control', 'aria-describedby': `${id}-hint ${id}-error` });
  const fileInput = h('input', { id: `${id}-files`, name: 'files', type: 'file', multiple: '', class: 'reply-files', 'aria-describedby': `${id}-hint ${id}-error` });
  const error = h('p', { id: `${id}-error`, class: 'reply-error', role: 'alert', hidden: '' });
  const sendButton = h('button', { type: 'submit', class: 'button' }, TEXT.send);
  const cancelButton = h('button', { type: 'button', class: 'button button-secondary' }, TEXT.cancel);
  const heading = h('h2', { id: `${id}-title`, class: 'reply-title', tabindex: '-1' }, TEXT.open);
  const fieldset = h('fieldset', { class: 'reply-fields' },
    h('p', { class: 'reply-subject' }, h('span', { class: 'reply-subject-label' }, 'Subject: '), subject),
    h('label', { for: textArea.id, class: 'reply-label' }, 'Your reply'),
    textArea,
    h('label', { for: fileInput.id, class: 'reply-label' }, 'Attach files (optional)'),
    fileInput,
    h('p', { id: `${id}-hint`, class: 'reply-hint' },
      `Up to ${MAX_REPLY_FILES} files, 4 MB in total. Your reply is encrypted for ${addressee} before it is stored.`),
    error,
    h('div', { class: 'reply-actions' }, sendButton, cancelButton),
  );
  // novalidate: the form's own checks speak in the page's words; the submit never navigates (CSP form-action 'none').
  const form = h('form', { id: `${id}-form`, class: 'reply-form', 'aria-labelledby': heading.id, novalidate: '', hidden: '' }, heading, fieldset);
  const status = h('p', { class: 'reply-status', role: 'status', 'aria-live': 'polite' });
  container.append(h('section', { class: 'reply', 'aria-label': TEXT.open }, openButton, form, status));

  const showError = (text: string | null): void => {
    error.textContent = text ?? '';
    error.hidden = text === null;
    if (text === null) for (const control of [textArea, fileInput]) control.removeAttribute('aria-invalid');
  };
  const files = (): File[] => Array.from(fileInput.files ?? []);
  const setOpen = (open: boolean): void => {
    form.hidden = !open;
    openButton.hidden = open;
    openButton.setAttribute('aria-expanded', String(open));
  };

  openButton.addEventListener('click', () => {
    status.textContent = '';
    showError(null);
    setOpen(true);
    textArea.focus();
  });

  cancelButton.addEventListener('click', () => {
    form.reset();
    showError(null);
    setOpen(false);
    openButton.focus();
  });

  fileInput.addEventListener('change', () => {
    const problem = checkLimits(subject, textArea.value, files());
    showError(problem);
    if (problem !== null) fileInput.setAttribute('aria-invalid', 'true');
  });

  const settle = (): void => {
    busy = false;
    fieldset.disabled = false;
    form.removeAttribute('aria-busy');
  };
  const fail = (text: string): void => {
    settle();
    status.textContent = '';
    showError(text);
    textArea.focus();
  };
  const done = (): void => {
    settle();
    form.reset();
    setOpen(false);
    status.textContent = `Your reply was sent securely to ${addressee}.`;
    openButton.focus();
  };

  let busy = false;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (busy) return;
    const text = textArea.value;
    const chosen = files();
    const problem = text.trim() === '' && chosen.length === 0 ? TEXT.empty : checkLimits(subject, text, chosen);
    if (problem !== null) {
      showError(problem);
      const culprit = chosen.length === 0 ? textArea : fileInput;
      culprit.setAttribute('aria-invalid', 'true');
      culprit.focus();
      return;
    }
    busy = true;
    showError(null);
    fieldset.disabled = true;
    form.setAttribute('aria-busy', 'true');
    status.textContent = TEXT.sending;
    void (async () => {
      let attachments: ReplyAttachment[];
      try {
        attachments = await Promise.all(chosen.map(async (file) => ({
          filename: safeFilename(file.name),
          // A saved email (.eml is message/rfc822) goes as opaque bytes: the server refuses message/* and
          // multipart/* in a reply, because mail readers show such a part as part of the body.
          contentType: MEDIA_TYPE.test(file.type) && !isMimeContainerType(file.type) ? file.type : 'application/octet-stream',
          content: toBase64(new Uint8Array(await file.arrayBuffer())),
        })));
      } catch {
        return fail(TEXT.unreadable);
      }
      try {
        await options.send({ subject, text, attachments });
      } catch (e) {
        return fail(e instanceof Error && e.message.trim() !== '' ? e.message : TEXT.failed);
      }
      done();
    })();
  });
}

export interface PortalReplyOptions {
  readonly messageId: string;
  readonly originalSubject: string;
  /** Who the reply goes to (MountReplyOptions.addressee). */
  readonly addressee?: string | undefined;
  /** What the page opened the message with (link, token, and the grant a code earned), read at each send. */
  credentials(): Credentials;
  /** A code sent along was used up: the server's new grant replaces it. */
  onGrant(grant: string): void;
}

/** What the recipient reads when the server refuses a reply; '' lets the form say its own "could not be sent". */
function refusalText(answer: Exclude<ReplyResult, { kind: 'sent' }>): string {
  switch (answer.kind) {
    case 'reply-rate-limited': return answer.detail;
    case 'unavailable': return TEXT.gone;
    case 'locked': return TEXT.locked;
    case 'error': return answer.status === 0 ? TEXT.offline : '';
    default: return TEXT.verify;
  }
}

/**
 * The pickup page's entry point (it loads this module on the press of "Reply securely"): mounts the
 * form with a `send` that posts to POST /m/{id}/reply, and opens it at once.
 */
export function mountPortalReply(container: HTMLElement, options: PortalReplyOptions): void {
  mountReply(container, {
    originalSubject: options.originalSubject,
    ...(options.addressee === undefined ? {} : { addressee: options.addressee }),
    send: async (body) => {
      const answer = await sendReply(options.messageId, options.credentials(), body);
      if (answer.kind !== 'sent') throw new Error(refusalText(answer));
      if (answer.grant !== undefined) options.onGrant(answer.grant);
      return { id: answer.id };
    },
  });
  container.querySelector<HTMLButtonElement>('.reply-open')?.click();
}
