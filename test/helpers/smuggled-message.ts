/**
 * The attack of "HTML smuggled into a text-only reply": an RFC 822 message, attached as a file,
 * whose HTML body and forged From a mail reader would show as part of the message that carries it.
 * Every visible string holds SMUGGLED, so a test can tell whether any of it reached a body.
 */
export const SMUGGLED_MARKER = 'SMUGGLED';

export const SMUGGLED_MESSAGE = [
  'From: "IT Service Desk SMUGGLED" <security@acme.example>',
  'To: staff@acme.example',
  'Subject: Your password expires today SMUGGLED',
  'MIME-Version: 1.0',
  'Content-Type: multipart/alternative; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Your password expires today SMUGGLED-TEXT. Renew it at https://evil.example/renew',
  '--b1',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<div style="border:2px solid #b00;padding:12px"><b>Your password expires today SMUGGLED-HTML</b>',
  '<p><a href="https://evil.example/renew">Renew it now</a></p></div>',
  '--b1--',
  '',
].join('\r\n');

/** The attached message's bytes. */
export const smuggledBytes = (): Uint8Array => new TextEncoder().encode(SMUGGLED_MESSAGE);

/** A multipart body as an attachment: before the fix it vanished from the message altogether. */
export const MULTIPART_BODY = '--x\r\nContent-Type: text/plain\r\n\r\nMULTIPART-CONTENT\r\n--x--\r\n';
