/**
 * web/src/lib/lazy-mime.ts: the pickup page's parse keeps attachments' base64 bodies encoded until a
 * download asks for them. Whatever it cuts or not, the message it returns must be the one postal-mime
 * reads from the whole message (text, HTML, every attachment's name, type, Content-ID and bytes), and
 * the sizes it shows before decoding must be the decoded sizes.
 */
import { createHash, randomBytes } from 'node:crypto';

import fc from 'fast-check';
import PostalMime from 'postal-mime';
import { describe, expect, it } from 'vitest';

import { composeMime } from '../../functions/core/messages/index.ts';
import { findEncodedBodies, parseMessage, scanBase64 } from '../../web/src/lib/lazy-mime.ts';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const lines = (...parts: string[]): Uint8Array => encode(parts.join('\r\n'));
/** base64 in lines of 76, as mailers write it. */
const base64Lines = (bytes: Uint8Array, eol = '\r\n'): string => Buffer.from(bytes).toString('base64').replace(/.{76}/g, `$&${eol}`).replace(/\r?\n$/, '');

/** What postal-mime reads from the whole message, as the page read it before. */
async function reference(message: Uint8Array) {
  const email = await PostalMime.parse(message, { attachmentEncoding: 'arraybuffer', forceRfc822Attachments: true });
  return {
    subject: email.subject, text: email.text, html: email.html,
    attachments: email.attachments.map((a) => ({
      filename: a.filename, mimeType: a.mimeType, contentId: a.contentId, disposition: a.disposition, related: a.related,
      sha: sha256(new Uint8Array(a.content as ArrayBuffer)), size: (a.content as ArrayBuffer).byteLength,
    })),
  };
}

async function lazily(message: Uint8Array) {
  const email = await parseMessage(message);
  return {
    subject: email.subject, text: email.text, html: email.html,
    attachments: email.attachments.map((a) => ({
      filename: a.filename, mimeType: a.mimeType, contentId: a.contentId, disposition: a.disposition, related: a.related,
      sha: sha256(a.bytes()), size: a.size,
    })),
  };
}

/** The lazy parse equals postal-mime's, and cuts `cut` bodies out of the message. */
async function expectSameAsPostalMime(message: Uint8Array, cut: number): Promise<void> {
  expect(findEncodedBodies(message)).toHaveLength(cut);
  expect(await lazily(message)).toEqual(await reference(message));
}

describe('the lazy parse of a decrypted message', () => {
  it('keeps a large attachment encoded, shows its exact size, and decodes the original bytes', async () => {
    const file = new Uint8Array(randomBytes(300_001));
    const message = composeMime({
      from: { name: 'Sender', email: 'sender@example.com' }, to: [{ email: 'r@example.org' }], cc: [],
      subject: 'Report', text: 'The file is attached.', messageId: 'm1', date: new Date(),
      attachments: [{ filename: 'report.pdf', contentType: 'application/pdf', content: file }],
    }, (n) => new Uint8Array(randomBytes(n)));
    const bodies = findEncodedBodies(message);
    expect(bodies).toHaveLength(1);
    // The body the pass found is the attachment's whole base64, no more.
    expect(sha256(new Uint8Array(Buffer.from(new TextDecoder().decode(message.subarray(bodies[0]?.start, bodies[0]?.end)), 'base64')))).toBe(sha256(file));
    const email = await parseMessage(message);
    expect(email.text?.trim()).toBe('The file is attached.');
    const [attachment] = email.attachments;
    expect(attachment?.filename).toBe('report.pdf');
    expect(attachment?.size).toBe(file.length);
    expect(sha256(attachment?.bytes() ?? new Uint8Array())).toBe(sha256(file));
    await expectSameAsPostalMime(message, 1);
  });

  it('reads nested multiparts, an inline image, encoded file names and an attached message as postal-mime does', async () => {
    const png = new Uint8Array(randomBytes(5000));
    const pdf = new Uint8Array(randomBytes(20_000));
    const eml = encode('From: x@example.com\r\nSubject: inner\r\nContent-Type: text/html\r\n\r\n<b>inner</b>\r\n');
    const message = lines(
      'From: a@example.com', 'To: b@example.org', 'Subject: =?UTF-8?B?w4lsw6h2ZQ==?=', 'MIME-Version: 1.0',
      'Content-Type: multipart/mixed;', '\tboundary="outer"', '',
      'preamble', '--outer',
      'Content-Type: multipart/related; boundary=rel', '',
      '--rel',
      'Content-Type: multipart/alternative; boundary="alt"', '',
      '--alt', 'Content-Type: text/plain; charset=iso-8859-1', 'Content-Transfer-Encoding: quoted-printable', '', 'Caf=E9 =', 'ok', '--alt',
      'Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: base64', '', base64Lines(encode('<p>Hi <img src="cid:logo@x"></p>')), '--alt--',
      '--rel', 'Content-Type: image/png', 'Content-ID: <logo@x>', 'Content-Transfer-Encoding: base64', '', base64Lines(png), '--rel--',
      '--outer', "Content-Type: application/pdf; name*=UTF-8''%E2%82%AC%20bill.pdf", 'Content-Disposition: attachment', 'Content-Transfer-Encoding: BASE64', '', base64Lines(pdf), '',
      '--outer  ', 'Content-Type: message/rfc822', 'Content-Disposition: inline', 'Content-Transfer-Encoding: base64', '', base64Lines(eml),
      '--outer', 'Content-Type: message/rfc822', '', 'From: y@example.com', 'Subject: seven bit', '', 'plain', '',
      '--outer', 'Content-Type: application/octet-stream; name="=?UTF-8?Q?r=C3=A9sum=C3=A9.bin?="', 'Content-Transfer-Encoding: base64', '', base64Lines(pdf.subarray(0, 999), '\n'),
      '--outer--', 'epilogue', '',
    );
    await expectSameAsPostalMime(message, 4);
    const email = await parseMessage(message);
    expect(email.attachments.map((a) => a.filename)).toEqual([null, '€ bill.pdf', null, null, 'résumé.bin']);
    expect(email.attachments.map((a) => a.size)).toEqual([png.length, pdf.length, eml.length, expect.any(Number), 999]);
  });

  it('decodes odd base64 (padding mid-body, a lone last character, LF line ends) to the bytes postal-mime decodes', async () => {
    const bodies = ['QUJD\r\nREVG=\r\nR0g=\r\nSQ', 'QUJDRA==QUI=\r\nQ', 'QUJDREVGR0hJ\nSktM\n', '====', 'Q', '', 'QUJDRA=\r\n=\r\nQUJDRA'];
    for (const body of bodies) {
      const message = lines('Content-Type: multipart/mixed; boundary=b', '', '--b', 'Content-Type: text/plain', '', 'hi', '--b',
        'Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', '', body, '--b--', '');
      await expectSameAsPostalMime(message, 1);
    }
  });

  it('leaves a body with anything but base64 in it to postal-mime, and reads it as postal-mime does', async () => {
    for (const body of ['QUJD!!REVG', 'QUJD REVG', 'QUJD\tREVG', 'QUJD\r\n-not-a-boundary\r\nREVG', 'QUJD\r\n--b-\r\nREVG', 'Q\u00e9UJD']) {
      const message = lines('Content-Type: multipart/mixed; boundary=b', '', '--b',
        'Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', '', body, '--b--', '');
      await expectSameAsPostalMime(message, 0);
    }
  });

  it('ends a body at a delimiter of an outer multipart, and at the end of a message cut short', async () => {
    const data = new Uint8Array(randomBytes(777));
    const outer = lines('Content-Type: multipart/mixed; boundary=out', '', '--out', 'Content-Type: multipart/mixed; boundary=in', '',
      '--in', 'Content-Type: image/jpeg', 'Content-Transfer-Encoding: base64', '', base64Lines(data),
      '--out', 'Content-Type: text/plain', '', 'after', '--out--', '');
    await expectSameAsPostalMime(outer, 1);
    const short = lines('Content-Type: multipart/mixed; boundary=b', '', '--b', 'Content-Type: application/zip', 'Content-Transfer-Encoding: base64', '', base64Lines(data));
    await expectSameAsPostalMime(short, 1);
    const single = lines('Subject: one part', 'Content-Type: application/pdf', 'Content-Transfer-Encoding: base64', '', base64Lines(data), '');
    await expectSameAsPostalMime(single, 1);
  });

  it('cuts no text part and no calendar, and keeps their decoding to postal-mime', async () => {
    const message = lines('Content-Type: multipart/mixed; boundary=b', '', '--b',
      'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64', '', base64Lines(encode('Grüße')), '--b',
      'Content-Type: text/csv', 'Content-Disposition: attachment; filename=a.csv', 'Content-Transfer-Encoding: base64', '', base64Lines(encode('a,b\r\n1,2')), '--b',
      'Content-Type: application/ics; method=REQUEST', 'Content-Transfer-Encoding: base64', '', base64Lines(encode('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n')), '--b--', '');
    await expectSameAsPostalMime(message, 0);
  });

  it('parses the whole message with postal-mime when it cannot trust its own reading of the headers', async () => {
    const data = base64Lines(new Uint8Array(randomBytes(300)));
    for (const header of ['Content-Type: multipart/mixed; boundary=b; boundary=c', 'Content-Type: multipart/mixed; boundary*=b', 'Content-Type: multipart/mixed; (x) boundary=b']) {
      const message = lines(header, '', '--b', 'Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', '', data, '--b--', '');
      await expectSameAsPostalMime(message, 0);
    }
    // Two Content-Transfer-Encodings: which one postal-mime takes is its business.
    const twice = lines('Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', 'Content-Transfer-Encoding: 7bit', '', data, '');
    await expectSameAsPostalMime(twice, 0);
  });

  it('leaves a part whose type it cannot read to postal-mime', async () => {
    // No type postal-mime knows: it reads the part as text.
    const message = lines('Content-Type: multipart/mixed; boundary=b', '', '--b', 'Content-Type: nonsense', 'Content-Transfer-Encoding: base64', '',
      base64Lines(encode('hello there')), '--b--', '');
    await expectSameAsPostalMime(message, 0);
  });

  it('scans base64 four bytes at a time to the stop and size a byte at a time finds, wherever the bytes lie in their buffer', () => {
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const unitBytes = (n: number): number => Math.floor(n / 4) * 3 + (n % 4 === 0 ? 0 : (n % 4) - 1);
    /** The scan as it was: one byte at a time. */
    const byteByByte = (bytes: Uint8Array, start: number): { stop: number; size: number } => {
      let size = 0;
      let unit = 0;
      let i = start;
      for (; i < bytes.length; i++) {
        const c = String.fromCharCode(bytes[i] as number);
        if (ALPHABET.includes(c)) unit++;
        else if (c === '=') {
          size += unitBytes(unit);
          unit = 0;
        } else if (c !== '\r' && c !== '\n') break;
      }
      return { stop: i, size: size + unitBytes(unit) };
    };
    // Mostly base64 and line breaks, as a body is, with the bytes that stop or slow the scan now and then.
    const byte = fc.oneof(
      { weight: 30, arbitrary: fc.constantFrom(...Array.from(ALPHABET, (c) => c.charCodeAt(0))) },
      { weight: 3, arbitrary: fc.constantFrom(0x0d, 0x0a) },
      { weight: 1, arbitrary: fc.constantFrom(0x3d, 0x2d, 0x20, 0x09, 0x00, 0xc3, 0xff, 0x41 | 0x80) },
    );
    /** `content` as a view `before` bytes into its buffer, with `after` more bytes past its end: base64, which a scan must not read. */
    const viewOf = (content: ArrayLike<number>, before: number, after: number): Uint8Array => {
      const buffer = new Uint8Array(before + content.length + after).fill(0x41);
      buffer.set(content, before);
      return buffer.subarray(before, before + content.length);
    };
    fc.assert(fc.property(
      fc.array(byte, { maxLength: 600 }), fc.nat(7), fc.nat(7), fc.nat(40),
      (content, before, after, from) => {
        const bytes = viewOf(content, before, after);
        const start = Math.min(from, bytes.length + 1);
        expect(scanBase64(bytes, start)).toEqual(byteByByte(bytes, start));
      },
    ), { numRuns: 2000 });
    // Every 7 bytes of base64, line breaks, "=" and stops, at every alignment: each word of them,
    // whatever its two halves hold, is read as a byte at a time reads it.
    const alphabet = [0x41, 0x0d, 0x0a, 0x3d, 0x2d, 0x80];
    const content = new Uint8Array(7);
    for (let n = 0; n < alphabet.length ** content.length; n++) {
      for (let i = 0, rest = n; i < content.length; i++, rest = Math.floor(rest / alphabet.length)) content[i] = alphabet[rest % alphabet.length] as number;
      for (let before = 0; before < 4; before++) {
        const bytes = viewOf(content, before, 3);
        const fast = scanBase64(bytes, 0);
        const slow = byteByByte(bytes, 0);
        if (fast.stop !== slow.stop || fast.size !== slow.size) expect({ content: [...content], before, ...fast }).toEqual({ content: [...content], before, ...slow });
      }
    }
  });
});
