/**
 * The MIME writer, read back by two parsers nobody here wrote: postal-mime (what the pickup page
 * uses) and Python's standard `email` package (an independent implementation of RFC 5322/2045/2047/2231).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import PostalMime from 'postal-mime';
import { describe, expect, it } from 'vitest';
import { composeMime, type MailToSeal } from '../../../functions/core/messages/index.ts';
import { MULTIPART_BODY, SMUGGLED_MARKER, smuggledBytes } from '../../helpers/smuggled-message.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));

const aMail = (overrides: Partial<MailToSeal> = {}): MailToSeal => ({
  from: { email: 'notices@acme.example', name: 'Acme Health' },
  to: [{ email: 'alice@example.com', name: 'Alice Example' }],
  cc: [],
  subject: 'Lab results',
  text: 'Hello Alice,\n\nyour results are ready.',
  attachments: [],
  date: new Date('2026-11-29T12:00:00Z'),
  messageId: '<m-1@sealpost>',
  ...overrides,
});

const parse = (mime: Uint8Array) => PostalMime.parse(mime, { attachmentEncoding: 'arraybuffer' });
const bytesOf = (content: ArrayBuffer | Uint8Array | string) => new Uint8Array(typeof content === 'string' ? new TextEncoder().encode(content) : content);

/** What Python's email package (policy.default) makes of the MIME: headers decoded, parts walked. */
function python(mime: Uint8Array): { headers: Record<string, string>; parts: { type: string; filename: string | null; disposition: string | null; sha256: string; text: string | null }[]; defects: string[] } {
  const script = `
import sys, json, hashlib, email
from email import policy
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)
parts = []
defects = [repr(d) for d in m.defects]
for p in m.walk():
    defects += [repr(d) for d in p.defects]
    if p.is_multipart():
        continue
    payload = p.get_payload(decode=True) or b''
    text = p.get_content() if p.get_content_maintype() == 'text' and p.get_content_disposition() != 'attachment' else None
    parts.append({'type': p.get_content_type(), 'filename': p.get_filename(), 'disposition': p.get_content_disposition(), 'sha256': hashlib.sha256(payload).hexdigest(), 'text': text})
print(json.dumps({'headers': {k: str(m[k]) for k in ['From', 'To', 'Cc', 'Reply-To', 'Subject', 'Message-ID', 'Date']}, 'parts': parts, 'defects': defects}))
`;
  return JSON.parse(execFileSync('python3', ['-c', script], { input: mime }).toString());
}

const sha256 = async (bytes: Uint8Array) => Buffer.from(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)).toString('hex');

describe('composeMime', () => {
  it('writes headers, text and HTML, and attachments that two independent parsers read back exactly, Unicode included', async () => {
    const pdf = random(200_000);
    const mail = aMail({
      from: { email: 'notices@acme.example', name: 'Åcme Hëalth — Zürich "Care"' },
      to: [{ email: 'alice@example.com', name: 'Alice, Example' }, { email: 'bob@example.com' }],
      cc: [{ email: 'carol@example.com', name: '山田 花子' }],
      replyTo: 'desk@acme.example',
      subject: 'Résultats du laboratoire — 🔒 a subject long enough to be folded over more than one line of the header',
      text: 'Grüße,\n\nline two\n.\nFrom here on',
      html: '<p>Grüße, <b>Alice</b></p>',
      attachments: [
        { filename: 'résumé 2026.pdf', contentType: 'Application/PDF', content: pdf },
        { filename: 'notes.txt', contentType: 'text/plain', content: new TextEncoder().encode('plain notes') },
      ],
    });

    const mime = composeMime(mail, random);
    const text = new TextDecoder().decode(mime);
    const viaPostal = await parse(mime);
    const viaPython = python(mime);

    expect(text.split('\r\n').every((line) => line.length <= 998)).toBe(true);
    expect(text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n').every((line) => line.length <= 78)).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toContain('\n');
    for (const parsed of [viaPostal.subject, viaPython.headers.Subject]) expect(parsed).toBe(mail.subject);
    expect(viaPostal.from).toEqual({ name: 'Åcme Hëalth — Zürich "Care"', address: 'notices@acme.example' });
    expect(viaPostal.to?.map((a) => [a.name, a.address])).toEqual([['Alice, Example', 'alice@example.com'], ['', 'bob@example.com']]);
    expect(viaPython.headers.Cc).toBe('山田 花子 <carol@example.com>');
    expect(viaPython.headers['Reply-To']).toBe('desk@acme.example');
    expect(viaPython.headers['Message-ID']).toBe('<m-1@sealpost>');
    expect(viaPython.headers.Date).toBe('Sun, 29 Nov 2026 12:00:00 +0000');
    expect(viaPostal.text?.replace(/\r\n/g, '\n')).toBe('Grüße,\n\nline two\n.\nFrom here on');
    expect(viaPostal.html).toBe('<p>Grüße, <b>Alice</b></p>');
    expect(viaPython.parts.map((p) => [p.type, p.filename, p.disposition])).toEqual([
      ['text/plain', null, null], ['text/html', null, null], ['application/pdf', 'résumé 2026.pdf', 'attachment'], ['text/plain', 'notes.txt', 'attachment'],
    ]);
    expect(viaPython.parts[2]?.sha256).toBe(await sha256(pdf));
    expect(viaPostal.attachments.map((a) => a.filename)).toEqual(['résumé 2026.pdf', 'notes.txt']);
    expect(bytesOf(viaPostal.attachments[0]!.content)).toEqual(pdf);
    expect(viaPython.defects).toEqual([]);
  });

  it.each(['message/rfc822', 'message/global', 'Message/RFC822', 'multipart/mixed'])('writes a %s attachment as an opaque file that no reader shows in the body', async (contentType) => {
    const content = contentType.startsWith('multipart') ? new TextEncoder().encode(MULTIPART_BODY) : smuggledBytes();
    const mail = aMail({ text: 'See attached.', attachments: [{ filename: 'notice.eml', contentType, content }] });

    const mime = composeMime(mail, random);
    const parsed = await parse(mime);

    expect(`${parsed.text ?? ''}${parsed.html ?? ''}`).not.toContain(SMUGGLED_MARKER);
    expect(parsed.text).toContain('See attached.');
    expect(parsed.attachments.map((a) => [a.filename, a.mimeType, a.disposition])).toEqual([['notice.eml', 'application/octet-stream', 'attachment']]);
    expect(bytesOf(parsed.attachments[0]!.content)).toEqual(content);
    expect(new TextDecoder().decode(mime)).not.toMatch(/^Content-Type: (message|multipart\/mixed; boundary="[^=])/im);
  });

  it('keeps a header injection attempt inside the header it was given (no line break survives)', () => {
    const mail = aMail({ subject: 'Hi\r\nBcc: evil@example.com', to: [{ email: 'alice@example.com', name: 'A\r\nBcc: x@evil.example' }] });

    const parsed = python(composeMime(mail, random));

    expect(parsed.headers.Subject).toBe('Hi\r\nBcc: evil@example.com');
    expect(Object.keys(parsed.headers)).not.toContain('Bcc');
    expect(new TextDecoder().decode(composeMime(mail, random))).not.toMatch(/^Bcc:/m);
  });

  it('writes one body alone, and an empty text body when neither is given', async () => {
    const htmlOnly = await parse(composeMime(aMail({ text: undefined, html: '<p>only</p>' }), random));
    const htmlOnlyPython = python(composeMime(aMail({ text: undefined, html: '<p>only</p>' }), random));
    const neither = python(composeMime(aMail({ text: undefined }), random));

    expect([htmlOnly.html?.trim(), htmlOnly.text]).toEqual(['<p>only</p>', undefined]);
    expect(htmlOnlyPython.parts.map((p) => [p.type, p.text])).toEqual([['text/html', '<p>only</p>']]);
    expect(neither.parts.map((p) => [p.type, p.text])).toEqual([['text/plain', '']]);
  });

  it('draws its boundaries from `random`, so content cannot end a part early', () => {
    const mail = aMail({ html: '<p>x</p>', attachments: [{ filename: 'a.txt', contentType: 'text/plain', content: new TextEncoder().encode('a') }] });
    const zeros = (n: number) => new Uint8Array(n);

    const one = new TextDecoder().decode(composeMime(mail, random));
    const two = new TextDecoder().decode(composeMime(mail, random));

    expect(one).not.toBe(two);
    expect(new TextDecoder().decode(composeMime(mail, zeros))).toContain('boundary="=_sealpost_1_AAAAAAAAAAAAAAAA"');
  });
});

describe('composeMime with an inline picture (a notification\'s logo)', () => {
  it('puts the picture beside the HTML in multipart/related under its Content-ID, which both parsers read back', async () => {
    const png = new Uint8Array(randomBytes(300));

    const mime = composeMime({ ...aMail({ html: '<p><img src="cid:brand-logo" alt="Acme"></p>' }), inline: [{ cid: 'brand-logo', contentType: 'image/png', content: png }] }, random);

    const text = new TextDecoder().decode(mime);
    expect(text).toMatch(/Content-Type: multipart\/alternative;[\s\S]*Content-Type: text\/plain[\s\S]*Content-Type: multipart\/related;[\s\S]*Content-Type: text\/html[\s\S]*Content-ID: <brand-logo>\r\nContent-Disposition: inline/);
    const parsed = await parse(mime);
    expect(parsed.attachments).toHaveLength(1);
    expect(parsed.attachments[0]).toMatchObject({ contentId: '<brand-logo>', disposition: 'inline', mimeType: 'image/png' });
    expect(bytesOf(parsed.attachments[0]!.content)).toEqual(png);
    const py = python(mime);
    expect(py.defects).toEqual([]);
    expect(py.parts.map((p) => p.type)).toEqual(['text/plain', 'text/html', 'image/png']);
    expect(py.parts[2]?.sha256).toBe(await sha256(png));
  });
});
