/**
 * Canaries over the real local stack: unique markers as message content (subject, text, HTML,
 * attachment name and bytes, a reply's too) and every credential the product handles (recipient
 * secrets and the tokens derived from them, a passcode, email codes, grants, inbox sign-in codes and
 * session tokens, a recovery secret and the custody key it unlocks, API keys, a webhook signing
 * secret), driven through every flow: sends with an idempotency key, opens, codes, passcodes, a
 * reply, the inbox, recovery, a revocation, and webhook deliveries by the maintenance run. Then each
 * marker is looked for in every sink the server has: every DynamoDB attribute, every log line,
 * every problem body, every request target the server saw, every email (a secret or code only in
 * the one email that must carry it), every webhook delivery, and everything the API's reads show.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deriveAccessToken, deriveLinkToken, deriveMessageKey, hashAccessToken, unwrapRecoveredSecret,
} from '../../functions/core/protocol/index.ts';
import type { LocalStack } from '../../functions/entries/local/start-local.ts';
import { capturedMail, type CapturedMail } from '../../functions/stand-ins/stand-ins.ts';
import { parseLink } from '../helpers/builders.ts';
import { dumpTable } from '../helpers/leak-scan.ts';
import { startTestStack } from '../helpers/local-stack.ts';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.ts';

/** Where replies go: the demo tenant's sender address (it sets no replyTo). */
const DEMO_SENDER = 'notices@demo-clinic.example';
const SINKS = ['table', 'logs', 'problems', 'urls', 'mail', 'webhooks', 'reads'] as const;
type Sink = typeof SINKS[number];

interface Marker {
  readonly value: string;
  /** Six digits: matched as a whole number only, so that a timestamp or a hash cannot match by chance. */
  readonly digits?: true;
  /** The one email that must carry it (and no other may): to whom, and a word of its subject. */
  readonly carrier?: { readonly to: string; readonly subject: string };
}

const base64 = (text: string) => Buffer.from(text).toString('base64');
const decoded = (target: string): string[] => {
  const out = [target];
  for (let i = 0; i < 2; i++) {
    try {
      out.push(decodeURIComponent(out.at(-1)!));
    } catch {
      break;
    }
  }
  return out;
};

let stack: LocalStack;
let receiver: Receiver;
const logs: string[] = [];
const targets: string[] = [];
const problems: string[] = [];
/** Bodies of every successful GET: what the API shows its callers of messages, events, keys and webhooks. */
const reads: string[] = [];

beforeAll(async () => {
  receiver = await startReceiver();
  stack = await startTestStack({
    logWrite: (line) => logs.push(line),
    logLevel: 'info',
    // Webhooks are delivered by the maintenance run the test starts; inbox code requests unpaced.
    maintenanceIntervalMs: 0,
    signInAnswerMs: 0,
    onRequest: ({ method, target }) => targets.push(`${method} ${target}`),
  });
});
afterAll(async () => {
  await stack?.close();
  await receiver?.close();
});

interface Answer { status: number; headers: Headers; text: string; json<T>(): T }

/** A request to the app; every problem body that comes back is kept as a sink. */
async function call(method: string, path: string, options: { key?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const res = await fetch(`${stack.appUrl}${path}`, {
    method,
    headers: {
      ...(options.key ? { Authorization: `Bearer ${options.key}` } : {}),
      ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  if (res.status >= 400) problems.push(text);
  else if (method === 'GET') reads.push(text);
  return { status: res.status, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
}

const mailTo = async (to: string, subject = '') => (await capturedMail(stack.mailboxUrl)).filter((m) => m.destination.to.some((t) => t.includes(to)) && m.subject.includes(subject));
const codeIn = (mail: CapturedMail | undefined) => /^\s+(\d{6})$/m.exec(mail?.body.text ?? '')?.[1] ?? '';
const otherCode = (code: string) => String((Number(code) + 500_001) % 1_000_000).padStart(6, '0');

describe('canaries in every sink', () => {
  it('finds no content, secret, token, code, passcode, grant, session, recovery secret, custody key or API key anywhere but where it must be', async () => {
    const markers = new Map<string, Marker>();
    const mark = (name: string, value: string, extra: Omit<Marker, 'value'> = {}) => {
      expect(value, name).not.toBe('');
      markers.set(name, { value, ...extra });
    };
    mark('send key', stack.apiKey);
    mark('admin key', stack.adminKey);

    // Admin: a new send key, and a webhook (its secret is shown once).
    const created = await call('POST', '/v1/admin/keys', { key: stack.adminKey, body: { scope: 'send' } });
    expect(created.status).toBe(201);
    const newKey = created.json<{ key: string }>().key;
    mark('created key', newKey);
    const hook = await call('POST', '/v1/admin/webhooks', { key: stack.adminKey, body: { url: receiver.url, events: ['*'] } });
    expect(hook.status).toBe(201);
    const { id: hookId, secret: hookSecret } = hook.json<{ id: string; secret: string }>();
    mark('webhook secret', hookSecret);

    // A send with an idempotency key, repeated, then reused for another body; and refused sends carrying content.
    const content = {
      subject: 'CNRY-SUBJECT-ONE', text: 'CNRY-TEXT-ONE', html: '<p>CNRY-HTML-ONE</p>',
      attachments: [{ filename: 'CNRY-FILENAME-ONE.txt', contentType: 'text/plain', content: base64('CNRY-BYTES-ONE') }],
    };
    for (const [name, value] of Object.entries({ subject: content.subject, text: content.text, html: 'CNRY-HTML-ONE', 'file name': 'CNRY-FILENAME-ONE', 'attachment bytes': 'CNRY-BYTES-ONE', 'attachment base64': content.attachments[0]!.content })) {
      mark(name, value);
    }
    const first = { to: ['ann@example.com', 'ben@example.com'], cc: ['cat@example.com'], ...content };
    const sent = await call('POST', '/v1/messages', { key: stack.apiKey, body: first, headers: { 'Idempotency-Key': 'canary-1' } });
    expect(sent.status).toBe(201);
    const again = await call('POST', '/v1/messages', { key: stack.apiKey, body: first, headers: { 'Idempotency-Key': 'canary-1' } });
    expect(again.json<{ id: string }>().id).toBe(sent.json<{ id: string }>().id);
    expect((await call('POST', '/v1/messages', { key: stack.apiKey, body: { ...first, to: ['ann@example.com'] }, headers: { 'Idempotency-Key': 'canary-1' } })).status).toBe(422);
    expect((await call('POST', '/v1/messages', { key: stack.apiKey, body: { ...first, to: ['not an address'] } })).status).toBe(422);
    expect((await call('POST', '/v1/messages', { key: `${stack.apiKey}x`, body: first })).status).toBe(401);
    expect((await call('GET', '/v1/admin/settings', { key: newKey })).status).toBe(403);

    const links = new Map<string, ReturnType<typeof parseLink>>();
    for (const to of ['ann@example.com', 'ben@example.com', 'cat@example.com']) {
      const notifications = await mailTo(to);
      expect(notifications, to).toHaveLength(1);
      const link = parseLink(notifications[0]?.body.text ?? '');
      links.set(to, link);
      mark(`secret of ${to}`, link.secret, { carrier: { to, subject: 'sent you a secure message' } });
    }
    const ann = links.get('ann@example.com')!;
    const annCreds = { link: await deriveLinkToken(ann.secret), token: await deriveAccessToken(ann.secret) };
    mark('access token', annCreds.token);
    mark('link token', annCreds.link);

    // Open; a wrong token; a reply (and a refused one carrying its content); revocation.
    expect((await call('POST', `/m/${ann.id}/open`, { body: annCreds })).status).toBe(200);
    const wrongToken = await deriveAccessToken(await deriveLinkToken(annCreds.token));
    mark('wrong token', wrongToken);
    expect((await call('POST', `/m/${ann.id}/open`, { body: { link: annCreds.link, token: wrongToken } })).status).toBe(404);
    const reply = {
      ...annCreds, subject: 'Re: CNRY-REPLY-SUBJECT', text: 'CNRY-REPLY-TEXT',
      attachments: [{ filename: 'CNRY-REPLY-FILENAME.txt', contentType: 'text/plain', content: base64('CNRY-REPLY-BYTES') }],
    };
    mark('reply subject', 'CNRY-REPLY-SUBJECT');
    mark('reply text', 'CNRY-REPLY-TEXT');
    mark('reply file name', 'CNRY-REPLY-FILENAME');
    mark('reply bytes', 'CNRY-REPLY-BYTES');
    const refusedReply = { ...reply, attachments: [{ ...reply.attachments[0]!, contentType: 'message/rfc822' }] };
    expect((await call('POST', `/m/${ann.id}/reply`, { body: refusedReply })).status).toBe(422);
    expect((await call('POST', `/m/${ann.id}/reply`, { body: reply })).status).toBe(201);
    const [replyNotification] = await mailTo(DEMO_SENDER, 'replied securely');
    mark('secret of the reply', parseLink(replyNotification?.body.text ?? '').secret, { carrier: { to: DEMO_SENDER, subject: 'replied securely' } });
    expect((await call('DELETE', `/v1/messages/${ann.id}`, { key: stack.apiKey })).status).toBe(204);
    const ben = links.get('ben@example.com')!;
    expect((await call('POST', `/m/${ben.id}/open`, { body: { link: await deriveLinkToken(ben.secret), token: await deriveAccessToken(ben.secret) } })).status).toBe(404);

    // A passcode message that also needs an email code, sent with the created key.
    const passcode = 'CNRY-PASSCODE 1970';
    mark('passcode', passcode);
    mark('wrong passcode', 'CNRY-WRONG-PASSCODE');
    const guarded = await call('POST', '/v1/messages', { key: newKey, body: { to: ['dan@example.com'], subject: 'CNRY-SUBJECT-TWO', text: 'CNRY-TEXT-TWO', passcode, verification: 'email-code' } });
    expect(guarded.status).toBe(201);
    mark('subject (passcode message)', 'CNRY-SUBJECT-TWO');
    mark('text (passcode message)', 'CNRY-TEXT-TWO');
    const dan = parseLink((await mailTo('dan@example.com'))[0]?.body.text ?? '');
    mark('secret of dan@example.com', dan.secret, { carrier: { to: 'dan@example.com', subject: 'sent you a secure message' } });
    const key = await deriveMessageKey(dan.secret, passcode);
    const creds = { link: await deriveLinkToken(dan.secret), token: await deriveAccessToken(key) };
    mark('message key (with passcode)', key);
    mark('access token (with passcode)', creds.token);
    const open = (body: unknown, path = 'open') => call('POST', `/m/${dan.id}/${path}`, { body });
    expect((await open({ link: creds.link, token: await deriveAccessToken(await deriveMessageKey(dan.secret, 'CNRY-WRONG-PASSCODE')) })).status).toBe(403);
    expect((await open(creds)).status).toBe(403);
    expect((await open(creds, 'code')).status).toBe(429);
    const code = codeIn((await mailTo('dan@example.com', 'your code'))[0]);
    mark('email code', code, { digits: true, carrier: { to: 'dan@example.com', subject: 'your code' } });
    mark('wrong email code', otherCode(code), { digits: true });
    expect((await open({ ...creds, code: otherCode(code) })).status).toBe(403);
    const coded = await open({ ...creds, code });
    expect(coded.status).toBe(200);
    const grant = coded.headers.get('Sealpost-Grant') ?? '';
    mark('grant', grant);
    expect((await open({ ...creds, grant })).status).toBe(200);

    // Message Center: the inbox (sign-in code, session, the secret it hands out), then a recovery link.
    expect((await call('PATCH', '/v1/admin/settings', { key: stack.adminKey, body: { messageCenter: true } })).status).toBe(200);
    const kept = await call('POST', '/v1/messages', { key: stack.apiKey, body: { to: ['eve@example.com'], subject: 'CNRY-SUBJECT-THREE', text: 'CNRY-TEXT-THREE', verification: 'email-code' } });
    expect(kept.status).toBe(201);
    mark('subject (Message Center)', 'CNRY-SUBJECT-THREE');
    mark('text (Message Center)', 'CNRY-TEXT-THREE');
    const eve = parseLink((await mailTo('eve@example.com'))[0]?.body.text ?? '');
    mark('secret of eve@example.com', eve.secret, { carrier: { to: 'eve@example.com', subject: 'sent you a secure message' } });
    const inbox = (path: string, body: unknown, session?: string) => call('POST', `/inbox/api/demo/${path}`, {
      body, headers: { Origin: stack.appUrl, ...(session ? { Cookie: `__Host-sealpost_inbox=${session}` } : {}) },
    });
    expect((await inbox('sign-in', { email: 'eve@example.com' })).status).toBe(202);
    const signInCode = codeIn((await mailTo('eve@example.com', 'sign-in code'))[0]);
    mark('sign-in code', signInCode, { digits: true, carrier: { to: 'eve@example.com', subject: 'sign-in code' } });
    mark('wrong sign-in code', otherCode(signInCode), { digits: true });
    expect((await inbox('verify', { email: 'eve@example.com', code: otherCode(signInCode) })).status).toBe(401);
    const verified = await inbox('verify', { email: 'eve@example.com', code: signInCode });
    expect(verified.status).toBe(204);
    const session = /__Host-sealpost_inbox=([A-Za-z0-9_-]+)/.exec(verified.headers.get('Set-Cookie') ?? '')?.[1] ?? '';
    mark('session token', session);
    expect((await call('GET', '/inbox/api/demo/messages', { headers: { Cookie: `__Host-sealpost_inbox=${session}` } })).status).toBe(200);
    const fromInbox = await inbox(`messages/${eve.id}/open`, {}, session);
    expect(fromInbox.status).toBe(200);
    const handed = fromInbox.json<{ secret: string; grant?: string }>();
    expect(handed.secret).toBe(eve.secret);
    mark('grant (inbox)', handed.grant ?? '');
    expect((await inbox('sign-out', {}, session)).status).toBe(204);
    const recovered = await call('POST', `/v1/admin/messages/${eve.id}/recover`, { key: stack.adminKey });
    expect(recovered.status).toBe(201);
    const recoverySecret = recovered.json<{ url: string }>().url.split('#recover:')[1] ?? '';
    mark('recovery secret', recoverySecret);
    const recoveryOpen = await call('POST', `/m/${eve.id}/open`, { body: { link: await deriveLinkToken(recoverySecret), token: await deriveAccessToken(recoverySecret) } });
    expect(recoveryOpen.status).toBe(200);
    mark('custody key', await unwrapRecoveredSecret(recoverySecret, recoveryOpen.headers.get('Sealpost-Wrapped-Secret') ?? ''));

    // Webhooks: a ping now, then maintenance runs deliver the trail: events settled for 10 s, 25 a run
    // (the recovery is among the last).
    expect((await call('POST', `/v1/admin/webhooks/${hookId}/ping`, { key: stack.adminKey })).status).toBe(200);
    const recoveredDelivered = async () => {
      await stack.runMaintenance();
      return receiver.received.some((d) => d.body.includes('"recovered"'));
    };
    await expect.poll(recoveredDelivered, { timeout: 20_000, interval: 500 }).toBe(true);
    const signed = receiver.received[0]!;
    const [t, v1] = String(signed.headers['sealpost-signature'] ?? '').split(',').map((p) => p.split('=')[1]);
    expect(createHmac('sha256', hookSecret).update(`${t}.${signed.body}`).digest('hex')).toBe(v1);

    // What the API shows of it all afterwards.
    for (const path of ['/v1/messages', '/v1/events?limit=100', '/v1/admin/keys', '/v1/admin/webhooks', `/v1/admin/webhooks/${hookId}/deliveries`, '/v1/admin/settings']) {
      expect((await call('GET', path, { key: stack.adminKey })).status, path).toBe(200);
    }
    for (const { id } of [ann, ben, dan, eve]) expect((await call('GET', `/v1/messages/${id}`, { key: stack.apiKey })).status).toBe(200);

    // The sinks.
    const table = await dumpTable(stack.dynamoDbEndpoint, stack.tableName);
    const mails = await capturedMail(stack.mailboxUrl);
    const haystacks: Record<Exclude<Sink, 'mail'>, string> = {
      table: table.text,
      logs: logs.join('\n'),
      problems: problems.join('\n'),
      urls: targets.flatMap(decoded).join('\n'),
      webhooks: receiver.received.map((d) => `${JSON.stringify(d.headers)}\n${d.body}`).join('\n'),
      reads: reads.join('\n'),
    };
    const contains = (haystack: string, marker: Marker) => marker.digits
      ? new RegExp(`(?<![0-9A-Za-z])${marker.value}(?![0-9A-Za-z])`).test(haystack)
      : haystack.includes(marker.value);
    const isCarrier = (mail: CapturedMail, marker: Marker) => marker.carrier !== undefined
      && mail.destination.to.some((t) => t.includes(marker.carrier!.to)) && mail.subject.includes(marker.carrier.subject);
    const results = new Map<string, Record<Sink, string>>();
    for (const [name, marker] of markers) {
      const row = {} as Record<Sink, string>;
      for (const sink of SINKS) {
        if (sink !== 'mail') {
          row[sink] = contains(haystacks[sink], marker) ? 'LEAK' : 'clean';
          continue;
        }
        const carriers = mails.filter((m) => isCarrier(m, marker));
        const leaks = mails.filter((m) => !isCarrier(m, marker) && contains(JSON.stringify(m), marker));
        const carried = carriers.length === 1 && contains(JSON.stringify(carriers[0]), marker);
        row.mail = leaks.length > 0 ? `LEAK in ${leaks.map((m) => m.subject).join(', ')}` : marker.carrier ? (carried ? 'only its email' : 'MISSING from its email') : 'clean';
      }
      results.set(name, row);
    }
    const width = Math.max(...[...markers.keys()].map((n) => n.length));
    console.info([
      `canaries: ${markers.size} markers × ${SINKS.length} sinks = ${markers.size * SINKS.length} checks`,
      `${''.padEnd(width)}  ${SINKS.map((s) => s.padEnd(16)).join('')}`,
      ...[...results].map(([name, row]) => `${name.padEnd(width)}  ${SINKS.map((s) => row[s].padEnd(16)).join('')}`),
    ].join('\n'));

    const bad = [...results].flatMap(([name, row]) => SINKS.filter((s) => row[s] !== 'clean' && row[s] !== 'only its email').map((s) => `${name} → ${s}: ${row[s]}`));
    expect(bad).toEqual([]);
    // The suite cannot silently shrink: 40 markers, each in all 7 sinks.
    expect([...results.values()].flatMap((row) => SINKS.map((s) => row[s]))).toHaveLength(280);
    expect([...results.values()].filter((row) => row.mail === 'only its email')).toHaveLength(8);

    // Each sink is really looked at: it holds what it should.
    expect(table.items).toBeGreaterThan(30);
    expect(table.text).toContain('ben@example.com');
    expect(table.text).toContain(await hashAccessToken(annCreds.token));
    expect(table.text).toContain('message-center');
    expect(table.text).toContain('code_sent');
    expect(logs.filter((l) => l.includes('"event":"request"')).length).toBeGreaterThan(30);
    expect(problems.length).toBeGreaterThanOrEqual(12);
    expect(targets).toContain(`POST /m/${dan.id}/open`);
    expect(mails).toHaveLength(8);
    expect(new Set(receiver.received.map((d) => d.headers['sealpost-event-id'])).size).toBeGreaterThan(10);
    expect(reads.join('\n')).toContain('"recovered"');
    expect(reads.some((r) => r.includes('"sender":"Demo Health Clinic"'))).toBe(true);
  });
});
