import PostalMime from 'postal-mime';
import { describe, expect, it } from 'vitest';
import { NodemailerMimeComposer } from '../../../functions/adapters/mime/nodemailer-composer.ts';
import type { MailToSeal } from '../../../functions/core/messages/index.ts';
import { MULTIPART_BODY, SMUGGLED_MARKER, smuggledBytes } from '../../helpers/smuggled-message.ts';

const aMail = (overrides: Partial<MailToSeal> = {}): MailToSeal => ({
  from: { email: 'alice@example.com', name: 'Alice Example' },
  to: [{ email: 'desk@acme.example' }],
  cc: [],
  subject: 'Re: Lab results',
  text: 'Thanks, see attached.',
  attachments: [],
  date: new Date('2026-11-29T12:00:00Z'),
  messageId: 'm-1@sealpost',
  ...overrides,
});

/** Parsed as a mail reader with default options would: an inline message/rfc822 part joins the body. */
const parse = async (mime: Uint8Array) => PostalMime.parse(mime, { attachmentEncoding: 'arraybuffer' });
const bytesOf = (content: ArrayBuffer | Uint8Array | string) => new Uint8Array(typeof content === 'string' ? new TextEncoder().encode(content) : content);

describe('NodemailerMimeComposer', () => {
  it.each(['message/rfc822', 'message/global', 'Message/RFC822'])('writes a %s attachment as an opaque file that no reader shows in the body', async (contentType) => {
    const mail = aMail({ attachments: [{ filename: 'notice.eml', contentType, content: smuggledBytes() }] });

    const mime = await new NodemailerMimeComposer().compose(mail);
    const parsed = await parse(mime);

    expect(`${parsed.text ?? ''}${parsed.html ?? ''}`).not.toContain(SMUGGLED_MARKER);
    expect(parsed.text).toContain('Thanks, see attached.');
    expect(parsed.attachments.map((a) => [a.filename, a.mimeType, a.disposition])).toEqual([['notice.eml', 'application/octet-stream', 'attachment']]);
    expect(bytesOf(parsed.attachments[0]!.content)).toEqual(smuggledBytes());
    expect(new TextDecoder().decode(mime)).not.toMatch(/^Content-Type: message\//im);
  });

  it('keeps a multipart/* attachment as an opaque file with its bytes instead of dropping it', async () => {
    const content = new TextEncoder().encode(MULTIPART_BODY);
    const mail = aMail({ attachments: [{ filename: 'parts.bin', contentType: 'multipart/mixed', content }] });

    const parsed = await parse(await new NodemailerMimeComposer().compose(mail));

    expect(parsed.text).not.toContain('MULTIPART-CONTENT');
    expect(parsed.attachments.map((a) => [a.filename, a.mimeType])).toEqual([['parts.bin', 'application/octet-stream']]);
    expect(bytesOf(parsed.attachments[0]!.content)).toEqual(content);
  });

  it('keeps the media type of an ordinary attachment and marks it as an attachment', async () => {
    const mail = aMail({ attachments: [{ filename: 'page.html', contentType: 'text/html', content: new TextEncoder().encode('<b>FILE-HTML</b>') }] });

    const parsed = await parse(await new NodemailerMimeComposer().compose(mail));

    expect(parsed.html).toBeUndefined();
    expect(parsed.attachments.map((a) => [a.filename, a.mimeType, a.disposition])).toEqual([['page.html', 'text/html', 'attachment']]);
  });
});
