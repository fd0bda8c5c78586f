/**
 * Leak test over the real local stack: after sends (with idempotency keys, several recipients,
 * attachments, a passcode, email codes), opens, failed opens, wrong and right codes and passcodes,
 * and a revocation, no DynamoDB item and no log line holds a plaintext marker, a secret, an access
 * or link token, a passcode, a code, a grant or the API key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveAccessToken, deriveLinkToken, deriveMessageKey } from '../../functions/core/protocol/index.ts';
import type { LocalStack } from '../../functions/entries/local/start-local.ts';
import { capturedMail } from '../../functions/stand-ins/stand-ins.ts';
import { startTestStack } from '../helpers/local-stack.ts';
import { parseLink } from '../helpers/builders.ts';
import { dumpTable, findLeaks } from '../helpers/leak-scan.ts';

let stack: LocalStack;
const logs: string[] = [];
beforeAll(async () => {
  stack = await startTestStack({ logWrite: (line) => logs.push(line), logLevel: 'info' });
});
afterAll(() => stack?.close());

describe('what the server keeps', () => {
  it('holds no content, secret, token or API key after sends, opens and a revocation', async () => {
    const needles: Record<string, string> = { apiKey: stack.apiKey };
    for (let n = 0; n < 3; n++) {
      const res = await fetch(`${stack.appUrl}/v1/messages`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${stack.apiKey}`, 'Content-Type': 'application/json', 'Idempotency-Key': `leak-${n}` },
        body: JSON.stringify({
          to: [`to${n}@example.com`, `second${n}@example.com`], cc: [`cc${n}@example.com`],
          subject: `LEAKSUBJECT${n}`, text: `LEAKTEXT${n}`, html: `<p>LEAKHTML${n}</p>`,
          attachments: [{ filename: `LEAKFILE${n}.txt`, contentType: 'text/plain', content: Buffer.from(`LEAKATTACHMENT${n}`).toString('base64') }],
        }),
      });
      expect(res.status).toBe(201);
      Object.assign(needles, { [`subject${n}`]: `LEAKSUBJECT${n}`, [`text${n}`]: `LEAKTEXT${n}`, [`html${n}`]: `LEAKHTML${n}`, [`file${n}`]: `LEAKFILE${n}`, [`att${n}`]: `LEAKATTACHMENT${n}` });
    }
    const links = (await capturedMail(stack.mailboxUrl)).map((m) => parseLink(m.body.text ?? ''));
    expect(links).toHaveLength(9);
    for (const [i, link] of links.entries()) {
      const token = await deriveAccessToken(link.secret);
      Object.assign(needles, { [`secret${i}`]: link.secret, [`token${i}`]: token });
      const opened = await fetch(`${stack.appUrl}/m/${link.id}/open`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ link: await deriveLinkToken(link.secret), token }) });
      expect(opened.status).toBe(200);
    }
    const wrong = await fetch(`${stack.appUrl}/m/${links[0]!.id}/open`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: 'W'.repeat(43) }) });
    expect(wrong.status).toBe(404);
    expect((await fetch(`${stack.appUrl}/v1/messages/${links[0]!.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${stack.apiKey}` } })).status).toBe(204);

    // A passcode message that also needs an email code: wrong passcode, code, wrong code, right code, grant.
    const passcode = 'LEAKPASS-1970-01-31';
    const guarded = await fetch(`${stack.appUrl}/v1/messages`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${stack.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ to: ['guarded@example.com'], subject: 'LEAKSUBJECTG', text: 'LEAKTEXTG', passcode, verification: 'email-code' }),
    });
    expect(guarded.status).toBe(201);
    const mailFor = async () => (await capturedMail(stack.mailboxUrl)).filter((m) => m.destination.to.some((t) => t.includes('guarded@example.com')));
    const guardedLink = parseLink((await mailFor())[0]?.body.text ?? '');
    const key = await deriveMessageKey(guardedLink.secret, passcode);
    const creds = { link: await deriveLinkToken(guardedLink.secret), token: await deriveAccessToken(key) };
    const wrongPasscode = { link: creds.link, token: await deriveAccessToken(await deriveMessageKey(guardedLink.secret, 'LEAKWRONGPASS')) };
    const post = (path: string, body: unknown) => fetch(`${stack.appUrl}/m/${guardedLink.id}/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('open', wrongPasscode)).status).toBe(403);
    expect((await post('open', creds)).status).toBe(403);
    const code = /^\s+(\d{6})$/m.exec((await mailFor()).find((m) => m.subject.includes('your code'))?.body.text ?? '')?.[1] ?? '';
    expect(code).toMatch(/^\d{6}$/);
    const wrongCode = code === '000000' ? '000001' : '000000';
    expect((await post('open', { ...creds, code: wrongCode })).status).toBe(403);
    const opened = await post('open', { ...creds, code });
    expect(opened.status).toBe(200);
    const grant = opened.headers.get('Sealpost-Grant') ?? '';
    expect((await post('open', { ...creds, grant })).status).toBe(200);
    Object.assign(needles, {
      passcode, wrongPasscode: 'LEAKWRONGPASS', key, guardedSecret: guardedLink.secret, guardedToken: creds.token, linkToken: creds.link,
      wrongToken: wrongPasscode.token, grant, subjectG: 'LEAKSUBJECTG', textG: 'LEAKTEXTG',
    });

    const table = await dumpTable(stack.dynamoDbEndpoint, stack.tableName);

    expect(table.items).toBeGreaterThan(20);
    expect(findLeaks(table.text, needles)).toEqual([]);
    expect(findLeaks(logs.join('\n'), needles)).toEqual([]);
    // Codes are six digits: looked for as whole numbers, so that a timestamp or hash cannot match by chance.
    for (const digits of [code, wrongCode]) {
      const whole = new RegExp(`(?<![0-9A-Za-z])${digits}(?![0-9A-Za-z])`);
      expect(whole.test(table.text), `code ${digits} in the table`).toBe(false);
      expect(whole.test(logs.join('\n')), `code ${digits} in the logs`).toBe(false);
    }
    expect(table.text).toContain('code_sent');
    expect(logs.some((l) => l.includes('"event":"request"'))).toBe(true);
    // The scan does see what is stored: the recipient addresses are there in the clear, by design.
    expect(table.text).toContain('second1@example.com');
  });

  it('holds no Message Center secret in the clear: link secrets, sign-in codes, session tokens, recovery links', async () => {
    const admin = (method: string, path: string, body?: unknown) => fetch(`${stack.appUrl}${path}`, {
      method, headers: { Authorization: `Bearer ${stack.adminKey}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    expect((await admin('PATCH', '/v1/admin/settings', { messageCenter: true })).status).toBe(200);
    const sent = await fetch(`${stack.appUrl}/v1/messages`, {
      method: 'POST', headers: { Authorization: `Bearer ${stack.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ to: ['kept@example.com'], subject: 'LEAKSUBJECTK', text: 'LEAKTEXTK' }),
    });
    expect(sent.status).toBe(201);
    const keptLink = parseLink((await capturedMail(stack.mailboxUrl)).find((m) => m.destination.to.some((t) => t.includes('kept@example.com')))?.body.text ?? '');

    // Inbox: sign in with the emailed code, list, open (the server unwraps the secret for this session).
    const inbox = (path: string, body: unknown, cookie?: string) => fetch(`${stack.appUrl}/inbox/api/demo/${path}`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Origin: stack.appUrl, ...(cookie ? { Cookie: cookie } : {}) }, body: JSON.stringify(body),
    });
    expect((await inbox('sign-in', { email: 'kept@example.com' })).status).toBe(202);
    const signInMail = (await capturedMail(stack.mailboxUrl)).filter((m) => m.destination.to.some((t) => t.includes('kept@example.com'))).at(-1);
    const signInCode = /\b(\d{6})\b/.exec(signInMail?.body.text ?? '')?.[1] ?? '';
    const verified = await inbox('verify', { email: 'kept@example.com', code: signInCode });
    expect(verified.status).toBe(204);
    const session = /__Host-sealpost_inbox=([A-Za-z0-9_-]+)/.exec(verified.headers.get('Set-Cookie') ?? '')?.[1] ?? '';
    const openedFromInbox = await inbox(`messages/${keptLink.id}/open`, {}, `__Host-sealpost_inbox=${session}`);
    expect(openedFromInbox.status).toBe(200);
    const { secret: unwrapped, grant } = await openedFromInbox.json() as { secret: string; grant?: string };
    expect(unwrapped).toBe(keptLink.secret);

    // Recovery: a one-time link whose secret is R.
    const recovered = await admin('POST', `/v1/admin/messages/${keptLink.id}/recover`);
    expect(recovered.status).toBe(201);
    const recoverySecret = ((await recovered.json()) as { url: string }).url.split('#recover:')[1] ?? '';
    const recoveryOpen = await fetch(`${stack.appUrl}/m/${keptLink.id}/open`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ link: await deriveLinkToken(recoverySecret), token: await deriveAccessToken(recoverySecret) }),
    });
    expect(recoveryOpen.status).toBe(200);
    expect(recoveryOpen.headers.get('Sealpost-Wrapped-Secret')).toBeTruthy();

    const needles: Record<string, string> = {
      keptSecret: keptLink.secret, session, recoverySecret, subjectK: 'LEAKSUBJECTK', textK: 'LEAKTEXTK', ...(grant ? { grant } : {}),
    };
    const table = await dumpTable(stack.dynamoDbEndpoint, stack.tableName);
    expect(findLeaks(table.text, needles)).toEqual([]);
    expect(findLeaks(logs.join('\n'), needles)).toEqual([]);
    const whole = new RegExp(`(?<![0-9A-Za-z])${signInCode}(?![0-9A-Za-z])`);
    expect(signInCode).toMatch(/^\d{6}$/);
    expect(whole.test(table.text)).toBe(false);
    expect(whole.test(logs.join('\n'))).toBe(false);
    // The scan sees the wrapped form: Message Center keeps something, just never the secret itself.
    expect(table.text).toContain('message-center');
  });
});
