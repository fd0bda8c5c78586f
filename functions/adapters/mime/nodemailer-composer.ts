/**
 * MimeComposer with nodemailer's MailComposer: a maintained RFC 5322/2045 writer (encoded words,
 * line folding, multipart/alternative + mixed) rather than hand-written MIME.
 */
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Address } from '../../core/shared/index.ts';
import { isMimeContainerType, type MailToSeal, type MimeComposer } from '../../core/messages/index.ts';

function formatAddress(address: Address): { name: string; address: string } | string {
  return address.name ? { name: address.name, address: address.email } : address.email;
}

export class NodemailerMimeComposer implements MimeComposer {
  async compose(mail: MailToSeal): Promise<Uint8Array> {
    const composer = new MailComposer({
      from: formatAddress(mail.from),
      to: mail.to.map(formatAddress),
      ...(mail.cc.length > 0 ? { cc: mail.cc.map(formatAddress) } : {}),
      ...(mail.replyTo ? { replyTo: mail.replyTo } : {}),
      subject: mail.subject,
      date: mail.date,
      messageId: mail.messageId,
      ...(mail.text !== undefined ? { text: mail.text } : {}),
      ...(mail.html !== undefined ? { html: mail.html } : {}),
      attachments: mail.attachments.map((a) => ({
        filename: a.filename,
        // A message/* part would be written inline and unencoded, and a reader would show it as part of
        // the body (HTML, forged From and all); a multipart/* part would lose its content. As opaque
        // bytes, both stay files the recipient can only download.
        contentType: isMimeContainerType(a.contentType) ? 'application/octet-stream' : a.contentType,
        contentDisposition: 'attachment' as const,
        content: Buffer.from(a.content),
      })),
      // Sender input must never make the composer read local files or fetch URLs.
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    const built = await composer.compile().build();
    return new Uint8Array(built.buffer, built.byteOffset, built.byteLength);
  }
}
