/**
 * Puts the hostile payloads (hostile-payloads.ts) into every field of the real local stack, through
 * its public APIs only: tenant settings (names, logos), webhooks, messages (subjects, bodies, names,
 * addresses, file names, an attached message) and secure replies. What each call answered is kept,
 * so that a test can assert what was refused and open what was accepted.
 */
import { deriveAccessToken, deriveLinkToken, deriveMessageKey } from '../../functions/core/protocol/index.ts';
import type { LocalStack } from '../../functions/entries/local/start-local.ts';
import { capturedMail } from '../../functions/stand-ins/stand-ins.ts';
import { parseLink } from './builders.ts';
import { EMAIL_PAYLOADS, LOGO_PAYLOADS, PAYLOADS, WEBHOOK_PAYLOADS, fitsFilename, fitsLine, hasControls, type Payload } from './hostile-payloads.ts';
import { SMUGGLED_MESSAGE } from './smuggled-message.ts';

/** Where replies go: the demo tenant's sender address (it sets no replyTo). */
export const DEMO_SENDER = 'notices@demo-clinic.example';
/** Every recipient of every message: the one who signs in to the inbox. */
export const READER = 'alice@example.com';
/** The attached message (message/rfc822) every message carries. */
export const ATTACHED_MESSAGE_NAME = 'password-notice.eml';

/**
 * Separates payloads in an HTML body. Before each payload, a probe (a <p> the sanitizer keeps)
 * proves the payload starts in normal markup: whatever the one before it left open (an attribute,
 * a comment, raw text, a template) the reset after it closes.
 */
const CLOSERS = '</p></textarea></title></style></script></noscript></noembed></noframes></iframe></xmp></select></option></template>'
  + '</mglyph></malignmark></mi></mo></mn></ms></mtext></annotation-xml></math></foreignObject></desc></svg></table></form></a>';
const HTML_RESET = `'">-->${CLOSERS}${CLOSERS}`;

export function probeOf(p: Payload): string {
  return `probe ${p.id}`;
}

/** The HTML body carrying `payloads` (a `final` one last), each after its probe and before a reset. */
export function htmlBodyOf(payloads: readonly Payload[]): string {
  const ordered = [...payloads.filter((p) => !p.final), ...payloads.filter((p) => p.final)];
  return `<p>Hostile content test</p>${ordered.map((p) => `<p class="probe">${probeOf(p)}</p>${p.text}${HTML_RESET}`).join('\n')}`;
}

/** Consecutive groups of `payloads` whose texts, joined by " | ", fit in `max` characters. */
function pack(payloads: readonly Payload[], max: number): Payload[][] {
  const groups: Payload[][] = [[]];
  for (const p of payloads) {
    const group = groups[groups.length - 1]!;
    if ([...group, p].map((q) => q.text).join(' | ').length > max && group.length > 0) groups.push([p]);
    else group.push(p);
  }
  return groups;
}
const joined = (payloads: readonly Payload[]) => payloads.map((p) => p.text).join(' | ');
const lines = (payloads: readonly Payload[]) => payloads.map((p) => p.text).join('\n');
const base64 = (text: string) => Buffer.from(text).toString('base64');

/** Tenant display names: the payloads aimed at server-side templates (title, comment slots, attributes). */
export const TENANT_NAMES = PAYLOADS.filter((p) => (p.kind === 'context-break' || p.kind === 'template') && fitsLine(p, 100));
/** The tenant's name once the world is built, and at the end of every test that changes it. */
export const LAST_TENANT_NAME = TENANT_NAMES.at(-1)!;
/** One subject per message, "Re: " + it still under the reply form's 250 characters. */
export const SUBJECTS = pack(PAYLOADS.filter((p) => fitsLine(p, 240)).slice(0, 24), 240);
const FILENAMES = PAYLOADS.filter(fitsFilename);
const NAMES = PAYLOADS.filter((p) => fitsLine(p, 200));
const NAMES_PER_MESSAGE = 30;
const FILES_PER_MESSAGE = 18;

export interface SentMessage {
  readonly id: string;
  /** The pickup link of READER. */
  readonly link: string;
  readonly subject: Payload[];
  /** The subject as sent: its payloads joined by " | ". */
  readonly subjectText: string;
  /** The tenant's name when it was sent: its From. */
  readonly from: Payload;
  readonly names: Payload[];
  readonly emails: Payload[];
  readonly files: Payload[];
  readonly html: Payload[];
  readonly text: Payload[];
}

export interface SentReply {
  readonly link: string;
  readonly subject: string;
  /** The replying recipient's name: the reply's From. */
  readonly from: Payload;
  readonly text: Payload[];
  readonly files: Payload[];
}

export interface HostileWorld {
  readonly messages: SentMessage[];
  readonly replies: SentReply[];
  /** Status of each logo upload, by payload id. */
  readonly logos: Map<string, number>;
  /** Status (and the URL as stored) of each webhook registration, by payload id. */
  readonly webhooks: Map<string, { status: number; url?: string }>;
  /** Status of each send with a control or bidi character in a file name. */
  readonly bidiFiles: Map<string, number>;
  /** Status of each reply that tried to attach a message (message/rfc822). */
  readonly attachedMessageReplies: number[];
  api(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; body: Record<string, unknown> }>;
  setTenantName(name: Payload): Promise<void>;
  mailTo(address: string): Promise<Awaited<ReturnType<typeof capturedMail>>>;
}

function expectStatus(status: number, expected: number, what: string): void {
  if (status !== expected) throw new Error(`${what} answered ${status}, not ${expected}`);
}

export async function buildHostileWorld(stack: LocalStack): Promise<HostileWorld> {
  const world: HostileWorld = {
    messages: [], replies: [], logos: new Map(), webhooks: new Map(), bidiFiles: new Map(), attachedMessageReplies: [],
    async api(method, path, body, key = stack.adminKey) {
      const res = await fetch(`${stack.appUrl}${path}`, {
        method, headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: await res.json().catch(() => ({})) as Record<string, unknown> };
    },
    async setTenantName(name) {
      expectStatus((await world.api('PATCH', '/v1/admin/settings', { displayName: name.text })).status, 200, `displayName ${name.id}`);
    },
    async mailTo(address) {
      return (await capturedMail(stack.mailboxUrl)).filter((m) => m.destination.to.some((t) => t.includes(address)));
    },
  };
  const { api } = world;
  expectStatus((await api('PATCH', '/v1/admin/settings', { messageCenter: true })).status, 200, 'messageCenter');
  for (const logo of LOGO_PAYLOADS) {
    world.logos.set(logo.id, (await api('PATCH', '/v1/admin/settings', { brand: { logo: { contentType: 'image/svg+xml', data: base64(logo.text) } } })).status);
  }
  for (const hook of WEBHOOK_PAYLOADS) {
    const { status, body } = await api('POST', '/v1/admin/webhooks', { url: hook.text, events: ['*'] });
    world.webhooks.set(hook.id, { status, ...(typeof body.url === 'string' ? { url: body.url } : {}) });
  }
  for (const p of PAYLOADS.filter(hasControls)) {
    const attachments = [{ filename: p.text, contentType: 'application/pdf', content: base64('x') }];
    world.bidiFiles.set(p.id, (await api('POST', '/v1/messages', { to: [READER], subject: 'x', text: 'x', attachments }, stack.apiKey)).status);
  }

  for (const [i, subject] of SUBJECTS.entries()) {
    const from = TENANT_NAMES[i % TENANT_NAMES.length]!;
    await world.setTenantName(from);
    const names = NAMES.slice(i * NAMES_PER_MESSAGE, (i + 1) * NAMES_PER_MESSAGE);
    // The first message carries every payload in its bodies; the others their recipients' names.
    const content = i === 0 ? [...PAYLOADS] : names;
    const message = { subject, subjectText: joined(subject), from, names, emails: i === 0 ? [...EMAIL_PAYLOADS] : [], files: FILENAMES.slice(i * FILES_PER_MESSAGE, (i + 1) * FILES_PER_MESSAGE), html: i === 0 ? [...PAYLOADS] : [], text: content };
    const sent = await api('POST', '/v1/messages', {
      to: [{ email: READER, name: names[0]!.text }, ...names.slice(1, 20).map((p, n) => ({ email: `to${i}-${n}@example.com`, name: p.text }))],
      cc: [...names.slice(20).map((p, n) => ({ email: `cc${i}-${n}@example.com`, name: p.text })), ...message.emails.map((p) => p.text)],
      subject: message.subjectText,
      text: lines(message.text),
      ...(message.html.length > 0 ? { html: htmlBodyOf(message.html) } : {}),
      attachments: [
        ...message.files.map((p) => ({ filename: p.text, contentType: 'text/html', content: base64(p.text) })),
        { filename: ATTACHED_MESSAGE_NAME, contentType: 'message/rfc822', content: base64(SMUGGLED_MESSAGE) },
      ],
    }, stack.apiKey);
    expectStatus(sent.status, 201, `message ${i}`);
    const id = sent.body.id as string;
    const link = parseLink((await world.mailTo(READER)).find((mail) => mail.body.text?.includes(id))?.body.text ?? '').url;
    world.messages.push({ id, link, ...message });
  }

  // Replies from two recipients of the first message: their names become the replies' From.
  const first = world.messages[0]!;
  for (const [address, from, files] of [[READER, first.names[0]!, FILENAMES.slice(-10)], ['to0-1@example.com', first.names[2]!, []]] as const) {
    const { secret } = parseLink((await world.mailTo(address)).find((m) => m.body.text?.includes(first.id))?.body.text ?? '');
    const credentials = { link: await deriveLinkToken(secret), token: await deriveAccessToken(await deriveMessageKey(secret)) };
    const subject = `Re: ${first.subjectText}`;
    const attachedMessage = [{ filename: 'n.eml', contentType: 'message/rfc822', content: base64(SMUGGLED_MESSAGE) }];
    world.attachedMessageReplies.push((await api('POST', `/m/${first.id}/reply`, { ...credentials, subject, text: 'x', attachments: attachedMessage })).status);
    const sent = await api('POST', `/m/${first.id}/reply`, {
      ...credentials, subject, text: lines(PAYLOADS), attachments: files.map((p) => ({ filename: p.text, contentType: 'application/octet-stream', content: base64('x') })),
    });
    expectStatus(sent.status, 201, `reply from ${address}`);
    const notice = (await world.mailTo(DEMO_SENDER)).find((m) => m.subject.startsWith(`${address} replied`));
    world.replies.push({ link: parseLink(notice?.body.text ?? '').url, from, subject, text: [...PAYLOADS], files: [...files] });
  }
  await world.setTenantName(LAST_TENANT_NAME);
  return world;
}
