/**
 * Parses the decrypted RFC 5322 message and builds the message view. Message data reaches the page
 * only as text nodes and attribute values; the one exception is the HTML body, which goes through
 * sanitize-html.ts into a sandboxed iframe with an opaque origin.
 */
import type { Address } from 'postal-mime';

import { toBase64 } from '../../../functions/core/shared/index.ts';
import { formatBytes, h, icon } from './dom.ts';
import type { Message, MessageAttachment } from './lazy-mime.ts';
import { sanitizeMessageHtml } from './sanitize-html.ts';

export { parseMessage, type Message } from './lazy-mime.ts';

export interface MessageView {
  readonly root: HTMLElement;
  /** The subject heading; focus it once the view is on screen. */
  readonly heading: HTMLElement;
}

// Types a part may have to be shown inline (as a data: URL of its type). Anything else is a download
// stored as octet-stream, so that a blob: URL opened directly can never render as a document (HTML
// or SVG) in the portal's origin.
const INLINE_IMAGE_TYPES = /^image\/(?:png|jpeg|gif|webp|avif|bmp)$/;

const FILE_ICON = 'M6 2h8l6 6v12a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2Zm7 1.5V9h5.5L13 3.5Z';
const DOWNLOAD_ICON = 'M11 4a1 1 0 1 1 2 0v9.6l3.3-3.3a1 1 0 1 1 1.4 1.4l-5 5a1 1 0 0 1-1.4 0l-5-5a1 1 0 1 1 1.4-1.4l3.3 3.3V4ZM5 19a1 1 0 1 0 0 2h14a1 1 0 1 0 0-2H5Z';

export function renderMessage(email: Message): MessageView {
  const heading = h('h1', { id: 'message-subject', class: 'message-subject', tabindex: '-1' }, email.subject?.trim() || '(no subject)');
  const meta = h('dl', { class: 'message-meta' });
  addMeta(meta, 'From', email.from && [email.from]);
  addMeta(meta, 'To', email.to);
  addMeta(meta, 'Cc', email.cc);
  const date = renderDate(email.date);
  if (date) meta.append(h('div', {}, h('dt', {}, 'Date'), h('dd', {}, date)));

  const root = h('article', { class: 'message', 'aria-labelledby': 'message-subject' }, h('header', { class: 'message-header' }, heading, meta));
  // Only pictures can be shown in the body: any other part a cid: URL names stays in the list, so an
  // <img> cannot hide a file (an attached message, say) from the recipient.
  const inlineParts = new Map<string, MessageAttachment>();
  for (const attachment of email.attachments) {
    if (attachment.contentId && INLINE_IMAGE_TYPES.test(attachment.mimeType)) inlineParts.set(attachment.contentId.replace(/^<|>$/g, ''), attachment);
  }
  const shownInline = renderBody(root, email, inlineParts);
  const listed = email.attachments.filter((a) => !(a.contentId && shownInline.has(a.contentId.replace(/^<|>$/g, ''))));
  if (listed.length > 0) root.append(renderAttachments(listed));
  return { root, heading };
}

/** Appends the body (HTML, text, or both with a toggle); returns the Content-IDs shown inline. */
function renderBody(root: HTMLElement, email: Message, inlineParts: ReadonlyMap<string, MessageAttachment>): ReadonlySet<string> {
  const text = email.text?.replace(/\r\n/g, '\n').trimEnd();
  if (!email.html) {
    root.append(h('div', { class: 'message-body' }, text ? renderText(text) : h('p', { class: 'message-empty' }, 'This message has no text.')));
    return new Set();
  }

  // data: URLs, not blob: ones: the frame's origin is opaque, and a blob: URL loads only in the origin that made it.
  const dataUrls = new Map<string, string>();
  const sanitized = sanitizeMessageHtml(email.html, (contentId) => {
    const part = inlineParts.get(contentId);
    if (!part) return undefined;
    let url = dataUrls.get(contentId);
    if (url === undefined) {
      url = `data:${part.mimeType};base64,${toBase64(part.bytes())}`;
      dataUrls.set(contentId, url);
    }
    return url;
  });

  if (sanitized.blockedRemote > 0) {
    const count = sanitized.blockedRemote;
    root.append(
      h('p', { class: 'notice' }, `${count} remote ${count === 1 ? 'image was' : 'images were'} blocked so the sender cannot tell when you read this.`),
    );
  }

  const frame = renderFrame(sanitized.srcdoc);
  if (!text) {
    root.append(h('div', { class: 'message-body' }, frame));
    return sanitized.usedContentIds;
  }

  const textBlock = renderText(text);
  textBlock.hidden = true;
  const formatted = h('button', { type: 'button', class: 'segment', 'aria-pressed': 'true' }, 'Formatted');
  const plain = h('button', { type: 'button', class: 'segment', 'aria-pressed': 'false' }, 'Plain text');
  const show = (html: boolean): void => {
    formatted.setAttribute('aria-pressed', String(html));
    plain.setAttribute('aria-pressed', String(!html));
    frame.hidden = !html;
    textBlock.hidden = html;
  };
  formatted.addEventListener('click', () => show(true));
  plain.addEventListener('click', () => show(false));
  root.append(
    h('div', { class: 'segmented', role: 'group', 'aria-label': 'Message format' }, formatted, plain),
    h('div', { class: 'message-body' }, frame, textBlock),
  );
  return sanitized.usedContentIds;
}

function renderFrame(srcdoc: string): HTMLIFrameElement {
  // No allow-scripts: nothing in the message can run. No allow-same-origin either: the frame's origin
  // is opaque, so whatever the message might do (a script some bug let run, a link's popup) never
  // acts as the portal, whose origin holds the decrypted message and the console's key. The price:
  // this page cannot read the content's height, so the frame has a fixed height (pickup.css) and
  // scrolls. allow-popups(-to-escape-sandbox) lets links open normally in a new tab.
  const frame = h('iframe', {
    class: 'html-body',
    title: 'Message content',
    sandbox: 'allow-popups allow-popups-to-escape-sandbox',
    referrerpolicy: 'no-referrer',
  });
  frame.srcdoc = srcdoc;
  return frame;
}

function renderText(text: string): HTMLElement {
  const block = h('pre', { class: 'text-body' });
  const urls = /\bhttps?:\/\/[^\s<>"']*[^\s<>"'.,;:!?)\]}]/g;
  let last = 0;
  for (const match of text.matchAll(urls)) {
    block.append(text.slice(last, match.index), h('a', { href: match[0], target: '_blank', rel: 'noopener noreferrer' }, match[0]));
    last = match.index + match[0].length;
  }
  block.append(text.slice(last));
  return block;
}

function renderAttachments(attachments: readonly MessageAttachment[]): HTMLElement {
  const list = h('ul', { class: 'attachment-list' });
  attachments.forEach((attachment, index) => {
    const name = attachment.filename?.trim() || defaultFilename(attachment, index);
    const link = h(
      'a',
      { class: 'attachment', href: '#', download: name },
      icon(FILE_ICON, 'attachment-icon'),
      h('span', { class: 'attachment-name' }, name),
      h('span', { class: 'attachment-meta' }, `${attachment.mimeType || 'application/octet-stream'} · ${formatBytes(attachment.size)}`),
      h('span', { class: 'attachment-action' }, icon(DOWNLOAD_ICON, 'download-icon'), h('span', { class: 'action-label' }, 'Download')),
    );
    // Decoded only when the recipient asks for it (lib/lazy-mime.ts); the link keeps its blob: URL after.
    link.addEventListener('click', (event) => {
      if (link.href.startsWith('blob:')) return;
      event.preventDefault();
      link.href = URL.createObjectURL(new Blob([attachment.bytes()], { type: 'application/octet-stream' }));
      h('a', { href: link.href, download: name }).click();
    });
    list.append(h('li', {}, link));
  });
  const title = attachments.length === 1 ? '1 attachment' : `${attachments.length} attachments`;
  return h('section', { class: 'attachments', 'aria-labelledby': 'attachments-title' }, h('h2', { id: 'attachments-title' }, title), list);
}

/** A name for an attachment that has none: an attached message saves as .eml, which mail programs open. */
function defaultFilename(attachment: MessageAttachment, index: number): string {
  return `attachment-${index + 1}${attachment.mimeType === 'message/rfc822' ? '.eml' : ''}`;
}

function addMeta(list: HTMLElement, label: string, addresses: readonly Address[] | undefined): void {
  if (!addresses || addresses.length === 0) return;
  const value = h('dd', {});
  addresses.forEach((address, index) => {
    if (index > 0) value.append(', ');
    value.append(renderAddress(address));
  });
  list.append(h('div', {}, h('dt', {}, label), value));
}

function renderAddress(address: Address): Node {
  if (address.group !== undefined) {
    const group = h('span', {}, `${address.name}: `);
    address.group.forEach((member, index) => group.append(index > 0 ? ', ' : '', renderAddress(member)));
    return group;
  }
  if (!address.name) return h('span', { class: 'address' }, address.address);
  return h('span', { class: 'address' }, address.name, ' ', h('span', { class: 'address-email' }, `<${address.address}>`));
}

let messageDates: Intl.DateTimeFormat | undefined;

/**
 * How a message's date reads: in the recipient's time zone, named ("Saturday, March 14, 2026 at
 * 9:30 AM UTC"), as every time on the recipient pages. Made once: the first Intl formatter of a
 * page loads the locale's data, about 10 ms in Chromium on a slow machine (npm run bench, opening a
 * message), so the pickup page makes it while the recipient reads the page, before any press.
 */
export function messageDateFormat(): Intl.DateTimeFormat {
  messageDates ??= new Intl.DateTimeFormat(undefined, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });
  return messageDates;
}

function renderDate(value: string | undefined): HTMLElement | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return h('span', {}, value);
  return h('time', { datetime: date.toISOString() }, messageDateFormat().format(date));
}
