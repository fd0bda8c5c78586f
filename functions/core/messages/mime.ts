/**
 * The message as RFC 5322 / MIME bytes: what is sealed. One writer for the server (POST
 * /v1/messages, secure replies) and for senders that seal on their own machine (the SDK and CLI),
 * so a message sealed by either is the same kind of message to the portal. Pure: no Node API,
 * runs in browsers too.
 *
 * Shape: `multipart/mixed` when there are attachments, around `multipart/alternative` (text, HTML)
 * when both bodies exist, else the one body. Bodies are UTF-8 and base64 when they are not plain
 * 7-bit lines of at most 998 octets; attachments always base64 with `Content-Disposition:
 * attachment` and the file name quoted when it is printable ASCII, as RFC 2231 (`filename*`) otherwise, plus an RFC 2047 `name` for old readers.
 * Header text that is not ASCII is RFC 2047 encoded words (B encoding), in pieces that never split
 * a UTF-8 character, folded at 78 columns. Line breaks are CRLF.
 *
 * A `message/*` or `multipart/*` attachment is written as `application/octet-stream`: inline, a
 * reader would show an attached message as part of the body (HTML, forged From and all), and lose
 * the content of a multipart one. As opaque bytes both stay files the recipient can only download.
 */
import { toBase64, type Address, type InlineImage, type RandomBytes } from '../shared/index.ts';
import { isMimeContainerType } from './model.ts';
import type { MailToSeal } from './ports.ts';

const CRLF = '\r\n';
const ATOM = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]*$/;

/** RFC 2047 encoded words for `text` (UTF-8, B encoding), each at most 64 characters long. */
function encodedWords(text: string): string[] {
  const words: string[] = [];
  let piece = '';
  const flush = () => {
    if (piece !== '') words.push(`=?UTF-8?B?${toBase64(new TextEncoder().encode(piece))}?=`);
    piece = '';
  };
  // 39 bytes of UTF-8 → 52 base64 characters + 12 of framing: 64, so even after "Reply-To: " a line
  // stays within 78 columns, and never a split character.
  for (const char of text) {
    if (new TextEncoder().encode(piece + char).length > 39) flush();
    piece += char;
  }
  flush();
  return words;
}

/** Header text: as is when it is printable ASCII without a control character, else encoded words. */
function headerText(text: string): string[] {
  return /^[\x20-\x7e]*$/.test(text) && !/=\?/.test(text) ? [text] : encodedWords(text);
}

/**
 * One header, folded at spaces so that no line exceeds 78 characters (a single longer token stays
 * whole). Unfolding (removing each CRLF) gives back the pieces joined by single spaces.
 */
function header(name: string, pieces: readonly string[]): string {
  const lines: string[] = [];
  let line = `${name}:`;
  for (const word of pieces.join(' ').split(' ')) {
    if (line.length + 1 + word.length > 78 && line !== `${name}:`) {
      lines.push(line);
      line = '';
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines.join(CRLF);
}

function address(a: Address): string[] {
  if (!a.name) return [a.email];
  const name = a.name.replace(/[\r\n]/g, ' ');
  if (/^[\x20-\x7e]*$/.test(name)) {
    const quoted = ATOM.test(name) ? name : `"${name.replace(/(["\\])/g, '\\$1')}"`;
    return [`${quoted} <${a.email}>`];
  }
  return [...encodedWords(name), `<${a.email}>`];
}

function addressList(list: readonly Address[]): string[] {
  return list.flatMap((a, i) => {
    const parts = address(a);
    return i < list.length - 1 ? [...parts.slice(0, -1), `${parts.at(-1)},`] : parts;
  });
}

/** base64 in lines of 76 characters. */
function base64Lines(bytes: Uint8Array): string {
  const out: string[] = [];
  // 57 input bytes → one 76-character line.
  for (let i = 0; i < bytes.length; i += 57 * 1024) {
    const encoded = toBase64(bytes.subarray(i, i + 57 * 1024));
    for (let j = 0; j < encoded.length; j += 76) out.push(encoded.slice(j, j + 76));
  }
  return out.join(CRLF);
}

/** A UTF-8 text body: 7bit when it is short lines of printable ASCII, else base64. */
function textPart(subtype: 'plain' | 'html', text: string): string {
  const normalised = text.replace(/\r?\n/g, CRLF);
  const sevenBit = /^[\x20-\x7e\t\r\n]*$/.test(normalised) && normalised.split(CRLF).every((l) => l.length <= 998);
  return [
    `Content-Type: text/${subtype}; charset=utf-8`,
    `Content-Transfer-Encoding: ${sevenBit ? '7bit' : 'base64'}`,
    '',
    sevenBit ? normalised : base64Lines(new TextEncoder().encode(text)),
  ].join(CRLF);
}

/** A quoted MIME parameter value (ASCII only; the caller encodes the rest). */
function quoted(value: string): string {
  return `"${value.replace(/(["\\])/g, '\\$1')}"`;
}

/** RFC 2231 extended parameter value: utf-8'' and percent-encoded bytes. */
function extendedValue(value: string): string {
  return `utf-8''${[...new TextEncoder().encode(value)].map((b) => (/[A-Za-z0-9!#$&+.^_`|~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('')}`;
}

function attachmentPart(a: MailToSeal['attachments'][number]): string {
  const contentType = isMimeContainerType(a.contentType) ? 'application/octet-stream' : a.contentType.toLowerCase();
  const ascii = /^[\x20-\x7e]*$/.test(a.filename);
  const name = ascii ? quoted(a.filename) : quoted(encodedWords(a.filename).join(' '));
  return [
    `Content-Type: ${contentType}; name=${name}`,
    'Content-Transfer-Encoding: base64',
    // A plain quoted file name when it is printable ASCII (every reader knows it), RFC 2231 otherwise.
    `Content-Disposition: attachment; ${ascii ? `filename=${name}` : `filename*=${extendedValue(a.filename)}`}`,
    '',
    base64Lines(a.content),
  ].join(CRLF);
}

/** A picture the HTML shows by `cid:` (a notification's logo): inline, named by its Content-ID. */
function inlinePart(image: InlineImage): string {
  return [
    `Content-Type: ${image.contentType}`,
    'Content-Transfer-Encoding: base64',
    `Content-ID: <${image.cid}>`,
    'Content-Disposition: inline',
    '',
    base64Lines(image.content),
  ].join(CRLF);
}

function multipart(subtype: 'mixed' | 'alternative' | 'related', boundary: string, parts: readonly string[]): string {
  return [
    `Content-Type: multipart/${subtype}; boundary=${quoted(boundary)}`,
    '',
    ...parts.flatMap((p) => [`--${boundary}`, p]),
    `--${boundary}--`,
    '',
  ].join(CRLF);
}

/** RFC 5322 date-time in UTC, e.g. "Sun, 06 Dec 2026 08:00:00 +0000". */
function rfc5322Date(date: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${days[date.getUTCDay()]}, ${pad(date.getUTCDate())} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/**
 * The message as MIME bytes. `random` draws the part boundaries (unguessable, so no content can
 * end a part early). `inline` pictures (an email's logo; never part of a sealed message) go with
 * the HTML body in `multipart/related`.
 */
export function composeMime(mail: MailToSeal & { readonly inline?: readonly InlineImage[] }, random: RandomBytes): Uint8Array {
  const boundary = (n: number) => `=_sealpost_${n}_${toBase64(random(12)).replace(/[+/=]/g, '')}`;
  const inline = mail.inline ?? [];
  const html = mail.html === undefined ? undefined
    : inline.length > 0 ? multipart('related', boundary(3), [textPart('html', mail.html), ...inline.map(inlinePart)]) : textPart('html', mail.html);
  const bodies = [
    ...(mail.text !== undefined ? [textPart('plain', mail.text)] : []),
    ...(html !== undefined ? [html] : []),
  ];
  const body = bodies.length > 1 ? multipart('alternative', boundary(2), bodies) : bodies[0] ?? textPart('plain', '');
  const content = mail.attachments.length > 0 ? multipart('mixed', boundary(1), [body, ...mail.attachments.map(attachmentPart)]) : body;
  const headers = [
    header('From', address(mail.from)),
    header('To', addressList(mail.to)),
    ...(mail.cc.length > 0 ? [header('Cc', addressList(mail.cc))] : []),
    ...(mail.replyTo ? [header('Reply-To', [mail.replyTo])] : []),
    header('Subject', headerText(mail.subject)),
    header('Message-ID', [mail.messageId]),
    header('Date', [rfc5322Date(mail.date)]),
    'MIME-Version: 1.0',
  ];
  return new TextEncoder().encode(`${headers.join(CRLF)}${CRLF}${content}`);
}
