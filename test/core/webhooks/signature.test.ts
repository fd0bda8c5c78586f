import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhookSignature } from '../../../functions/core/webhooks/index.ts';

const SECRET = 'whsec_4cJ0bq0b9oZ0b1m3Uq9N6oJ0W8rj2A6yVt3XkQ7yGmE';
const BODY = '{"id":"ev_Q2h3bX9tR1c0","type":"opened","data":{"actor":"recipient:r0"}}';
const T = 1_795_953_610;

describe('signWebhook', () => {
  it('produces t=<seconds>,v1=<hex HMAC-SHA256 of "t.body" keyed with the whole secret> when signing', async () => {
    const header = await signWebhook(SECRET, T, BODY);

    const expected = createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex');
    expect(header).toBe(`t=${T},v1=${expected}`);
  });
});

describe('verifyWebhookSignature', () => {
  it('accepts the header when body, secret and timestamp match within the tolerance', async () => {
    const header = await signWebhook(SECRET, T, BODY);

    expect(await verifyWebhookSignature(SECRET, header, BODY, T + 299)).toBe(true);
  });

  it('rejects the header when one byte of the body changed', async () => {
    const header = await signWebhook(SECRET, T, BODY);

    expect(await verifyWebhookSignature(SECRET, header, BODY.replace('opened', 'openeD'), T)).toBe(false);
  });

  it('rejects the header when it was made with another secret', async () => {
    const header = await signWebhook(`${SECRET}x`, T, BODY);

    expect(await verifyWebhookSignature(SECRET, header, BODY, T)).toBe(false);
  });

  it('rejects a replay when the timestamp is older than the tolerance', async () => {
    const header = await signWebhook(SECRET, T, BODY);

    expect(await verifyWebhookSignature(SECRET, header, BODY, T + 301)).toBe(false);
    expect(await verifyWebhookSignature(SECRET, header, BODY, T + 3_000, 3_600)).toBe(true);
  });

  it('rejects the header when the timestamp was moved but the signature kept', async () => {
    const header = await signWebhook(SECRET, T, BODY);

    expect(await verifyWebhookSignature(SECRET, header.replace(`t=${T}`, `t=${T + 60}`), BODY, T + 60)).toBe(false);
  });

  it('accepts the header when any one of several v1 signatures matches', async () => {
    const good = (await signWebhook(SECRET, T, BODY)).split('v1=')[1];

    expect(await verifyWebhookSignature(SECRET, `t=${T},v1=${'0'.repeat(64)},v0=zz,v1=${good}`, BODY, T)).toBe(true);
  });

  it.each([undefined, '', 'garbage', `t=${T}`, 'v1=abcd', `t=abc,v1=${'0'.repeat(64)}`])('rejects a malformed header when it is %j', async (header) => {
    expect(await verifyWebhookSignature(SECRET, header, BODY, T)).toBe(false);
  });
});

describe('docs/webhooks.md verification snippet', () => {
  it('verifies what signWebhook signs and refuses a tampered body when pasted as is', async () => {
    const doc = await readFile('docs/webhooks.md', 'utf8');
    const snippet = /<!-- verification-snippet -->\s*```js\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(snippet).toBeDefined();
    const file = join(await mkdtemp(join(tmpdir(), 'sealpost-snippet-')), 'verify.mjs');
    await writeFile(file, snippet as string);
    const { verifySealpostSignature } = await import(pathToFileURL(file).href) as { verifySealpostSignature: (s: string, h: string, b: string) => boolean };
    const now = Math.floor(Date.now() / 1000);

    const header = await signWebhook(SECRET, now, BODY);

    expect(verifySealpostSignature(SECRET, header, BODY)).toBe(true);
    expect(verifySealpostSignature(SECRET, header, `${BODY} `)).toBe(false);
    expect(verifySealpostSignature(SECRET, await signWebhook(SECRET, now - 600, BODY), BODY)).toBe(false);
  });
});
